package amqp

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the admin front end's read-only view of the server:
// connections, their channels and the consumers on them, and a way to
// close a connection as RabbitMQ's management API does. The reader
// goroutine owns most connection and channel state without a lock
// (doc.go), so what admin reads is published separately: connView is set
// once after the handshake and lists the channels opened; a channel's
// torn-down flag (channel.mu) hides it once closed; consumers come from
// the registry, which has its own lock.

// ConnectionInfo describes an open AMQP connection.
type ConnectionInfo struct {
	// Name is RabbitMQ's: "peer-host:port -> local-host:port". It is
	// what CloseConnection takes.
	Name        string
	Peer        string // the client's address
	Local       string // the listener's address
	User        string
	VHost       string
	Channels    int
	BytesIn     uint64 // read from the socket, handshake included
	BytesOut    uint64
	ConnectedAt time.Time // when the handshake finished
	FrameMax    uint32
	ChannelMax  uint16
	Heartbeat   time.Duration
}

// ChannelInfo describes an open channel.
type ChannelInfo struct {
	Connection     string // ConnectionInfo.Name
	Number         uint16
	User           string
	VHost          string
	Prefetch       int // basic.qos per consumer (global=false); 0 for none
	GlobalPrefetch int // basic.qos global=true; 0 for none
	Unacked        int // deliveries not yet acked
	Consumers      int
}

// ConsumerInfo describes a push consumer (basic.consume).
type ConsumerInfo struct {
	Connection  string // ConnectionInfo.Name
	Channel     uint16
	Tag         string
	VHost       string
	Queue       string
	AckRequired bool // false for no-ack consumers
	Exclusive   bool
	Prefetch    int // 0 for none
}

// connView is what other goroutines may read of a conn.
type connView struct {
	bytesIn, bytesOut atomic.Uint64 // counted by countingConn

	mu     sync.Mutex
	ready  bool      // guarded by mu; the handshake is done
	name   string    // guarded by mu; set once with ready
	user   string    // guarded by mu
	vhost  string    // guarded by mu
	at     time.Time // guarded by mu
	fmax   uint32    // guarded by mu
	cmax   uint16    // guarded by mu
	hb     time.Duration
	chans  []*channel // guarded by mu; opened channels, torn-down ones pruned on read
	closed bool       // guarded by mu; CloseConnection was asked
}

// open publishes what the handshake settled. The reader calls it once.
func (v *connView) open(c *conn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ready = true
	v.name = connName(c.nc.RemoteAddr().String(), c.nc.LocalAddr().String())
	v.user, v.vhost, v.at = c.user, c.vhost, time.Now()
	v.fmax, v.cmax, v.hb = c.frameMax, c.channelMax, c.heartbeat
}

func connName(peer, local string) string { return peer + " -> " + local }

// addChannel records a channel the reader opened.
func (v *connView) addChannel(ch *channel) {
	v.mu.Lock()
	v.chans = append(v.chans, ch)
	v.mu.Unlock()
}

// liveChannels returns the channels not torn down, pruning the others.
// v.mu held.
func (v *connView) liveChannelsLocked() []*channel {
	keep := v.chans[:0]
	for _, ch := range v.chans {
		ch.mu.Lock()
		closed := ch.closed
		ch.mu.Unlock()
		if !closed {
			keep = append(keep, ch)
		}
	}
	clear(v.chans[len(keep):])
	v.chans = keep
	return slices.Clone(keep)
}

// openConns returns the connections past their handshake.
func (s *Server) openConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		c.view.mu.Lock()
		ready := c.view.ready
		c.view.mu.Unlock()
		if ready {
			out = append(out, c)
		}
	}
	return out
}

// Connections lists the open connections, sorted by name.
func (s *Server) Connections() []ConnectionInfo {
	var out []ConnectionInfo
	for _, c := range s.openConns() {
		v := &c.view
		v.mu.Lock()
		n := len(v.liveChannelsLocked())
		in := ConnectionInfo{
			Name: v.name, Peer: c.nc.RemoteAddr().String(), Local: c.nc.LocalAddr().String(),
			User: v.user, VHost: v.vhost, Channels: n, ConnectedAt: v.at,
			FrameMax: v.fmax, ChannelMax: v.cmax, Heartbeat: v.hb,
		}
		v.mu.Unlock()
		in.BytesIn, in.BytesOut = v.bytesIn.Load(), v.bytesOut.Load()
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b ConnectionInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// consumersByChannel counts the registered consumers of each channel.
func (s *Server) consumersByChannel() map[*channel][]*consumer {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	m := map[*channel][]*consumer{}
	for _, list := range s.reg.byQueue {
		for _, k := range list {
			if !k.gone.Load() {
				m[k.ch] = append(m[k.ch], k)
			}
		}
	}
	return m
}

// Channels lists the open channels, by connection name and number.
func (s *Server) Channels() []ChannelInfo {
	byCh := s.consumersByChannel()
	var out []ChannelInfo
	for _, c := range s.openConns() {
		v := &c.view
		v.mu.Lock()
		chans := v.liveChannelsLocked()
		name, user, vhost := v.name, v.user, v.vhost
		v.mu.Unlock()
		for _, ch := range chans {
			in := ChannelInfo{
				Connection: name, Number: ch.id, User: user, VHost: vhost,
				Prefetch: int(ch.qosView.Load()), Consumers: len(byCh[ch]),
			}
			ch.mu.Lock()
			in.GlobalPrefetch, in.Unacked = ch.limiter.Limit(), len(ch.unacked.m)
			ch.mu.Unlock()
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b ChannelInfo) int {
		if d := strings.Compare(a.Connection, b.Connection); d != 0 {
			return d
		}
		return int(a.Number) - int(b.Number)
	})
	return out
}

// Consumers lists the push consumers, by queue and tag.
func (s *Server) Consumers() []ConsumerInfo {
	byCh := s.consumersByChannel()
	var out []ConsumerInfo
	for ch, list := range byCh {
		ch.c.view.mu.Lock()
		name := ch.c.view.name
		ch.c.view.mu.Unlock()
		for _, k := range list {
			out = append(out, ConsumerInfo{
				Connection: name, Channel: ch.id, Tag: k.tag, VHost: k.key.vhost, Queue: k.key.name,
				AckRequired: !k.noAck, Exclusive: k.exclusive, Prefetch: k.prefetch,
			})
		}
	}
	slices.SortFunc(out, func(a, b ConsumerInfo) int {
		if d := strings.Compare(a.VHost+"\x00"+a.Queue, b.VHost+"\x00"+b.Queue); d != 0 {
			return d
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return out
}

// CloseConnection closes connection name (ConnectionInfo.Name) as
// RabbitMQ's management API does: connection.close with 320
// CONNECTION_FORCED and reason as its text; the client's channels are
// torn down and their unacked messages requeued. It reports false if no
// open connection has that name.
func (s *Server) CloseConnection(name, reason string) bool {
	for _, c := range s.openConns() {
		c.view.mu.Lock()
		match := c.view.name == name && !c.view.closed
		if match {
			c.view.closed = true
		}
		c.view.mu.Unlock()
		if match {
			c.logger.Info("connection closed by an operator", "reason", reason)
			c.forceClose(reason)
			return true
		}
	}
	return false
}
