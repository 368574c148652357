package cli

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"unicode/utf8"
)

// maxBody caps a body read from a file or stdin: the admin API reads at
// most 16 MiB of JSON, and base64 makes a body a third larger.
const maxBody = 12 << 20

// intProperties are the basic properties whose values are numbers.
var intProperties = map[string]bool{"delivery_mode": true, "priority": true, "timestamp": true}

var publishCmd = &command{
	path: "publish", args: "[QUEUE]", summary: "publish a message (body from --body, --file or stdin)", maxArgs: 1,
	about: `Publishes one message through the admin API, as a client would: routed by
the exchange and answered once every queue that took it has stored it. Name a
QUEUE to send to it through the default exchange, or give --exchange and
--routing-key. The body is --body, else the contents of --file, else stdin.
Messages are persistent (delivery_mode=2) unless --property delivery_mode=1.
Headers are typed as queue arguments are (see 'ferry help queues create');
properties use RabbitMQ's names: content_type, message_id, correlation_id,
reply_to, expiration, type, app_id, priority, timestamp, delivery_mode...
Exits 1 if no queue took the message.

  ferry publish orders --body '{"id": 1}' --property content_type=application/json
  ferry publish --exchange amq.topic --routing-key orders.eu --header tenant=acme < order.json`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		exchange := fs.String("exchange", "", "`exchange` to publish to (default: the default exchange)")
		key := fs.String("routing-key", "", "routing `key`")
		body := fs.String("body", "", "message body `text`")
		file := fs.String("file", "", "read the body from `path`")
		var headers, props listFlag
		fs.Var(&headers, "header", "message header `key=value` (repeatable)")
		fs.Var(&props, "property", "message property `key=value` (repeatable)")
		bodySet := false
		return func(s *session, pos []string) error {
			fs.Visit(func(f *flag.Flag) { bodySet = bodySet || f.Name == "body" })
			rk, ex := *key, *exchange
			if len(pos) == 1 {
				if rk != "" || ex != "" {
					return usageErrorf("give a QUEUE or --exchange/--routing-key, not both")
				}
				rk = pos[0]
			}
			if ex == "" {
				ex = "amq.default"
			}
			if ex == "amq.default" && rk == "" {
				return usageErrorf("name a QUEUE (or --routing-key) for the default exchange")
			}
			if bodySet && *file != "" {
				return usageErrorf("give --body or --file, not both")
			}
			if !bodySet && *file == "" && s.io.StdinIsTerminal {
				fmt.Fprintln(s.io.Stderr, "reading the message body from stdin; end it with Ctrl-D")
			}
			payload, err := readBody(bodySet, *body, *file, s.io.Stdin)
			if err != nil {
				return err
			}
			properties, err := messageProperties(props, headers)
			if err != nil {
				return err
			}
			req := map[string]any{"routing_key": rk, "properties": properties}
			if utf8.Valid(payload) {
				req["payload"], req["payload_encoding"] = string(payload), "string"
			} else {
				req["payload"], req["payload_encoding"] = base64.StdEncoding.EncodeToString(payload), "base64"
			}
			var out struct {
				Routed bool `json:"routed"`
			}
			data, err := s.api.sendJSON(s.ctx, http.MethodPost, apiPath("api", "exchanges", s.vhost, ex, "publish"), req, &out)
			if err != nil {
				return err
			}
			if s.json {
				if err := printJSON(s.io.Stdout, data); err != nil {
					return err
				}
			} else if out.Routed {
				fmt.Fprintf(s.io.Stdout, "published %s to exchange %s with routing key %q\n", humanBytes(int64(len(payload))), exchangeName(ex), rk)
			}
			if !out.Routed {
				fmt.Fprintf(s.io.Stderr, "ferry publish: the message was not routed to any queue (exchange %s, routing key %q)\n", exchangeName(ex), rk)
				return &failedError{"not routed"}
			}
			return nil
		}
	},
}

