package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
)

// Defaults for the zero fields of Config; RabbitMQ's.
const (
	DefaultFrameMax         uint32 = 131072
	DefaultChannelMax       uint16 = 2047
	DefaultHeartbeat               = 60 * time.Second
	DefaultHandshakeTimeout        = 10 * time.Second
	// DefaultMaxMessageSize is RabbitMQ's max_message_size default.
	DefaultMaxMessageSize = 128 << 20
)

// Config is what NewServer needs. Zero values take the defaults above.
type Config struct {
	Broker *broker.Broker // required
	Users  *auth.Users    // nil means auth.Default(): guest/guest from loopback
	Logger *slog.Logger   // nil means slog.Default()

	// FrameMax is the largest frame offered in connection.tune, header and
	// end octet included; a client may ask for less.
	FrameMax uint32
	// ChannelMax is the highest channel number offered; a client may ask
	// for less.
	ChannelMax uint16
	// Heartbeat is the interval offered; the client's answer decides (0
	// turns heartbeats off), as in RabbitMQ. Seconds on the wire.
	Heartbeat time.Duration
	// HandshakeTimeout bounds the time from accept to connection.open-ok.
	HandshakeTimeout time.Duration
	// MaxMessageSize bounds a published body; larger ones are refused
	// with 406 PRECONDITION_FAILED.
	MaxMessageSize uint64
	// Flow bounds what each connection may have in flight to the store,
	// and sets the memory and disk alarms that block publishers (flow.go).
	Flow FlowConfig
}

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = errors.New("amqp: server closed")

// Server accepts AMQP 0-9-1 connections and serves them on a broker.
type Server struct {
	cfg    Config
	broker *broker.Broker
	users  *auth.Users
	logger *slog.Logger

	connSeq  atomic.Uint64 // last connection number handed out
	ownerSeq atomic.Uint64 // last queue.Owner handed out, one per channel
	stats    counters

	mu        sync.Mutex
	listeners map[net.Listener]struct{} // guarded by mu
	conns     map[*conn]struct{}        // guarded by mu
	closing   bool                      // guarded by mu; set by Shutdown
	connsDone sync.WaitGroup            // one per conn goroutine pair

	reg registry // push consumers by queue; see registry.go

	alarm    alarms                                 // resource alarms; see flow_alarm.go
	monStop  chan struct{}                          // guarded by mu; closed to stop the resource monitor
	monDone  chan struct{}                          // guarded by mu; closed when the monitor has stopped
	flowHook atomic.Pointer[func(conn, why string)] // tests: a reader is about to wait (flow.go)
}

// NewServer returns a server for cfg; it serves nothing until Serve.
func NewServer(cfg Config) *Server {
	if cfg.FrameMax == 0 {
		cfg.FrameMax = DefaultFrameMax
	}
	if cfg.FrameMax < minFrameMax {
		cfg.FrameMax = minFrameMax
	}
	if cfg.ChannelMax == 0 {
		cfg.ChannelMax = DefaultChannelMax
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	cfg.Flow = cfg.Flow.withDefaults()
	s := &Server{
		cfg: cfg, broker: cfg.Broker, users: cfg.Users, logger: cfg.Logger,
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{},
	}
	if s.users == nil {
		s.users = auth.Default()
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = s.logger.With(slog.String("component", "amqp"))
	s.reg.init()
	s.initAlarms()
	if s.broker != nil {
		// Consumers of a queue deleted elsewhere (admin API, x-expires)
		// hear of it as of one deleted over AMQP.
		s.broker.OnQueueDeleted(s.queueDeleted)
	}
	return s
}

// minFrameMax is the spec's frame-min-size: no peer may go lower.
const minFrameMax = 4096

// Serve accepts connections on ln until Shutdown (then it returns
// ErrServerClosed) or until Accept fails for good. Temporary accept
// errors (too many open files) are retried after a short pause.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	if s.alarm.enabled() && s.monStop == nil {
		s.monStop, s.monDone = make(chan struct{}), make(chan struct{})
		s.startMonitor(s.cfg.Flow.SampleInterval, s.monStop, s.monDone)
	}
	s.mu.Unlock()
	s.logger.Info("listening", slog.String("addr", ln.Addr().String()))
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var pause time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				s.logger.Warn("accept failed; retrying", slog.Any("err", err), slog.Duration("pause", pause))
				time.Sleep(pause)
				continue
			}
			return fmt.Errorf("amqp: accept on %s: %w", ln.Addr(), err)
		}
		pause = 0
		s.startConn(nc)
	}
}

