package broker

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

// The x-death header, as RabbitMQ 3.13 writes it (deaths_to_headers and
// record_death in rabbitmq-server deps/rabbit/src/mc_amqpl.erl and mc.erl,
// v3.13.x):
//
//   - x-death is an array of tables, one per (queue, reason), newest
//     first (sorted by the time of the last death in that pair);
//   - each table holds, in this order: count (long, 'l'), reason
//     (longstr), queue (longstr), time (timestamp, 'T': the FIRST death
//     in that pair, whole seconds), exchange (longstr: the exchange the
//     message was published to when it died), routing-keys (array of
//     longstr: its routing key, then its CC header's keys), and, only if
//     the message had a per-message TTL, original-expiration (longstr,
//     last in the table: the TTL parsed from the expiration property, in
//     plain decimal);
//   - a repeat death in the same (queue, reason) raises count and moves
//     the entry to the front, keeping its time, exchange and keys;
//   - x-first-death-reason, -queue, -exchange are set at the first death
//     and never change; x-last-death-reason, -queue, -exchange follow the
//     latest (all longstr);
//   - the expiration property is removed (the TTL would otherwise expire
//     the dead letter again), its value kept in original-expiration;
//   - RabbitMQ 3.13 writes headers sorted by name, one per name
//     (lists:usort in mc_amqpl:protocol_state), and so does Ferry after a
//     death.

// Reasons a message dies, as RabbitMQ names them in x-death.
const (
	reasonRejected      = "rejected"
	reasonExpired       = "expired"
	reasonMaxLen        = "maxlen"
	reasonDeliveryLimit = "delivery_limit"
)

// recordDeath adds the death of m in queue for reason at time at to m's
// headers, as RabbitMQ does, and removes its expiration.
func recordDeath(m *message.Message, queue, reason string, at time.Time) {
	p := &m.Properties
	var deaths []any
	if v, ok := p.Headers.Get("x-death"); ok {
		if a, ok := v.([]any); ok {
			deaths = slices.Clone(a)
		}
	}
	found := -1
	for i, d := range deaths {
		t, ok := d.(message.Table)
		if ok && tableString(t, "queue") == queue && tableString(t, "reason") == reason {
			found = i
			break
		}
	}
	if found >= 0 {
		t := slices.Clone(deaths[found].(message.Table))
		t.Set("count", tableInt(t, "count")+1)
		deaths = slices.Delete(deaths, found, found+1)
		deaths = slices.Insert(deaths, 0, any(t))
	} else {
		keys := []any{m.RoutingKey}
		if cc, ok := p.Headers.Get("CC"); ok {
			if a, ok := cc.([]any); ok {
				for _, k := range a {
					if s, ok := k.(string); ok {
						keys = append(keys, s)
					}
				}
			}
		}
		t := message.Table{
			{Key: "count", Value: int64(1)},
			{Key: "reason", Value: reason},
			{Key: "queue", Value: queue},
			{Key: "time", Value: time.Unix(at.Unix(), 0).UTC()},
			{Key: "exchange", Value: m.Exchange},
			{Key: "routing-keys", Value: keys},
		}
		if p.Has(message.FlagExpiration) {
			t = append(t, message.Field{Key: "original-expiration", Value: originalExpiration(p.Expiration)})
		}
		deaths = slices.Insert(deaths, 0, any(t))
	}
	if _, ok := p.Headers.Get("x-first-death-reason"); !ok {
		p.SetHeader("x-first-death-reason", reason)
		p.SetHeader("x-first-death-queue", queue)
		p.SetHeader("x-first-death-exchange", m.Exchange)
	}
	p.SetHeader("x-last-death-reason", reason)
	p.SetHeader("x-last-death-queue", queue)
	p.SetHeader("x-last-death-exchange", m.Exchange)
	p.SetHeader("x-death", deaths)
	// lists:usort: sorted by name, one field per name (the first, which
	// SetHeader has just updated).
	slices.SortStableFunc(p.Headers, func(a, b message.Field) int { return strings.Compare(a.Key, b.Key) })
	p.Headers = slices.CompactFunc(p.Headers, func(a, b message.Field) bool { return a.Key == b.Key })
	p.Flags &^= message.FlagExpiration
	p.Expiration = ""
}

// originalExpiration is the text RabbitMQ 3.13 writes in
// original-expiration: the TTL it parsed from the expiration property,
// in plain decimal (integer_to_binary), so "+5" and "007" become "5" and
// "7". A value that does not parse (the publish check lets none through)
// is kept as it was.
func originalExpiration(s string) string {
	ttl, e := parseExpiration(s)
	if e != "" {
		return s
	}
	return strconv.FormatInt(ttl.Milliseconds(), 10)
}

// isDeathCycle reports whether moving m (its deaths already recorded) to
// queue target would close a dead-letter cycle that RabbitMQ drops: the
// message died in target before, and no death since then (that one
// included) was a rejection. A cycle with a rejection in it is a
// consumer's choice and goes on (rabbit_dead_letter's is_cycle).
func isDeathCycle(m *message.Message, target string) bool {
	v, ok := m.Properties.Headers.Get("x-death")
	if !ok {
		return false
	}
	deaths, _ := v.([]any)
	for _, d := range deaths {
		t, ok := d.(message.Table)
		if !ok {
			continue
		}
		if tableString(t, "reason") == reasonRejected {
			return false
		}
		if tableString(t, "queue") == target {
			return true
		}
	}
	return false
}

// firstDeathQueue is the queue named by m's x-first-death-queue header,
// where redrive returns it by default.
func firstDeathQueue(m *message.Message) string {
	v, _ := m.Properties.Headers.Get("x-first-death-queue")
	s, _ := v.(string)
	return s
}

func tableString(t message.Table, key string) string {
	v, _ := t.Get(key)
	s, _ := message.String(v)
	return s
}

// tableInt reads an integer of any AMQP width (a client may have written
// the header itself).
func tableInt(t message.Table, key string) int64 {
	v, _ := t.Get(key)
	n, _ := message.Int64(v)
	return n
}
