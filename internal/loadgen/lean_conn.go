package loadgen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// This file is the lean client's connection: the handshake, synchronous
// requests for setup, and the broker's closes. What a run does on it is in
// lean_producer.go and lean_consumer.go; why it exists is in doc.go.

const (
	// leanFrameMax is the largest frame we accept and offer in tune-ok,
	// RabbitMQ's and amqp091-go's default; the broker's, if smaller, wins.
	// The read buffer is this large, so a whole frame always fits in it.
	leanFrameMax uint32 = 128 << 10
	// leanChannelMax is the channel-max we answer with if the broker's is
	// larger or unlimited (amqp091-go's value). We only ever use channel 1.
	leanChannelMax uint16 = 2047
	// leanChannel is the one channel each connection opens.
	leanChannel uint16 = 1

	leanDialTimeout      = 30 * time.Second // amqp091-go's default
	leanHandshakeTimeout = 30 * time.Second // from dial to channel.open-ok
	// leanCloseTimeout bounds the wait for connection.close-ok; then the
	// socket is closed anyway.
	leanCloseTimeout = 5 * time.Second
)

// leanConn is one AMQP 0-9-1 connection of the lean client, with channel 1
// open on it. Heartbeats are off (tune-ok says 0, which RabbitMQ and Ferry
// accept): runs last seconds to minutes on loopback, and a dead broker
// shows up as a read error or a drain timeout anyway.
//
// Reading frames (br, r) belongs to one goroutine at a time: whoever sets
// the connection up, then the consumer's loop or the producer's reader.
// w, the buffered writer, belongs to the setup code and then to the
// consumer's loop; a producer's publishes and the replies its reader owes
// the broker (close-ok) go out with sendNow and the producer's own batch
// buffer instead. Every write carries whole frames in one Write call, and
// net.Conn never interleaves the bytes of two Writes, so two goroutines
// writing to one connection cannot corrupt a frame.
type leanConn struct {
	nc       net.Conn
	br       *bufio.Reader
	r        *wire.Reader
	w        *wire.Writer
	frameMax uint32 // negotiated, header and frame-end included
}

// amqpURL is what the lean client takes from an AMQP URI.
type amqpURL struct {
	addr, user, pass, vhost string
}

// parseAMQPURL reads an amqp:// URI with amqp091-go's defaults (and the
// AMQP URI spec's): host localhost, port 5672, user and password guest,
// vhost "/". The vhost is the path after its first slash, percent-decoded,
// so amqp://h/%2f is "/" and amqp://h/dev is "dev". TLS (amqps) is left to
// the amqp091 client.
func parseAMQPURL(raw string) (amqpURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return amqpURL{}, err
	}
	switch u.Scheme {
	case "amqp":
	case "amqps":
		return amqpURL{}, errors.New("the lean client does not speak TLS: use -client amqp091 for amqps://")
	default:
		return amqpURL{}, fmt.Errorf("scheme %q: want amqp://", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5672"
	}
	out := amqpURL{addr: net.JoinHostPort(host, port), user: "guest", pass: "guest", vhost: "/"}
	if u.User != nil {
		out.user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			out.pass = p
		}
	}
	if v := strings.TrimPrefix(u.Path, "/"); v != "" {
		out.vhost = v
	}
	return out, nil
}

