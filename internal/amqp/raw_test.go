package amqp_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/message"
)

// rawConn is a hand-driven client for protocol breaches no real client
// commits.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *wire.Reader
	w  *wire.Writer
}

func rawDial(t *testing.T, e *env) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	// A deadline only so that a broken server fails the test instead of
	// hanging it; no result depends on it.
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, r: wire.NewReader(bufio.NewReader(nc)), w: wire.NewWriter(nc)}
}

func (c *rawConn) send(ch uint16, m wire.Method) {
	c.t.Helper()
	must(c.t, c.w.WriteMethod(ch, m))
	must(c.t, c.w.Flush())
}

func (c *rawConn) sendRaw(b []byte) {
	c.t.Helper()
	_, err := c.nc.Write(b)
	must(c.t, err)
}

// next reads the next method, skipping heartbeats.
func (c *rawConn) next() (uint16, wire.Method) {
	c.t.Helper()
	for {
		f, err := c.r.ReadFrame()
		must(c.t, err)
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		if f.Type != wire.FrameMethod {
			c.t.Fatalf("got %s, want a method", f)
		}
		m, err := wire.ReadMethodFrame(f.Payload)
		must(c.t, err)
		return f.Channel, m
	}
}

// open runs the handshake as guest, with heartbeat hb seconds.
func (c *rawConn) open(hb uint16) {
	c.t.Helper()
	c.sendRaw([]byte(wire.ProtocolHeader))
	if _, m := c.next(); m.Name() != "connection.start" {
		c.t.Fatalf("got %s", m.Name())
	}
	c.send(0, &wire.ConnectionStartOk{Mechanism: "PLAIN", Response: "\x00guest\x00guest", Locale: "en_US"})
	_, m := c.next()
	tune, ok := m.(*wire.ConnectionTune)
	if !ok {
		c.t.Fatalf("got %s, want tune", m.Name())
	}
	c.send(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax, Heartbeat: hb})
	c.r.SetFrameMax(tune.FrameMax)
	c.w.SetFrameMax(tune.FrameMax)
	c.send(0, &wire.ConnectionOpen{VirtualHost: "/"})
	if _, m := c.next(); m.Name() != "connection.open-ok" {
		c.t.Fatalf("got %s", m.Name())
	}
}

// expectClose reads until connection.close and returns it.
func (c *rawConn) expectClose() *wire.ConnectionClose {
	c.t.Helper()
	for {
		_, m := c.next()
		if cl, ok := m.(*wire.ConnectionClose); ok {
			return cl
		}
	}
}

// expectEOF waits for the server to close the socket.
func (c *rawConn) expectEOF() {
	c.t.Helper()
	_, err := io.ReadAll(c.nc)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatal("server did not close the socket")
		}
	}
}

func TestBadProtocolHeader(t *testing.T) {
	e := start(t)
	for _, hdr := range []string{"AMQP\x00\x00\x09\x00", "AMQP\x01\x01\x00\x0a", "GET / HTTP/1.1\r\n"} {
		c := rawDial(t, e)
		c.sendRaw([]byte(hdr)[:8])
		got, err := io.ReadAll(c.nc)
		must(t, err)
		if string(got) != wire.ProtocolHeader {
			t.Fatalf("after %q the server sent %q, want the 0-9-1 header and close", hdr, got)
		}
	}
}

// TestGarbageFrameClosesWith501: a frame with a bad frame-end closes that
// connection with FRAME_ERROR; another connection is unaffected.
func TestGarbageFrameClosesWith501(t *testing.T) {
	e := start(t)
	_, good := e.channel()
	declare(t, good, "survivor")

	c := rawDial(t, e)
	c.open(0)
	c.sendRaw([]byte{wire.FrameMethod, 0, 1, 0, 0, 0, 4, 0, 20, 0, 10, 0xAB}) // frame-end 0xAB
	cl := c.expectClose()
	if cl.ReplyCode != wire.FrameError {
		t.Fatalf("close code %d (%s), want 501", cl.ReplyCode, cl.ReplyText)
	}
	c.send(0, &wire.ConnectionCloseOk{})
	c.expectEOF()

	publish(t, good, "", "survivor", "still here")
	if d, ok, err := good.Get("survivor", true); !ok || err != nil || string(d.Body) != "still here" {
		t.Fatalf("other connection after the bad one: ok=%v err=%v", ok, err)
	}
}

