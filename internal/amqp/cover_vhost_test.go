package amqp_test

import (
	"testing"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/auth"
)

// coverOpenAs runs the handshake as user with password, asks for vhost,
// and returns the server's answer to connection.open. Unlike rawConn.open
// it lets the test pick the user and the vhost, and does not judge the
// answer: amqp091-go turns any failed connection.open into ErrVhost and
// drops the reply code and text, which are what is tested here.
func (c *rawConn) coverOpenAs(user, password, vhost string) wire.Method {
	c.t.Helper()
	c.sendRaw([]byte(wire.ProtocolHeader))
	if _, m := c.next(); m.Name() != "connection.start" {
		c.t.Fatalf("got %s, want connection.start", m.Name())
	}
	c.send(0, &wire.ConnectionStartOk{Mechanism: "PLAIN", Response: "\x00" + user + "\x00" + password, Locale: "en_US"})
	_, m := c.next()
	tune, ok := m.(*wire.ConnectionTune)
	if !ok {
		c.t.Fatalf("got %s, want connection.tune (credentials refused?)", m.Name())
	}
	c.send(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax})
	c.r.SetFrameMax(tune.FrameMax)
	c.w.SetFrameMax(tune.FrameMax)
	c.send(0, &wire.ConnectionOpen{VirtualHost: vhost})
	ch, m := c.next()
	if ch != 0 {
		c.t.Fatalf("answer to connection.open on channel %d: %s", ch, m.Name())
	}
	return m
}

// TestCoverVHostRefusedNotAllowed: connection.open to a vhost that does
// not exist, or that the user may not use, is answered with
// connection.close 530 NOT_ALLOWED naming the vhost (and the user), for
// connection.open, in RabbitMQ's words; after close-ok the socket is
// closed. The same users get open-ok where they are allowed, so the
// refusals are about the vhost, not the credentials.
func TestCoverVHostRefusedNotAllowed(t *testing.T) {
	e := start(t)
	must(t, e.broker.AddVHost("dev"))
	must(t, e.users.Add("alice", "secret", auth.UserOptions{VHosts: []string{"/"}}))

	refused := []struct {
		name, user, pass, vhost, text string
	}{
		{"missing vhost", "guest", "guest", "nosuch", "NOT_ALLOWED - vhost nosuch not found"},
		{"missing vhost, granted to nobody", "alice", "secret", "/nosuch", "NOT_ALLOWED - vhost /nosuch not found"},
		{"vhost not granted", "guest", "guest", "dev", "NOT_ALLOWED - access to vhost 'dev' refused for user 'guest'"},
		{"vhost not granted to this user", "alice", "secret", "dev", "NOT_ALLOWED - access to vhost 'dev' refused for user 'alice'"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, e)
			c.t = t
			m := c.coverOpenAs(tc.user, tc.pass, tc.vhost)
			cl, ok := m.(*wire.ConnectionClose)
			if !ok {
				t.Fatalf("connection.open to %q as %s: got %s, want connection.close", tc.vhost, tc.user, m.Name())
			}
			if cl.ReplyCode != wire.NotAllowed || cl.ReplyText != tc.text {
				t.Errorf("close %d %q, want %d %q", cl.ReplyCode, cl.ReplyText, wire.NotAllowed, tc.text)
			}
			if cl.ClassID != wire.ClassConnection || cl.MethodID != wire.MethodConnectionOpen {
				t.Errorf("close names method %d.%d, want connection.open (%d.%d)", cl.ClassID, cl.MethodID,
					wire.ClassConnection, wire.MethodConnectionOpen)
			}
			c.send(0, &wire.ConnectionCloseOk{})
			c.expectEOF()
		})
	}

	// Once alice may use dev, the same open succeeds.
	must(t, e.users.Grant("alice", "dev"))
	allowed := []struct{ user, pass, vhost string }{
		{"guest", "guest", "/"},
		{"alice", "secret", "/"},
		{"alice", "secret", "dev"},
	}
	for _, a := range allowed {
		c := rawDial(t, e)
		if m := c.coverOpenAs(a.user, a.pass, a.vhost); m.Name() != "connection.open-ok" {
			t.Errorf("connection.open to %q as %s: got %s, want open-ok", a.vhost, a.user, m.Name())
		}
	}
}
