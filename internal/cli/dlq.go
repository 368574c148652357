package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dead-letter queues are not a kind of queue in RabbitMQ or Ferry: a
// queue is one because other queues dead-letter into it. dlq list finds
// them as an operator would: the queues that some queue's
// x-dead-letter-exchange (argument or policy) leads to, Ferry's
// automatic <queue>.dlq queues, and any queue whose first message
// carries x-death.

// binding is what dlq list reads of /api/bindings.
type binding struct {
	Source          string `json:"source"`
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"`
	RoutingKey      string `json:"routing_key"`
}

// policy is what dlq list reads of /api/policies.
type policy struct {
	Name       string         `json:"name"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to"`
	Definition map[string]any `json:"definition"`
	Priority   int            `json:"priority"`
}

// autoDLQSuffix is the suffix of the queue Ferry declares for a queue
// whose messages run out of deliveries with no dead-letter exchange.
const autoDLQSuffix = ".dlq"

// deadLetterRoute is where a queue's dead letters go.
type deadLetterRoute struct {
	exchange, key string
	hasExchange   bool
	hasKey        bool
}

// routeOf reads a queue's dead-letter settings: its arguments beat the
// policy that applies to it, as in RabbitMQ.
func routeOf(q queueInfo, pol *policy) deadLetterRoute {
	var r deadLetterRoute
	if pol != nil {
		if v, ok := pol.Definition["dead-letter-exchange"].(string); ok {
			r.exchange, r.hasExchange = v, true
		}
		if v, ok := pol.Definition["dead-letter-routing-key"].(string); ok {
			r.key, r.hasKey = v, true
		}
	}
	if v, ok := q.Arguments["x-dead-letter-exchange"].(string); ok {
		r.exchange, r.hasExchange = v, true
	}
	if v, ok := q.Arguments["x-dead-letter-routing-key"].(string); ok {
		r.key, r.hasKey = v, true
	}
	return r
}

// policyFor is the policy of highest priority whose pattern matches the
// queue's name.
func policyFor(ps []policy, name string) *policy {
	var best *policy
	for i := range ps {
		p := &ps[i]
		if p.ApplyTo != "" && p.ApplyTo != "queues" && p.ApplyTo != "all" {
			continue
		}
		re, err := regexp.Compile(p.Pattern)
		if err != nil || !re.MatchString(name) {
			continue
		}
		if best == nil || p.Priority > best.Priority {
			best = p
		}
	}
	return best
}

// deadLetterTargets maps each queue that receives dead letters to the
// queues that send them.
func deadLetterTargets(qs []queueInfo, bs []binding, ps []policy) map[string][]string {
	exists := map[string]bool{}
	for _, q := range qs {
		exists[q.Name] = true
	}
	out := map[string][]string{}
	add := func(target, source string) {
		// A queue that dead-letters into itself (a policy matching both
		// a queue and its DLQ, say) is not a DLQ on that account.
		if exists[target] && target != source && !slices.Contains(out[target], source) {
			out[target] = append(out[target], source)
		}
	}
	for _, q := range qs {
		r := routeOf(q, policyFor(ps, q.Name))
		switch {
		case r.hasExchange && r.exchange == "" && r.hasKey:
			add(r.key, q.Name)
		case r.hasExchange && r.exchange != "":
			for _, b := range bs {
				if b.Source == r.exchange && b.DestinationType == "queue" && (!r.hasKey || b.RoutingKey == r.key || strings.ContainsAny(b.RoutingKey, "#*")) {
					add(b.Destination, q.Name)
				}
			}
		}
		if !r.hasExchange {
			add(q.Name+autoDLQSuffix, q.Name)
		}
	}
	return out
}

// death is one x-death entry.
type death struct {
	Count       int64
	Reason      string
	Queue       string
	Time        time.Time
	Exchange    string
	RoutingKeys []string
}