// dialLean connects as role ("producer 0") and opens channel 1. Its
// errors name the role and the (redacted) URL.
func dialLean(cfg *Config, role string) (*leanConn, error) {
	fail := func(err error) error {
		return fmt.Errorf("%s: connect to %s: %w", role, cfg.RedactedURL(), err)
	}
	u, err := parseAMQPURL(cfg.URL)
	if err != nil {
		return nil, fail(err)
	}
	nc, err := net.DialTimeout("tcp", u.addr, leanDialTimeout)
	if err != nil {
		return nil, fail(err)
	}
	c := &leanConn{nc: nc, frameMax: wire.FrameMinSize}
	c.br = bufio.NewReaderSize(nc, int(leanFrameMax))
	c.r = wire.NewReader(c.br)
	c.w = wire.NewWriter(nc)
	_ = nc.SetDeadline(time.Now().Add(leanHandshakeTimeout))
	if err := c.handshake(u, role); err != nil {
		nc.Close()
		return nil, fail(err)
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// clientCapabilities are the RabbitMQ extensions the lean client relies
// on. authentication_failure_close makes a refused login a
// connection.close with a reason instead of a bare socket close;
// consumer_cancel_notify makes a consumer whose queue is deleted hear of
// it (basic.cancel) instead of waiting forever.
func clientCapabilities() message.Table {
	return message.Table{
		{Key: "publisher_confirms", Value: true},
		{Key: "basic.nack", Value: true},
		{Key: "consumer_cancel_notify", Value: true},
		{Key: "authentication_failure_close", Value: true},
	}
}

// handshake runs spec 2.2.4: protocol header, start/start-ok (PLAIN),
// tune/tune-ok, open/open-ok, then channel.open on channel 1.
func (c *leanConn) handshake(u amqpURL, role string) error {
	if _, err := io.WriteString(c.nc, wire.ProtocolHeader); err != nil {
		return err
	}
	// 4.2.2: a server that does not speak 0-9-1 answers with the header it
	// does speak and closes; a frame never starts with 'A' (type 65).
	if b, err := c.br.Peek(1); err == nil && b[0] == 'A' {
		got, _ := c.br.Peek(len(wire.ProtocolHeader))
		return fmt.Errorf("the server does not speak AMQP 0-9-1: it answered %q", got)
	}
	var start wire.ConnectionStart
	if err := c.await(0, &start); err != nil {
		return fmt.Errorf("waiting for connection.start: %w", err)
	}
	if start.VersionMajor != 0 || start.VersionMinor != 9 {
		return fmt.Errorf("the server offers AMQP %d-%d, not 0-9-1", start.VersionMajor, start.VersionMinor)
	}
	if !slices.Contains(strings.Fields(start.Mechanisms), "PLAIN") {
		return fmt.Errorf("the server offers SASL mechanisms %q, not PLAIN", start.Mechanisms)
	}
	startOk := &wire.ConnectionStartOk{
		ClientProperties: message.Table{
			{Key: "product", Value: "ferry-bench"},
			{Key: "platform", Value: "Go"},
			{Key: "information", Value: "Ferry's load tool, lean AMQP 0-9-1 client"},
			{Key: "connection_name", Value: "ferry-bench " + role},
			{Key: "capabilities", Value: clientCapabilities()},
		},
		Mechanism: "PLAIN",
		Response:  "\x00" + u.user + "\x00" + u.pass,
		Locale:    "en_US",
	}
	if err := c.send(0, startOk); err != nil {
		return err
	}
	var tune wire.ConnectionTune
	if err := c.await(0, &tune); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("the broker hung up after start-ok: is user %q allowed in? (%w)", u.user, err)
		}
		return fmt.Errorf("waiting for connection.tune: %w", err)
	}
	// 0 is "no limit" in both fields; each side may ask for less.
	c.frameMax = leanFrameMax
	if tune.FrameMax != 0 {
		c.frameMax = min(tune.FrameMax, leanFrameMax)
	}
	channelMax := leanChannelMax
	if tune.ChannelMax != 0 {
		channelMax = min(tune.ChannelMax, leanChannelMax)
	}
	c.r.SetFrameMax(c.frameMax)
	c.w.SetFrameMax(c.frameMax)
	if err := c.w.WriteMethod(0, &wire.ConnectionTuneOk{ChannelMax: channelMax, FrameMax: c.frameMax, Heartbeat: 0}); err != nil {
		return err
	}
	if err := c.call(0, &wire.ConnectionOpen{VirtualHost: u.vhost}, &wire.ConnectionOpenOk{}); err != nil {
		return fmt.Errorf("open vhost %q: %w", u.vhost, err)
	}
	if err := c.call(leanChannel, &wire.ChannelOpen{}, &wire.ChannelOpenOk{}); err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	return nil
}

// send writes m now, with whatever w had buffered before it.
func (c *leanConn) send(channel uint16, m wire.Method) error {
	if err := c.w.WriteMethod(channel, m); err != nil {
		return err
	}
	return c.w.Flush()
}

// sendNow writes m in one Write of its own, leaving w alone: for the
// producer's two goroutines, which do not share w. It allocates, so it is
// for the rare control methods only.
func (c *leanConn) sendNow(channel uint16, m wire.Method) error {
	buf := make([]byte, 7, 64)
	buf[0] = wire.FrameMethod
	binary.BigEndian.PutUint16(buf[1:], channel)
	buf, err := wire.AppendMethodFrame(buf, m)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint32(buf[3:], uint32(len(buf)-7))
	buf = append(buf, wire.FrameEnd)
	_, err = c.nc.Write(buf)
	return err
}

// call sends a synchronous request and waits for its reply, for setup and
// teardown: nothing else may be arriving on the connection then.
func (c *leanConn) call(channel uint16, req, reply wire.Method) error {
	if err := c.send(channel, req); err != nil {
		return err
	}
	return c.await(channel, reply)
}

// await reads frames until reply arrives on channel and decodes it. A
// close from the broker is answered and returned as a *brokerError; any
// other method is a protocol error.
func (c *leanConn) await(channel uint16, reply wire.Method) error {
	wantClass, wantMethod := reply.ID()
	for {
		f, err := c.next()
		if err != nil {
			return err
		}
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		class, method, args, err := methodOf(f)
		if err != nil {
			return err
		}
		if class == wantClass && method == wantMethod && f.Channel == channel {
			return reply.Read(args)
		}
		if err := c.brokerClose(f.Channel, class, method, args); err != nil {
			return err
		}
		return fmt.Errorf("waiting for %s on channel %d, got %s", reply.Name(), channel, methodName(f.Payload))
	}
}

