package amqp

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/message"
)

// Version is what connection.start announces as the server's version.
var Version = "0.1.0"

// serverProperties are sent in connection.start. The capabilities are
// the RabbitMQ extensions Ferry implements; clients switch features on
// by them.
func serverProperties() message.Table {
	return message.Table{
		{Key: "product", Value: "Ferry"},
		{Key: "version", Value: Version},
		{Key: "platform", Value: "Go " + runtime.Version()},
		{Key: "copyright", Value: "Ferry authors"},
		{Key: "information", Value: "Ferry, a durable message broker speaking AMQP 0-9-1 and SQS"},
		{Key: "cluster_name", Value: "ferry"},
		{Key: "capabilities", Value: message.Table{
			{Key: "publisher_confirms", Value: true},
			{Key: "exchange_exchange_bindings", Value: true},
			{Key: "basic.nack", Value: true},
			{Key: "consumer_cancel_notify", Value: true},
			{Key: "connection.blocked", Value: true},
			{Key: "authentication_failure_close", Value: true},
			{Key: "per_consumer_qos", Value: true},
		}},
	}
}

// handshake runs the connection's opening (spec 2.2.4): protocol header,
// start/start-ok, tune/tune-ok, open/open-ok, all within the handshake
// timeout. On success it returns the writer for the writer goroutine.
// On failure it has answered as the spec asks and the caller closes.
func (c *conn) handshake(br *bufio.Reader) (*wire.Writer, bool) {
	cfg := &c.s.cfg
	c.nc.SetDeadline(time.Now().Add(cfg.HandshakeTimeout))
	w := wire.NewWriter(c.nc)
	if err := wire.ReadProtocolHeader(br); err != nil {
		if errors.Is(err, wire.ErrProtocolHeader) {
			// "the server [...] MUST write a valid protocol header to the
			// open socket [...] and then close the socket connection."
			c.nc.Write([]byte(wire.ProtocolHeader))
			c.logger.Info("refused: not AMQP 0-9-1", slog.Any("err", err))
		}
		return nil, false
	}
	c.r = wire.NewReader(br)
	start := &wire.ConnectionStart{VersionMajor: 0, VersionMinor: 9, ServerProperties: serverProperties(),
		Mechanisms: auth.Mechanisms, Locales: "en_US"}
	if !c.writeNow(w, start) {
		return nil, false
	}

	m, ok := c.expect(w, "connection.start-ok")
	if !ok {
		return nil, false
	}
	so, isStartOk := m.(*wire.ConnectionStartOk)
	if !isStartOk {
		return nil, c.failHandshake(w, errCommandInvalid("expected connection.start-ok, got %s", m.Name()).withMethod(m))
	}
	c.cancelNotify = capability(so.ClientProperties, "consumer_cancel_notify")
	c.blockedNotify = capability(so.ClientProperties, "connection.blocked")
	user, err := c.s.users.Login(so.Mechanism, so.Response, c.nc.RemoteAddr())
	if err != nil {
		c.logger.Warn("login refused", slog.String("user", user), slog.String("mechanism", so.Mechanism), slog.Any("err", err))
		return nil, c.refuseLogin(w, so, err)
	}
	c.user = user

	heartbeatSecs := uint16(min(cfg.Heartbeat/time.Second, 65535))
	if !c.writeNow(w, &wire.ConnectionTune{ChannelMax: cfg.ChannelMax, FrameMax: cfg.FrameMax, Heartbeat: heartbeatSecs}) {
		return nil, false
	}
	m, ok = c.expect(w, "connection.tune-ok")
	if !ok {
		return nil, false
	}
	tune, isTuneOk := m.(*wire.ConnectionTuneOk)
	if !isTuneOk {
		return nil, c.failHandshake(w, errCommandInvalid("expected connection.tune-ok, got %s", m.Name()).withMethod(m))
	}
	// Zero means "no limit" for channel-max and frame-max: ours then.
	c.channelMax = cfg.ChannelMax
	if tune.ChannelMax != 0 && tune.ChannelMax < c.channelMax {
		c.channelMax = tune.ChannelMax
	}
	c.frameMax = cfg.FrameMax
	if tune.FrameMax != 0 && tune.FrameMax < c.frameMax {
		c.frameMax = tune.FrameMax
	}
	if tune.FrameMax != 0 && tune.FrameMax < minFrameMax {
		return nil, c.failHandshake(w, newErr(wire.NotAllowed, "frame_max=%d < %d min size", tune.FrameMax, minFrameMax).withMethod(m))
	}
	if tune.FrameMax > cfg.FrameMax {
		return nil, c.failHandshake(w, newErr(wire.NotAllowed, "frame_max=%d > %d max size", tune.FrameMax, cfg.FrameMax).withMethod(m))
	}
	// The client's heartbeat decides, as in RabbitMQ: 0 turns it off.
	c.heartbeat = time.Duration(tune.Heartbeat) * time.Second
	c.r.SetFrameMax(c.frameMax)
	w.SetFrameMax(c.frameMax)

	m, ok = c.expect(w, "connection.open")
	if !ok {
		return nil, false
	}
	open, isOpen := m.(*wire.ConnectionOpen)
	if !isOpen {
		return nil, c.failHandshake(w, errCommandInvalid("expected connection.open, got %s", m.Name()).withMethod(m))
	}
	if !slices.Contains(c.s.broker.VHosts(), open.VirtualHost) {
		return nil, c.failHandshake(w, newErr(wire.NotAllowed, "vhost %s not found", open.VirtualHost).withMethod(m))
	}
	if !c.s.users.CanAccess(c.user, open.VirtualHost) {
		return nil, c.failHandshake(w, newErr(wire.NotAllowed, "access to vhost '%s' refused for user '%s'", open.VirtualHost, c.user).withMethod(m))
	}
	c.vhost = open.VirtualHost
	c.view.open(c) // before open-ok: a client that sees it open finds it listed
	if !c.writeNow(w, &wire.ConnectionOpenOk{}) {
		return nil, false
	}
	c.nc.SetDeadline(time.Time{})
	return w, true
}