func exchangeName(ex string) string {
	if ex == "amq.default" {
		return "(default)"
	}
	return ex
}

// readBody returns the message body: --body if set, else --file, else
// stdin.
func readBody(bodySet bool, body, file string, stdin io.Reader) ([]byte, error) {
	switch {
	case bodySet:
		return []byte(body), nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		return readLimited(f, "--file "+file)
	case stdin != nil:
		return readLimited(stdin, "stdin")
	}
	return nil, nil
}

func readLimited(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body from %s: %w", what, err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("the body from %s is larger than %s", what, humanBytes(maxBody))
	}
	return b, nil
}

// messageProperties builds the API's properties object from --property
// and --header flags.
func messageProperties(props, headers []string) (map[string]any, error) {
	out := map[string]any{"delivery_mode": 2}
	for _, kv := range props {
		k, v, err := keyValue("property", kv)
		if err != nil {
			return nil, err
		}
		if k == "headers" {
			return nil, usageErrorf("give headers with --header key=value, not --property headers=")
		}
		if intProperties[k] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, usageErrorf("--property %s wants a whole number, got %q", k, v)
			}
			out[k] = n
			continue
		}
		out[k] = v
	}
	h, err := typedMap("header", headers)
	if err != nil {
		return nil, err
	}
	if h != nil {
		out["headers"] = h
	}
	return out, nil
}

// gotten is one message of a get answer.
type gotten struct {
	PayloadBytes    int            `json:"payload_bytes"`
	Redelivered     bool           `json:"redelivered"`
	Exchange        string         `json:"exchange"`
	RoutingKey      string         `json:"routing_key"`
	MessageCount    int            `json:"message_count"`
	Properties      map[string]any `json:"properties"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"`
}

var consumeCmd = &command{
	path: "consume", args: "QUEUE", summary: "take messages from a queue and acknowledge them", minArgs: 1, maxArgs: 1,
	about: `Takes up to --count ready messages from QUEUE and acknowledges them: they are
gone once this prints them. With --requeue they are given back instead (marked
redelivered, their delivery count raised), which peeks at a queue; to look
without touching delivery counts use 'ferry queues browse'.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		count := fs.Int("count", 1, "how many messages at most (1 to 1000)")
		requeue := fs.Bool("requeue", false, "give the messages back instead of acknowledging them")
		return func(s *session, pos []string) error {
			if *count < 1 || *count > 1000 {
				return usageErrorf("--count must be 1 to 1000, got %d", *count)
			}
			mode := "ack_requeue_false"
			if *requeue {
				mode = "ack_requeue_true"
			}
			var msgs []gotten
			data, err := s.api.sendJSON(s.ctx, http.MethodPost, s.queuePath(pos[0], "get"),
				map[string]any{"count": *count, "ackmode": mode, "encoding": "auto"}, &msgs)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			if len(msgs) == 0 {
				fmt.Fprintf(s.io.Stderr, "no messages ready in %s\n", pos[0])
				return nil
			}
			t := newTable(s.io.Stdout, "#", "EXCHANGE", "ROUTING KEY", "REDELIVERED", "LEFT", "PROPERTIES", "HEADERS", "PAYLOAD")
			for i, m := range msgs {
				props := map[string]any{}
				for k, v := range m.Properties {
					if k != "headers" {
						props[k] = v
					}
				}
				hdrs, _ := m.Properties["headers"].(map[string]any)
				ex := m.Exchange
				if ex == "" {
					ex = "(default)"
				}
				t.row(strconv.Itoa(i+1), ex, m.RoutingKey, yesNo(m.Redelivered), strconv.Itoa(m.MessageCount),
					pairs(props), preview(pairs(visibleHeaders(hdrs)), 60), bodyCell(m.Payload, m.PayloadEncoding, 1<<20))
			}
			return t.flush()
		}
	},
}