// startConn registers nc and serves it on its own goroutines.
func (s *Server) startConn(nc net.Conn) {
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.connsDone.Add(1)
	s.mu.Unlock()
	s.stats.accepted.Add(1)
	s.stats.connections.Add(1)
	go func() {
		defer s.connsDone.Done()
		defer func() {
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			s.stats.connections.Add(-1)
		}()
		c.serve()
	}()
}

// Shutdown stops accepting, closes every connection with 320
// CONNECTION_FORCED, and waits until they are gone or ctx ends; then it
// closes the remaining sockets and returns ctx's error. It does not close
// the broker.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	monDone := s.monDone
	if s.monStop != nil {
		close(s.monStop)
		s.monStop = nil
	}
	s.mu.Unlock()
	if monDone != nil {
		<-monDone // a sample takes a statfs and a metrics read at most
	}
	for _, c := range conns {
		c.forceClose("broker shutdown")
	}
	done := make(chan struct{})
	go func() {
		s.connsDone.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-done
		return fmt.Errorf("amqp: shutdown: %w", ctx.Err())
	}
}

// Stats is a snapshot of the server, for admin and metrics.
type Stats struct {
	Connections int64  // open now
	Channels    int64  // open now
	Accepted    uint64 // connections accepted since start
	BytesIn     uint64 // read from all sockets
	BytesOut    uint64 // written to all sockets
	Published   uint64 // messages received from publishers
	Delivered   uint64 // messages sent to consumers (deliver and get-ok)
	Confirmed   uint64 // publisher confirms sent (ack or nack, per message)

	// Flow control (flow.go).
	UnstoredMessages int64  // published on open connections, not yet stored
	UnstoredBytes    int64  // their bodies
	FlowWaits        uint64 // times a reader stopped reading for its connection's budget
	Blocked          int64  // readers held by a resource alarm now
	MemoryAlarm      bool   // the memory alarm is on
	DiskAlarm        bool   // the disk alarm is on
}

// counters are the running totals behind Stats.
type counters struct {
	connections, channels           atomic.Int64
	accepted, bytesIn, bytesOut     atomic.Uint64
	published, delivered, confirmed atomic.Uint64
	flowWaits                       atomic.Uint64
	blocked                         atomic.Int64
}

// Stats reports the server's counters.
func (s *Server) Stats() Stats {
	var unstored, unstoredBytes int64
	s.mu.Lock()
	for c := range s.conns {
		unstored += c.flow.unstored.Load()
		unstoredBytes += c.flow.unstoredBytes.Load()
	}
	s.mu.Unlock()
	alarms := alarmSet(s.alarm.active.Load())
	return Stats{
		Connections: s.stats.connections.Load(),
		Channels:    s.stats.channels.Load(),
		Accepted:    s.stats.accepted.Load(),
		BytesIn:     s.stats.bytesIn.Load(),
		BytesOut:    s.stats.bytesOut.Load(),
		Published:   s.stats.published.Load(),
		Delivered:   s.stats.delivered.Load(),
		Confirmed:   s.stats.confirmed.Load(),

		UnstoredMessages: unstored,
		UnstoredBytes:    unstoredBytes,
		FlowWaits:        s.stats.flowWaits.Load(),
		Blocked:          s.stats.blocked.Load(),
		MemoryAlarm:      alarms&alarmMemory != 0,
		DiskAlarm:        alarms&alarmDisk != 0,
	}
}

// countingConn counts the bytes through a connection into the server's
// stats.
type countingConn struct {
	net.Conn
	in, out   *atomic.Uint64 // the server's totals
	cin, cout *atomic.Uint64 // the connection's own
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(uint64(n))
	c.cin.Add(uint64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(uint64(n))
	c.cout.Add(uint64(n))
	return n, err
}
