package amqp_test

import (
	"io"
	"testing"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// startOk sends the protocol header and a start-ok after the server's
// start; withClose announces authentication_failure_close.
func (c *rawConn) startOk(mechanism, response string, withClose bool) {
	c.t.Helper()
	c.sendRaw([]byte(wire.ProtocolHeader))
	if _, m := c.next(); m.Name() != "connection.start" {
		c.t.Fatalf("got %s, want connection.start", m.Name())
	}
	props := message.Table{{Key: "product", Value: "login test"}}
	if withClose {
		props = append(props, message.Field{Key: "capabilities", Value: message.Table{{Key: "authentication_failure_close", Value: true}}})
	}
	c.send(0, &wire.ConnectionStartOk{ClientProperties: props, Mechanism: mechanism, Response: response, Locale: "en_US"})
}

// TestLoginRefusedCloses: a client that announced
// authentication_failure_close learns why its login was refused from a
// connection.close (403 for credentials, 503 for a mechanism not
// offered); one that did not gets the socket closed with nothing more
// written, as the spec says for start-ok.
func TestLoginRefusedCloses(t *testing.T) {
	e := start(t)
	refused := "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."
	cases := []struct {
		name                string
		mechanism, response string
		code                uint16
		text                string
	}{
		{"wrong password", "PLAIN", "\x00guest\x00wrong", wire.AccessRefused, refused},
		{"unknown user", "PLAIN", "\x00nobody\x00guest", wire.AccessRefused, refused},
		{"malformed response", "PLAIN", "guest", wire.AccessRefused, refused},
		{"unknown mechanism", "EXTERNAL", "", wire.CommandInvalid, "COMMAND_INVALID - unknown authentication mechanism 'EXTERNAL'"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := rawDial(t, e)
			c.startOk(tt.mechanism, tt.response, true)
			cl := c.expectClose()
			if cl.ReplyCode != tt.code || cl.ReplyText != tt.text || cl.ClassID != 10 || cl.MethodID != 11 {
				t.Fatalf("close = %d %q (%d.%d), want %d %q on connection.start-ok", cl.ReplyCode, cl.ReplyText, cl.ClassID, cl.MethodID, tt.code, tt.text)
			}
			c.send(0, &wire.ConnectionCloseOk{})
			c.expectEOF()

			c = rawDial(t, e)
			c.startOk(tt.mechanism, tt.response, false)
			rest, err := io.ReadAll(c.nc)
			must(t, err)
			if len(rest) != 0 {
				t.Fatalf("without the capability the server wrote %q before closing", rest)
			}
		})
	}
}