// frameBuffered reports whether a whole frame waits in the read buffer,
// so that reading it costs no system call and cannot block.
func (c *leanConn) frameBuffered() bool {
	n := c.br.Buffered()
	if n < 7 {
		return false
	}
	h, _ := c.br.Peek(7)
	return n >= 8+int(binary.BigEndian.Uint32(h[3:]))
}

// next reads the next frame; its payload is valid until the next call.
// It waits for the whole frame with Peek before ReadFrame consumes it, so
// a read deadline (the consumer's way to stop) may interrupt the wait
// without losing the bytes of a frame half arrived. A frame larger than
// the buffer is larger than frame-max: ReadFrame refuses it.
func (c *leanConn) next() (wire.Frame, error) {
	h, err := c.br.Peek(7)
	if err != nil {
		return wire.Frame{}, err
	}
	if n := 8 + int(binary.BigEndian.Uint32(h[3:])); n <= c.br.Size() {
		if _, err := c.br.Peek(n); err != nil {
			return wire.Frame{}, err
		}
	}
	return c.r.ReadFrame()
}

// methodOf splits a frame that must be a method frame into its ids and
// arguments.
func methodOf(f wire.Frame) (class, method uint16, args []byte, err error) {
	if f.Type != wire.FrameMethod {
		return 0, 0, nil, fmt.Errorf("unexpected %v", f)
	}
	if len(f.Payload) < 4 {
		return 0, 0, nil, fmt.Errorf("method frame of %d bytes", len(f.Payload))
	}
	return binary.BigEndian.Uint16(f.Payload), binary.BigEndian.Uint16(f.Payload[2:]), f.Payload[4:], nil
}

// methodName names the method in a method frame's payload, for errors.
func methodName(payload []byte) string {
	if m, err := wire.ReadMethodFrame(payload); err == nil {
		return m.Name()
	}
	if len(payload) >= 4 {
		return fmt.Sprintf("method %d.%d", binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]))
	}
	return "a short method frame"
}

// brokerError is a connection.close or channel.close from the broker.
type brokerError struct {
	scope string // "connection" or "channel"
	code  uint16
	text  string
}

func (e *brokerError) Error() string {
	text := e.text
	if name := wire.ReplyName(e.code); name != "" && !strings.HasPrefix(text, name) {
		text = name + " - " + text
	}
	return fmt.Sprintf("%s closed by the broker: %d %s", e.scope, e.code, text)
}

// brokerClose answers a connection.close or channel.close from the broker
// with its close-ok (with sendNow, so any goroutine may call it) and
// returns the error it stands for; for other methods it returns nil.
func (c *leanConn) brokerClose(channel, class, method uint16, args []byte) error {
	switch {
	case class == wire.ClassConnection && method == wire.MethodConnectionClose:
		var m wire.ConnectionClose
		if err := m.Read(args); err != nil {
			return err
		}
		_ = c.sendNow(0, &wire.ConnectionCloseOk{})
		return &brokerError{scope: "connection", code: m.ReplyCode, text: m.ReplyText}
	case class == wire.ClassChannel && method == wire.MethodChannelClose:
		var m wire.ChannelClose
		if err := m.Read(args); err != nil {
			return err
		}
		_ = c.sendNow(channel, &wire.ChannelCloseOk{})
		return &brokerError{scope: "channel", code: m.ReplyCode, text: m.ReplyText}
	}
	return nil
}

// close ends the connection cleanly when its reader is free: it sends
// connection.close, reads (and drops) what still arrives until close-ok,
// for leanCloseTimeout at most, and closes the socket. Deliveries that
// arrive meanwhile are never acknowledged, so the broker requeues them.
func (c *leanConn) close() {
	defer c.nc.Close()
	if c.send(0, &wire.ConnectionClose{ReplyCode: wire.ReplySuccess, ReplyText: "ferry-bench done"}) != nil {
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(leanCloseTimeout))
	for {
		f, err := c.next()
		if err != nil {
			return
		}
		if f.Type != wire.FrameMethod {
			continue // content of a delivery that will be requeued
		}
		class, method, args, err := methodOf(f)
		if err != nil || class == wire.ClassConnection && method == wire.MethodConnectionCloseOk {
			return
		}
		// A close of the broker's crossing ours is answered; after a
		// connection.close nothing more will come.
		if c.brokerClose(f.Channel, class, method, args) != nil && class == wire.ClassConnection {
			return
		}
	}
}

// describeReadErr turns a read error into one that says what happened.
func describeReadErr(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the broker closed the connection: %w", err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("read timed out: %w", err)
	}
	return err
}
