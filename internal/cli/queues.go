package cli

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// queueInfo is what the CLI shows of /api/queues.
type queueInfo struct {
	Name         string         `json:"name"`
	VHost        string         `json:"vhost"`
	Type         string         `json:"type"`
	Durable      bool           `json:"durable"`
	Arguments    map[string]any `json:"arguments"`
	State        string         `json:"state"`
	Messages     int64          `json:"messages"`
	Ready        int64          `json:"messages_ready"`
	Unacked      int64          `json:"messages_unacknowledged"`
	MessageBytes int64          `json:"message_bytes"`
	Consumers    int            `json:"consumers"`
	MessageStats struct {
		PublishDetails    rate `json:"publish_details"`
		DeliverGetDetails rate `json:"deliver_get_details"`
		AckDetails        rate `json:"ack_details"`
	} `json:"message_stats"`
	Ferry struct {
		Delayed      int64             `json:"messages_delayed"`
		Dead         int64             `json:"messages_dead"`
		DeadLettered map[string]uint64 `json:"dead_lettered"`
	} `json:"ferry"`
}

type rate struct {
	Rate float64 `json:"rate"`
}

// kind is the queue's type as shown: fifo for x-fifo queues.
func (q *queueInfo) kind() string {
	if b, _ := q.Arguments["x-fifo"].(bool); b {
		return "fifo"
	}
	if q.Type == "" {
		return "classic"
	}
	return q.Type
}

func (s *session) queues() ([]queueInfo, []byte, error) {
	var qs []queueInfo
	data, err := s.api.getJSON(s.ctx, apiPath("api", "queues", s.vhost), &qs)
	return qs, data, err
}

func (s *session) queuePath(name string, more ...string) string {
	return apiPath(append([]string{"api", "queues", s.vhost, name}, more...)...)
}

var queuesList = &command{
	path: "queues list", summary: "list the queues of the vhost with depths and rates", maxArgs: 0,
	about: `Lists the queues of the vhost: type, durability, ready, unacknowledged and
delayed messages, consumers, publish and deliver rates (over the server's last
sample interval) and the bytes of the messages they hold.`,
	setup: func(*flag.FlagSet) func(*session, []string) error {
		return func(s *session, _ []string) error {
			qs, data, err := s.queues()
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			t := newTable(s.io.Stdout, "NAME", "TYPE", "DURABLE", "READY", "UNACKED", "DELAYED", "CONSUMERS", "PUBLISH/S", "DELIVER/S", "SIZE")
			for _, q := range qs {
				name := q.Name
				if q.State != "" && q.State != "running" {
					name += " (" + q.State + ")"
				}
				t.row(name, q.kind(), yesNo(q.Durable), itoa(q.Ready), itoa(q.Unacked), itoa(q.Ferry.Delayed), strconv.Itoa(q.Consumers),
					humanRate(q.MessageStats.PublishDetails.Rate), humanRate(q.MessageStats.DeliverGetDetails.Rate), humanBytes(q.MessageBytes))
			}
			return t.flush()
		}
	},
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var queuesCreate = &command{
	path: "queues create", args: "NAME", summary: "declare a queue", minArgs: 1, maxArgs: 1,
	about: `Declares a queue, durable unless --durable=false, with arguments given as
--arg key=value (repeatable). Values are typed: whole numbers are integers,
decimals floats, true/false booleans, anything else text; quote a value to
keep it text (--arg 'x-name="123"'). Declaring a queue that exists with the
same settings succeeds; with other settings it fails with the API's reason.

  ferry queues create orders --arg x-delivery-limit=5 --arg x-dead-letter-exchange= \
      --arg x-dead-letter-routing-key=orders.dlq`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		durable := fs.Bool("durable", true, "the queue and its persistent messages survive a restart")
		autoDelete := fs.Bool("auto-delete", false, "delete the queue when its last consumer goes")
		var args listFlag
		fs.Var(&args, "arg", "queue argument `key=value` (repeatable)")
		return func(s *session, pos []string) error {
			a, err := typedMap("arg", args)
			if err != nil {
				return err
			}
			body := map[string]any{"durable": *durable, "auto_delete": *autoDelete}
			if a != nil {
				body["arguments"] = a
			}
			if _, err := s.api.sendJSON(s.ctx, http.MethodPut, s.queuePath(pos[0]), body, nil); err != nil {
				return err
			}
			if !s.json {
				fmt.Fprintf(s.io.Stdout, "queue %s declared in vhost %s\n", pos[0], s.vhost)
			}
			return nil
		}
	},
}