func TestProtocolBreaches(t *testing.T) {
	e := start(t)
	cases := []struct {
		name string
		do   func(c *rawConn)
		code uint16
	}{
		{"method on a channel not open", func(c *rawConn) {
			c.send(5, &wire.QueueDeclare{Queue: "q"})
		}, wire.ChannelError},
		{"channel above channel-max", func(c *rawConn) {
			c.send(4000, &wire.ChannelOpen{})
		}, wire.NotAllowed},
		{"second channel.open", func(c *rawConn) {
			c.send(1, &wire.ChannelOpen{})
			c.next()
			c.send(1, &wire.ChannelOpen{})
		}, wire.ChannelError},
		{"content header without publish", func(c *rawConn) {
			c.send(1, &wire.ChannelOpen{})
			c.next()
			h := wire.ContentHeader{ClassID: wire.ClassBasic, BodySize: 1}
			p, err := h.Append(nil)
			must(t, err)
			must(t, c.w.WriteFrame(wire.Frame{Type: wire.FrameHeader, Channel: 1, Payload: p}))
			must(t, c.w.Flush())
		}, wire.UnexpectedFrame},
		{"method where content was due", func(c *rawConn) {
			c.send(1, &wire.ChannelOpen{})
			c.next()
			c.send(1, &wire.BasicPublish{RoutingKey: "q"})
			c.send(1, &wire.QueueDeclare{Queue: "q"})
		}, wire.UnexpectedFrame},
		{"unknown method", func(c *rawConn) {
			c.sendRaw([]byte{wire.FrameMethod, 0, 0, 0, 0, 0, 4, 0, 99, 0, 1, wire.FrameEnd})
		}, wire.NotImplemented},
		{"truncated arguments", func(c *rawConn) {
			c.sendRaw([]byte{wire.FrameMethod, 0, 1, 0, 0, 0, 5, 0, 20, 0, 10, 7, wire.FrameEnd})
		}, wire.SyntaxError},
		{"frame over frame-max", func(c *rawConn) {
			// A body frame announcing 1 MiB, past the negotiated 128 KiB;
			// refused from its header, before the payload is read.
			c.sendRaw([]byte{wire.FrameBody, 0, 1, 0, 0x10, 0, 0})
		}, wire.FrameError},
		{"body longer than its header said", func(c *rawConn) {
			c.send(1, &wire.ChannelOpen{})
			c.next()
			c.send(1, &wire.BasicPublish{RoutingKey: "q"})
			h := wire.ContentHeader{ClassID: wire.ClassBasic, BodySize: 2}
			p, err := h.Append(nil)
			must(t, err)
			must(t, c.w.WriteFrame(wire.Frame{Type: wire.FrameHeader, Channel: 1, Payload: p}))
			must(t, c.w.WriteFrame(wire.Frame{Type: wire.FrameBody, Channel: 1, Payload: []byte("abc")}))
			must(t, c.w.Flush())
		}, wire.UnexpectedFrame},
		{"connection method on a channel", func(c *rawConn) {
			c.send(1, &wire.ConnectionOpen{VirtualHost: "/"})
		}, wire.CommandInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, e)
			c.t = t
			c.open(0)
			tc.do(c)
			cl := c.expectClose()
			if cl.ReplyCode != tc.code {
				t.Fatalf("close %d %q, want code %d", cl.ReplyCode, cl.ReplyText, tc.code)
			}
			c.send(0, &wire.ConnectionCloseOk{})
			c.expectEOF()
		})
	}
}

func TestServerNamedConsumerTag(t *testing.T) {
	e := start(t)
	c := rawDial(t, e)
	c.open(0)
	c.send(1, &wire.ChannelOpen{})
	c.next()
	c.send(1, &wire.QueueDeclare{Queue: "tags"})
	c.next()
	c.send(1, &wire.BasicConsume{Queue: "tags"})
	_, m := c.next()
	ok, isOk := m.(*wire.BasicConsumeOk)
	if !isOk || len(ok.ConsumerTag) < len("amq.ctag-")+8 || ok.ConsumerTag[:9] != "amq.ctag-" {
		t.Fatalf("consume-ok: %#v", m)
	}
	// Reusing a live tag on the channel is a connection error (530).
	c.send(1, &wire.BasicConsume{Queue: "tags", ConsumerTag: ok.ConsumerTag})
	if cl := c.expectClose(); cl.ReplyCode != wire.NotAllowed {
		t.Fatalf("tag reuse: %d %q", cl.ReplyCode, cl.ReplyText)
	}
}

// TestHeartbeatTimeout: a client that negotiated heartbeats and then
// stays silent is disconnected after two intervals (1 s here), having
// been sent heartbeats meanwhile.
func TestHeartbeatTimeout(t *testing.T) {
	e := start(t)
	c := rawDial(t, e)
	c.open(1)
	sawHeartbeat := false
	for {
		f, err := c.r.ReadFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("server never closed the silent connection")
				}
			}
			break
		}
		if f.Type == wire.FrameHeartbeat {
			sawHeartbeat = true
		}
	}
	if !sawHeartbeat {
		t.Fatal("no heartbeat from the server before it closed")
	}
}

// TestHandshakeTimeout: a client that connects and sends nothing is
// disconnected once the handshake timeout passes.
func TestHandshakeTimeout(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
	e.cfg.HandshakeTimeout = 100 * time.Millisecond
	e.up()
	t.Cleanup(e.down)
	c := rawDial(t, e)
	c.sendRaw([]byte(wire.ProtocolHeader))
	if _, m := c.next(); m.Name() != "connection.start" {
		t.Fatalf("got %s", m.Name())
	}
	c.expectEOF() // no start-ok: the server gives up
}

// TestReturnsBeforeCloseOk: basic.returns of publishes made before the
// client's connection.close reach it before close-ok, as from RabbitMQ
// (the writer once sent channel-0 frames first, and the returns queued on
// the channel were lost with the socket).
func TestReturnsBeforeCloseOk(t *testing.T) {
	e := start(t)
	c := rawDial(t, e)
	c.open(0)
	c.send(1, &wire.ChannelOpen{})
	c.next()
	const n = 300
	body := []byte("unroutable")
	for range n {
		must(t, c.w.WriteContent(1, &wire.BasicPublish{RoutingKey: "no-such-queue", Mandatory: true},
			&message.Properties{}, body))
	}
	must(t, c.w.WriteMethod(0, &wire.ConnectionClose{ReplyCode: wire.ReplySuccess, ReplyText: "bye"}))
	must(t, c.w.Flush())
	returns := 0
	for {
		f, err := c.r.ReadFrame()
		must(t, err)
		if f.Type != wire.FrameMethod {
			continue // the returns' headers and bodies
		}
		m, err := wire.ReadMethodFrame(f.Payload)
		must(t, err)
		switch m.(type) {
		case *wire.BasicReturn:
			returns++
			continue
		case *wire.ConnectionCloseOk:
		default:
			t.Fatalf("got %s", m.Name())
		}
		break
	}
	if returns != n {
		t.Fatalf("%d basic.returns before close-ok, want %d", returns, n)
	}
}
