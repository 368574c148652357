package cli

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// historyAnswer is the answer of both history endpoints.
type historyAnswer struct {
	VHost     string         `json:"vhost"`
	MessageID string         `json:"message_id"`
	Events    []historyEvent `json:"events"`
	Truncated bool           `json:"truncated"`
}

type historyEvent struct {
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Queue      string    `json:"queue"`
	ID         uint64    `json:"id"`
	Connection string    `json:"connection"`
	Consumer   string    `json:"consumer"`
	Deliveries int       `json:"deliveries"`
	Reason     string    `json:"reason"`
	Detail     string    `json:"detail"`
}

var historyCmd = &command{
	path: "history", args: "[MESSAGE-ID]", summary: "show what happened to a message", maxArgs: 1,
	about: `Shows a message's history, oldest event first: published, delivered, acked,
nacked, requeued, retry_scheduled, expired, dead_lettered, redriven, deleted,
purged, with the queue, connection and consumer of each. By MESSAGE-ID (the
AMQP message_id property or the SQS MessageId) it follows the message across
queues (dead-lettering, redrive); with --queue and --id (the id browse shows)
it shows one queue's record. History is kept for queues with the argument
x-history=true or a policy with history: true.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		queue := fs.String("queue", "", "the `queue` of the message (with --id)")
		id := fs.Uint64("id", 0, "the message's engine `id` in --queue, as browse shows it")
		return func(s *session, pos []string) error {
			var path string
			switch {
			case len(pos) == 1 && (*queue != "" || *id != 0):
				return usageErrorf("give a MESSAGE-ID or --queue and --id, not both")
			case len(pos) == 1:
				path = apiPath("api", "ferry", "history", s.vhost, pos[0])
			case *queue != "" && *id != 0:
				path = apiPath("api", "ferry", "queues", s.vhost, *queue, "messages", strconv.FormatUint(*id, 10), "history")
			default:
				return usageErrorf("give a MESSAGE-ID, or --queue and --id")
			}
			var h historyAnswer
			data, err := s.api.getJSON(s.ctx, path, &h)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			sort.SliceStable(h.Events, func(i, j int) bool { return h.Events[i].At.Before(h.Events[j].At) })
			t := newTable(s.io.Stdout, "AT", "EVENT", "QUEUE", "ID", "DELIVERIES", "CONNECTION", "CONSUMER", "REASON", "DETAIL")
			for _, e := range h.Events {
				id, n := "", ""
				if e.ID != 0 {
					id = strconv.FormatUint(e.ID, 10)
				}
				if e.Deliveries != 0 {
					n = strconv.Itoa(e.Deliveries)
				}
				t.row(e.At.UTC().Format("2006-01-02T15:04:05.000Z"), e.Event, e.Queue, id, n, e.Connection, e.Consumer, e.Reason, preview(e.Detail, 60))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if h.Truncated {
				fmt.Fprintln(s.io.Stdout, "(truncated: events between the first and the latest were dropped)")
			}
			return nil
		}
	},
}
