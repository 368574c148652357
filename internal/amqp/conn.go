package amqp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
)

// closeWait is how long a connection waits for connection.close-ok
// after sending connection.close, and for its writer to drain at the end.
const closeWait = 3 * time.Second

// conn is one client connection. Fields without a lock are the reader
// goroutine's, or set during the handshake and read-only afterwards.
type conn struct {
	s      *Server
	id     string   // "conn-N": owner of its exclusive queues
	nc     net.Conn // counting wrapper around the socket
	logger *slog.Logger
	r      *wire.Reader

	// Set by the handshake, read-only afterwards (the writer reads
	// heartbeat; channels read the rest).
	frameMax      uint32
	channelMax    uint16
	heartbeat     time.Duration
	vhost         string
	user          string
	cancelNotify  bool // the client announced consumer_cancel_notify
	blockedNotify bool // the client announced connection.blocked

	channels map[uint16]*channel // reader only
	closing  bool                // reader only: connection.close sent, waiting for close-ok

	forced atomic.Bool // Shutdown asked for connection.close
	view   connView    // what admin may read from other goroutines; see introspect.go
	flow   connFlow    // publish budget and alarm notices; see flow.go

	out        outbox
	writerDone chan struct{} // closed when the writer goroutine returns
}

func newConn(s *Server, nc net.Conn) *conn {
	id := fmt.Sprintf("conn-%d", s.connSeq.Add(1))
	c := &conn{
		s:          s,
		id:         id,
		nc:         nil, // set below: it counts into c.view too
		logger:     s.logger.With(slog.String("conn", id), slog.String("remote", nc.RemoteAddr().String())),
		channels:   map[uint16]*channel{},
		writerDone: make(chan struct{}),
	}
	c.nc = countingConn{Conn: nc, in: &s.stats.bytesIn, out: &s.stats.bytesOut, cin: &c.view.bytesIn, cout: &c.view.bytesOut}
	c.out.init()
	c.flow.init()
	return c
}

// serve runs the connection on the calling goroutine (the reader) until
// it ends, then releases everything it held.
func (c *conn) serve() {
	defer c.nc.Close()
	br := bufio.NewReaderSize(c.nc, 64<<10)
	w, ok := c.handshake(br)
	if !ok {
		return
	}
	c.logger.Info("connection open", slog.String("user", c.user), slog.String("vhost", c.vhost))
	go c.writeLoop(w)
	reason := c.readLoop()
	c.teardown()
	c.out.finish()
	c.nc.SetWriteDeadline(time.Now().Add(closeWait))
	<-c.writerDone
	c.logger.Info("connection closed", slog.String("reason", reason))
}

// readLoop reads and handles frames until the connection ends, and says
// why it ended.
func (c *conn) readLoop() string {
	var lastDeadline time.Time
	for {
		if !c.waitSpace() || !c.waitFlow() {
			return "writer stopped"
		}
		if c.forced.Load() && !c.closing {
			// Shutdown has sent connection.close; wait for close-ok.
			c.closeChannels()
			c.closing = true
		}
		if c.heartbeat > 0 && !c.closing && !c.forced.Load() {
			// The peer must send something every interval; two silent
			// intervals end the connection (spec 4.2.7). The deadline is
			// moved at most every half interval to keep the syscall rare.
			if now := time.Now(); now.Sub(lastDeadline) > c.heartbeat/2 {
				c.nc.SetReadDeadline(now.Add(2 * c.heartbeat))
				lastDeadline = now
			}
		}
		f, err := c.r.ReadFrame()
		if err != nil {
			var ne net.Error
			switch {
			case c.closing:
				return "closed without close-ok"
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
				return "client went away"
			case errors.As(err, &ne) && ne.Timeout():
				if c.forced.Load() {
					return "forced close"
				}
				return fmt.Sprintf("missed heartbeats from client, timeout %s", c.heartbeat)
			}
			if _, ok := wire.ReplyCode(err); ok {
				c.connError(fromWire(err))
				continue
			}
			return "read failed: " + err.Error()
		}
		if done := c.handleFrame(f); done {
			return "closed by client"
		}
	}
}

// handleFrame handles one frame; it reports true when the connection is
// over (connection.close-ok received, or close answered).
func (c *conn) handleFrame(f wire.Frame) bool {
	if c.closing {
		// After connection.close only close and close-ok count (spec
		// 2.2.4); anything else is discarded.
		if f.Type != wire.FrameMethod || f.Channel != 0 {
			return false
		}
		m, err := wire.ReadMethodFrame(f.Payload)
		if err != nil {
			return false
		}
		switch m.(type) {
		case *wire.ConnectionCloseOk:
			return true
		case *wire.ConnectionClose:
			c.out.sendLast(&wire.ConnectionCloseOk{})
			return true
		}
		return false
	}
	switch f.Type {
	case wire.FrameHeartbeat:
		return false
	case wire.FrameMethod:
		m, err := wire.ReadMethodFrame(f.Payload)
		if err != nil {
			c.connError(fromWire(err))
			return false
		}
		if f.Channel == 0 {
			return c.handleConnMethod(m)
		}
		c.handleChannelMethod(f.Channel, m)
	case wire.FrameHeader, wire.FrameBody:
		ch := c.channels[f.Channel]
		if ch == nil {
			c.connError(errChannel("content frame on channel %d, which is not open", f.Channel))
			return false
		}
		if err := ch.handleContent(f); err != nil {
			c.raise(ch, err)
		}
	}
	return false
}

