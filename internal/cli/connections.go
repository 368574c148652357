package cli

import (
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// connection is what the CLI shows of /api/connections.
type connection struct {
	Name        string `json:"name"`
	User        string `json:"user"`
	VHost       string `json:"vhost"`
	Protocol    string `json:"protocol"`
	State       string `json:"state"`
	Channels    int    `json:"channels"`
	RecvOct     int64  `json:"recv_oct"`
	SendOct     int64  `json:"send_oct"`
	ConnectedAt int64  `json:"connected_at"` // ms since the epoch
	Timeout     int    `json:"timeout"`
}

var connectionsList = &command{
	path: "connections list", summary: "list client connections", maxArgs: 0,
	about: `Lists the AMQP connections of every vhost: name (peer -> local address), user,
vhost, channels, bytes received and sent, and when it connected. The name is
what 'ferry connections close' takes.`,
	setup: func(*flag.FlagSet) func(*session, []string) error {
		return func(s *session, _ []string) error {
			var cs []connection
			data, err := s.api.getJSON(s.ctx, "/api/connections", &cs)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			now := s.now()
			t := newTable(s.io.Stdout, "NAME", "USER", "VHOST", "PROTOCOL", "CHANNELS", "RECEIVED", "SENT", "CONNECTED")
			for _, c := range cs {
				t.row(c.Name, c.User, c.VHost, c.Protocol, strconv.Itoa(c.Channels), humanBytes(c.RecvOct), humanBytes(c.SendOct),
					ago(time.UnixMilli(c.ConnectedAt), now))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if len(cs) == 0 {
				fmt.Fprintln(s.io.Stdout, "(no connections)")
			}
			return nil
		}
	},
}

var connectionsClose = &command{
	path: "connections close", args: "NAME", summary: "close a client connection", minArgs: 1, maxArgs: 1,
	about: `Closes a connection with 320 CONNECTION_FORCED and the --reason text, which the
client sees. NAME is as 'ferry connections list' shows it; quote it, it holds
spaces: ferry connections close '127.0.0.1:50712 -> 127.0.0.1:5672'.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		reason := fs.String("reason", "", "the `text` the client is told (default: Closed via management plugin)")
		return func(s *session, pos []string) error {
			hdr := http.Header{}
			if *reason != "" {
				hdr.Set("X-Reason", *reason)
			}
			if _, err := s.api.call(s.ctx, http.MethodDelete, apiPath("api", "connections", pos[0]), nil, hdr); err != nil {
				return err
			}
			if !s.json {
				fmt.Fprintf(s.io.Stdout, "connection %s closed\n", pos[0])
			}
			return nil
		}
	},
}