var queuesDelete = &command{
	path: "queues delete", args: "NAME", summary: "delete a queue and its messages", minArgs: 1, maxArgs: 1,
	about: `Deletes a queue with the messages it holds. With --if-empty it refuses if the
queue holds messages, with --if-unused if it has consumers.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		ifEmpty := fs.Bool("if-empty", false, "refuse if the queue holds messages")
		ifUnused := fs.Bool("if-unused", false, "refuse if the queue has consumers")
		return func(s *session, pos []string) error {
			q := url.Values{}
			if *ifEmpty {
				q.Set("if-empty", "true")
			}
			if *ifUnused {
				q.Set("if-unused", "true")
			}
			path := s.queuePath(pos[0])
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			if _, err := s.api.call(s.ctx, http.MethodDelete, path, nil, nil); err != nil {
				return err
			}
			if !s.json {
				fmt.Fprintf(s.io.Stdout, "queue %s deleted\n", pos[0])
			}
			return nil
		}
	},
}

var queuesPurge = &command{
	path: "queues purge", args: "NAME", summary: "remove a queue's waiting messages", minArgs: 1, maxArgs: 1,
	about: `Removes every ready and delayed message of a queue; messages delivered and not
yet acknowledged stay.`,
	setup: func(*flag.FlagSet) func(*session, []string) error {
		return func(s *session, pos []string) error {
			before, _ := s.queueDepth(pos[0])
			if _, err := s.api.call(s.ctx, http.MethodDelete, s.queuePath(pos[0], "contents"), nil, nil); err != nil {
				return err
			}
			if !s.json {
				if before >= 0 {
					fmt.Fprintf(s.io.Stdout, "queue %s purged (%s waiting)\n", pos[0], plural(int(before), "message"))
				} else {
					fmt.Fprintf(s.io.Stdout, "queue %s purged\n", pos[0])
				}
			}
			return nil
		}
	},
}

// queueDepth is a queue's ready count, -1 if unknown.
func (s *session) queueDepth(name string) (int64, error) {
	var q queueInfo
	if _, err := s.api.getJSON(s.ctx, s.queuePath(name), &q); err != nil {
		return -1, err
	}
	return q.Ready + q.Ferry.Delayed, nil
}

// browsed is a message as Ferry's browse shows it.
type browsed struct {
	ID              uint64           `json:"id"`
	State           string           `json:"state"`
	Deliveries      uint32           `json:"deliveries"`
	Size            int              `json:"size"`
	EnqueuedAt      time.Time        `json:"enqueued_at"`
	DeadReason      string           `json:"dead_reason"`
	Exchange        string           `json:"exchange"`
	RoutingKey      string           `json:"routing_key"`
	Properties      messageProps     `json:"properties"`
	Payload         string           `json:"payload"`
	PayloadEncoding string           `json:"payload_encoding"`
	PayloadBytes    int              `json:"payload_bytes"`
	XDeath          []map[string]any `json:"x_death"`
	Error           string           `json:"error"`
}

// messageProps are the properties the CLI shows; the rest stay in
// --json.
type messageProps struct {
	MessageID string         `json:"message_id"`
	Headers   map[string]any `json:"headers"`
}

type browsePage struct {
	Messages []browsed `json:"messages"`
	Next     uint64    `json:"next"`
}

// browse fetches one page of a queue's messages from id from on.
func (s *session) browse(queue string, from uint64, limit int, base64 bool) (browsePage, []byte, error) {
	q := url.Values{}
	if from > 1 {
		q.Set("after", strconv.FormatUint(from-1, 10))
	}
	q.Set("limit", strconv.Itoa(limit))
	if base64 {
		q.Set("encoding", "base64")
	}
	var p browsePage
	data, err := s.api.getJSON(s.ctx, apiPath("api", "ferry", "queues", s.vhost, queue, "messages")+"?"+q.Encode(), &p)
	return p, data, err
}

// bodyCell previews a browsed or gotten payload.
func bodyCell(payload, encoding string, width int) string {
	if encoding == "base64" {
		return "base64:" + preview(payload, width)
	}
	return preview(payload, width)
}

// visibleHeaders drops x-death (shown apart) from headers.
func visibleHeaders(h map[string]any) map[string]any {
	out := make(map[string]any, len(h))
	for k, v := range h {
		if k != "x-death" {
			out[k] = v
		}
	}
	return out
}

var queuesBrowse = &command{
	path: "queues browse", args: "NAME", summary: "show a queue's messages without taking them", minArgs: 1, maxArgs: 1,
	about: `Shows a queue's messages in id order, whatever their state (ready, delayed,
leased, dead), without taking them: id, state, deliveries, when it was
enqueued, headers and the start of the body. --from starts at a message id; the
last line says how to see the next page.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		from := fs.Uint64("from", 0, "first message `id` to show")
		limit := fs.Int("limit", 20, "how many messages to show (1 to 1000)")
		b64 := fs.Bool("base64", false, "show every body in base64")
		return func(s *session, pos []string) error {
			if *limit < 1 || *limit > 1000 {
				return usageErrorf("--limit must be 1 to 1000, got %d", *limit)
			}
			p, data, err := s.browse(pos[0], *from, *limit, *b64)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			now := s.now()
			t := newTable(s.io.Stdout, "ID", "STATE", "DELIVERIES", "ENQUEUED", "HEADERS", "BODY")
			for _, m := range p.Messages {
				body := bodyCell(m.Payload, m.PayloadEncoding, 40)
				if m.Error != "" {
					body = "(" + m.Error + ")"
				}
				state := m.State
				if m.DeadReason != "" {
					state += " (" + m.DeadReason + ")"
				}
				t.row(strconv.FormatUint(m.ID, 10), state, strconv.FormatUint(uint64(m.Deliveries), 10), ago(m.EnqueuedAt, now),
					preview(pairs(visibleHeaders(m.Properties.Headers)), 60), body)
			}
			if err := t.flush(); err != nil {
				return err
			}
			switch {
			case len(p.Messages) == 0:
				fmt.Fprintln(s.io.Stdout, "(no messages)")
			case p.Next != 0:
				fmt.Fprintf(s.io.Stdout, "more: ferry queues browse %s --from %d\n", pos[0], p.Next+1)
			}
			return nil
		}
	},
}