func deathsOf(xd []map[string]any) []death {
	out := make([]death, 0, len(xd))
	for _, e := range xd {
		d := death{Reason: str(e["reason"]), Queue: str(e["queue"]), Exchange: str(e["exchange"])}
		if n, ok := e["count"].(float64); ok {
			d.Count = int64(n)
		}
		if t, ok := e["time"].(float64); ok {
			d.Time = time.Unix(int64(t), 0)
		}
		if keys, ok := e["routing-keys"].([]any); ok {
			for _, k := range keys {
				d.RoutingKeys = append(d.RoutingKeys, str(k))
			}
		}
		out = append(out, d)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// dlqSummary is one line of dlq list, and its --json form.
type dlqSummary struct {
	Queue      string     `json:"queue"`
	Messages   int64      `json:"messages"`
	Sources    []string   `json:"sources"`
	LastReason string     `json:"last_reason,omitempty"`
	LastFrom   string     `json:"last_queue,omitempty"`
	LastDeath  *time.Time `json:"last_death_at,omitempty"`
}

// dlqScan is how many messages of a queue dlq list reads for the last
// death: one browse page.
const dlqScan = 1000

var dlqList = &command{
	path: "dlq list", summary: "list the queues that hold dead letters", maxArgs: 0,
	about: `Lists the queues that receive dead letters: those some queue's dead-letter
exchange (queue argument or policy) routes to, Ferry's automatic <queue>.dlq
queues, and queues whose messages carry x-death. For each: its messages, the
queues that dead-letter into it, and the reason, source and time of the latest
death among its first 1000 messages. --json prints this list as JSON.`,
	setup: func(*flag.FlagSet) func(*session, []string) error {
		return func(s *session, _ []string) error {
			list, err := s.dlqs()
			if err != nil {
				return err
			}
			if s.json {
				j, err := json.Marshal(list)
				if err != nil {
					return err
				}
				return printJSON(s.io.Stdout, j)
			}
			now := s.now()
			t := newTable(s.io.Stdout, "QUEUE", "MESSAGES", "FROM", "LAST REASON", "LAST FROM", "LAST DEATH")
			for _, d := range list {
				last := "-"
				if d.LastDeath != nil {
					last = ago(*d.LastDeath, now)
				}
				t.row(d.Queue, itoa(d.Messages), strings.Join(d.Sources, ","), d.LastReason, d.LastFrom, last)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(s.io.Stdout, "(no dead-letter queues)")
			}
			return nil
		}
	},
}

func (s *session) dlqs() ([]dlqSummary, error) {
	qs, _, err := s.queues()
	if err != nil {
		return nil, err
	}
	var bs []binding
	if _, err := s.api.getJSON(s.ctx, apiPath("api", "bindings", s.vhost), &bs); err != nil {
		return nil, err
	}
	var ps []policy
	if _, err := s.api.getJSON(s.ctx, apiPath("api", "policies", s.vhost), &ps); err != nil {
		return nil, err
	}
	targets := deadLetterTargets(qs, bs, ps)
	list := []dlqSummary{}
	for _, q := range qs {
		sources, isTarget := targets[q.Name]
		if !isTarget && q.Messages == 0 {
			continue
		}
		sum := dlqSummary{Queue: q.Name, Messages: q.Messages, Sources: sources}
		if sum.Sources == nil {
			sum.Sources = []string{}
		}
		sort.Strings(sum.Sources)
		limit := dlqScan
		if !isTarget {
			limit = 1 // only to see whether it holds dead letters at all
		}
		if q.Messages > 0 {
			p, _, err := s.browse(q.Name, 0, limit, false)
			if err != nil {
				return nil, err
			}
			for _, m := range p.Messages {
				ds := deathsOf(m.XDeath)
				if len(ds) == 0 {
					continue
				}
				if latest := ds[0]; sum.LastDeath == nil || latest.Time.After(*sum.LastDeath) {
					at := latest.Time
					sum.LastDeath, sum.LastReason, sum.LastFrom = &at, latest.Reason, latest.Queue
				}
			}
		}
		if !isTarget && sum.LastDeath == nil {
			continue
		}
		list = append(list, sum)
	}
	return list, nil
}

var dlqShow = &command{
	path: "dlq show", args: "QUEUE", summary: "show dead letters with their failure history", minArgs: 1, maxArgs: 1,
	about: `Shows the messages of a dead-letter queue with their history from x-death: one
line per death, latest first (reason, the queue it died in, how often, when),
after the message's id, message id and the start of its body.`,
	setup: func(fs *flag.FlagSet) func(*session, []string) error {
		from := fs.Uint64("from", 0, "first message `id` to show")
		limit := fs.Int("limit", 20, "how many messages to show (1 to 1000)")
		return func(s *session, pos []string) error {
			if *limit < 1 || *limit > 1000 {
				return usageErrorf("--limit must be 1 to 1000, got %d", *limit)
			}
			p, data, err := s.browse(pos[0], *from, *limit, false)
			if err != nil {
				return err
			}
			if s.json {
				return printJSON(s.io.Stdout, data)
			}
			now := s.now()
			t := newTable(s.io.Stdout, "ID", "MESSAGE ID", "REASON", "QUEUE", "COUNT", "DIED", "BODY")
			for _, m := range p.Messages {
				id, mid, body := strconv.FormatUint(m.ID, 10), m.Properties.MessageID, bodyCell(m.Payload, m.PayloadEncoding, 40)
				ds := deathsOf(m.XDeath)
				if len(ds) == 0 {
					t.row(id, mid, "(no x-death)", "", "", "", body)
					continue
				}
				for i, d := range ds {
					if i > 0 {
						id, mid, body = "", "", ""
					}
					cell := func(s string) string {
						if i > 0 && s == "" {
							return " "
						}
						return s
					}
					t.row(cell(id), cell(mid), d.Reason, d.Queue, itoa(d.Count), ago(d.Time, now), cell(body))
				}
			}
			if err := t.flush(); err != nil {
				return err
			}
			switch {
			case len(p.Messages) == 0:
				fmt.Fprintln(s.io.Stdout, "(no messages)")
			case p.Next != 0:
				fmt.Fprintf(s.io.Stdout, "more: ferry dlq show %s --from %d\n", pos[0], p.Next+1)
			}
			return nil
		}
	},
}