// handleConnMethod handles a method on channel 0 after the handshake.
func (c *conn) handleConnMethod(m wire.Method) bool {
	switch m := m.(type) {
	case *wire.ConnectionClose:
		c.logger.Debug("client closes", slog.Int("code", int(m.ReplyCode)), slog.String("text", m.ReplyText))
		c.out.sendLast(&wire.ConnectionCloseOk{})
		return true
	case *wire.ConnectionCloseOk:
		return true // we never sent close outside closing; harmless
	case *wire.ConnectionBlocked, *wire.ConnectionUnblocked:
		return false // the server's to send; ignore
	case *wire.ConnectionUpdateSecret:
		// Passwords are checked once, at login; accept the new secret
		// as RabbitMQ accepts it for mechanisms that do not expire.
		c.out.sendCtrl(&wire.ConnectionUpdateSecretOk{})
		return false
	}
	c.connError(errCommandInvalid("%s is not allowed on channel 0 after the handshake", m.Name()).withMethod(m))
	return false
}

// handleChannelMethod routes a method to its channel.
func (c *conn) handleChannelMethod(id uint16, m wire.Method) {
	classID, _ := m.ID()
	if classID == wire.ClassConnection {
		c.connError(errCommandInvalid("%s on channel %d; connection methods belong on channel 0", m.Name(), id).withMethod(m))
		return
	}
	ch := c.channels[id]
	if ch == nil {
		switch m.(type) {
		case *wire.ChannelOpen:
			c.openChannel(id, m)
		case *wire.ChannelCloseOk:
			// The answer to a close we sent on a channel already torn down.
		default:
			c.connError(errChannel("expected 'channel.open' on channel %d, got %s", id, m.Name()).withMethod(m))
		}
		return
	}
	if err := ch.handle(m); err != nil {
		c.raise(ch, asAMQP(err).withMethod(m))
	}
}

// openChannel answers channel.open on a free channel number.
func (c *conn) openChannel(id uint16, m wire.Method) {
	if id > c.channelMax {
		c.connError(newErr(wire.NotAllowed, "channel number %d exceeds the negotiated channel-max %d", id, c.channelMax).withMethod(m))
		return
	}
	ch := newChannel(c, id)
	c.channels[id] = ch
	c.view.addChannel(ch)
	c.s.stats.channels.Add(1)
	ch.send(&wire.ChannelOpenOk{})
}

// raise sends an exception caused on channel ch: a soft error closes the
// channel, a hard one the connection.
func (c *conn) raise(ch *channel, err error) {
	e := asAMQP(err)
	if e.hard() {
		c.connError(e)
		return
	}
	ch.closeWithError(e)
}

// connError closes the connection with a hard error: every channel is
// torn down at once, and from here on only connection.close-ok counts.
func (c *conn) connError(e *amqpError) {
	if c.closing {
		return
	}
	if c.forced.Load() { // connection.close is on its way already
		c.closeChannels()
		c.closing = true
		return
	}
	lvl := slog.LevelWarn
	if e.code == wire.InternalError {
		lvl = slog.LevelError
	}
	c.logger.Log(nil, lvl, "closing connection on error", slog.Int("code", int(e.code)), slog.String("text", e.text), slog.Any("cause", e.cause))
	c.closeChannels()
	c.sendClose(e.code, replyText(e.code, e.text), e.classID, e.methodID)
}

func (c *conn) sendClose(code uint16, text string, classID, methodID uint16) {
	c.closing = true
	c.out.sendLast(&wire.ConnectionClose{ReplyCode: code, ReplyText: text, ClassID: classID, MethodID: methodID})
	c.nc.SetReadDeadline(time.Now().Add(closeWait))
}

// forceClose is Shutdown's: it sends connection.close with 320
// CONNECTION_FORCED at once, through the writer, and bounds the reader's
// wait for close-ok. The reader tears the channels down at its next
// frame or at that deadline.
func (c *conn) forceClose(reason string) {
	if c.forced.Swap(true) {
		return
	}
	c.out.sendLast(&wire.ConnectionClose{ReplyCode: wire.ConnectionForced, ReplyText: replyText(wire.ConnectionForced, reason)})
	c.nc.SetReadDeadline(time.Now().Add(closeWait))
	signal(c.flow.wake) // a reader held by flow control must read close-ok
}

// closeChannels tears down every channel (their consumers and leases),
// without sending anything on them.
func (c *conn) closeChannels() {
	for id, ch := range c.channels {
		ch.teardown()
		delete(c.channels, id)
	}
}

// teardown releases what the connection held in the broker: its channels'
// consumers and leases, then its exclusive queues.
func (c *conn) teardown() {
	c.closeChannels()
	if n := c.s.broker.CloseOwner(c.id); n > 0 {
		c.logger.Info("exclusive queues deleted", slog.Int("queues", n))
	}
}