// refuseLogin ends a connection whose start-ok was refused. The spec
// (connection.start-ok, rules on mechanism and response) has the server
// close the socket without sending anything more; RabbitMQ's
// authentication_failure_close capability lets a client ask for a
// connection.close that says why instead, and only a client that
// announced it gets one (an older client would read the close as a
// protocol error): 403 ACCESS_REFUSED with RabbitMQ's text, which names
// no user, for refused credentials, and 503 COMMAND_INVALID for a
// mechanism not offered (where RabbitMQ closes silently even then: a
// client that asked why gets told). Returns false for the caller's
// convenience.
func (c *conn) refuseLogin(w *wire.Writer, so *wire.ConnectionStartOk, err error) bool {
	if !capability(so.ClientProperties, "authentication_failure_close") {
		return false
	}
	if errors.Is(err, auth.ErrUnknownMechanism) {
		return c.failHandshake(w, errCommandInvalid("unknown authentication mechanism '%s'", so.Mechanism).withMethod(so))
	}
	text := fmt.Sprintf("Login was refused using authentication mechanism %s. For details see the broker logfile.", so.Mechanism)
	return c.failHandshake(w, newErr(wire.AccessRefused, "%s", text).withMethod(so))
}

// capability reports whether a client's properties announce capability
// name as true.
func capability(props message.Table, name string) bool {
	v, _ := props.Get("capabilities")
	caps, _ := v.(message.Table)
	on, _ := caps.Get(name)
	b, _ := on.(bool)
	return b
}

// writeNow writes one method during the handshake, before the writer
// goroutine exists.
func (c *conn) writeNow(w *wire.Writer, m wire.Method) bool {
	if err := w.WriteMethod(0, m); err != nil {
		c.logger.Error("handshake: encode", slog.String("method", m.Name()), slog.Any("err", err))
		return false
	}
	if err := w.Flush(); err != nil {
		c.logger.Debug("handshake: write", slog.Any("err", err))
		return false
	}
	return true
}

// expect reads the next method on channel 0 during the handshake,
// skipping heartbeats. A client's connection.close is answered here.
func (c *conn) expect(w *wire.Writer, want string) (wire.Method, bool) {
	for {
		f, err := c.r.ReadFrame()
		if err != nil {
			if _, ok := wire.ReplyCode(err); ok {
				c.failHandshake(w, fromWire(err))
			} else {
				c.logger.Debug("handshake: read", slog.String("waiting for", want), slog.Any("err", err))
			}
			return nil, false
		}
		switch {
		case f.Type == wire.FrameHeartbeat:
			continue
		case f.Type != wire.FrameMethod || f.Channel != 0:
			c.failHandshake(w, errUnexpectedFrame("expected %s on channel 0, got %s", want, f))
			return nil, false
		}
		m, err := wire.ReadMethodFrame(f.Payload)
		if err != nil {
			c.failHandshake(w, fromWire(err))
			return nil, false
		}
		if _, ok := m.(*wire.ConnectionClose); ok {
			c.writeNow(w, &wire.ConnectionCloseOk{})
			return nil, false
		}
		return m, true
	}
}

// failHandshake sends connection.close for e and waits, within the
// handshake deadline, for close-ok or the client's end of the socket, so
// that the close frame is read before the socket goes. It returns false
// for the caller's convenience.
func (c *conn) failHandshake(w *wire.Writer, e *amqpError) bool {
	c.logger.Info("handshake failed", slog.Int("code", int(e.code)), slog.String("text", e.text))
	cl := &wire.ConnectionClose{ReplyCode: e.code, ReplyText: replyText(e.code, e.text), ClassID: e.classID, MethodID: e.methodID}
	if !c.writeNow(w, cl) || c.r == nil {
		return false
	}
	c.nc.SetReadDeadline(time.Now().Add(closeWait))
	for {
		f, err := c.r.ReadFrame()
		if err != nil {
			return false
		}
		if f.Type != wire.FrameMethod || f.Channel != 0 {
			continue
		}
		if m, err := wire.ReadMethodFrame(f.Payload); err == nil {
			switch m.(type) {
			case *wire.ConnectionCloseOk, *wire.ConnectionClose:
				return false
			}
		}
	}
}
