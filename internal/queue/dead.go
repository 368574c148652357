package queue

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// Dead-lettering in two steps. A message that dies (rejected, expired,
// pushed out of a full queue, out of deliveries) leaves the ready and
// leased sets at once and waits in q.dead; the queue calls Notify. The
// broker takes it (TakeDead), publishes it to its dead-letter target, and
// once that publish is durable calls DeadLettered, which writes the
// DeadLetter record that removes it from this queue's log. A crash between
// the two steps leaves the message in this log: it comes back ready on the
// next Open (and dies again if its reason still holds), so a dead letter is
// never lost, at the price of at-least-once into the target.

// deadEntry is a message that died and waits to be taken.
type deadEntry struct {
	readyEntry
	reason Reason
	at     int64 // when it died
}

// DeadMessage is a dead message handed to the broker.
type DeadMessage struct {
	ID         uint64
	Data       []byte
	Deliveries uint32
	Reason     Reason
	Group      string
	At         time.Time // when it died
}

// dieLocked kills e for reason: it leaves the queue's live sets (its group
// is given back) and waits for the broker.
func (q *Queue) dieLocked(e readyEntry, reason Reason, now int64) {
	if g := e.grp; g != nil && g.holder == e.id {
		g.holder = 0
		q.unblockGroupLocked(g)
	}
	q.dead = append(q.dead, deadEntry{readyEntry: e, reason: reason, at: now})
	if q.observe != nil {
		q.emitDied(e, reason, now)
	}
	q.counters.died[reason]++
	if len(q.dead) == 1 {
		q.notifyLocked()
	}
}

// TakeDead hands out up to max dead messages, oldest death first, with
// their bodies. Each must later be settled with DeadLettered. A message
// whose body cannot be read stays in the log (it comes back on the next
// Open) and is not returned.
func (q *Queue) TakeDead(max int) []DeadMessage {
	return q.apply(&command{op: opTakeDead, n: max}).dead
}

func (q *Queue) takeDeadLocked(max int) []DeadMessage {
	var out []DeadMessage
	n := 0
	for n < len(q.dead) && len(out) < max {
		d := q.dead[n]
		n++
		data, err := q.log.Read(d.id)
		if err != nil {
			q.counters.unreadable++
			q.logger.Error("cannot read dead message; left in the log until the queue is reopened",
				slog.Uint64("id", d.id), slog.Any("err", err))
			q.leaveGroupLocked(d.grp, d.id)
			continue
		}
		m := DeadMessage{ID: d.id, Data: data, Deliveries: d.deliveries, Reason: d.reason, At: time.Unix(0, d.at)}
		if d.grp != nil {
			m.Group = d.grp.key
		}
		q.dying[d.id] = d
		out = append(out, m)
	}
	q.dead = append(q.dead[:0], q.dead[n:]...)
	if len(q.dead) == 0 && cap(q.dead) > 1024 {
		q.dead = nil
	}
	return out
}

// DeadLettered settles dead message id, taken with TakeDead: its
// DeadLetter record (with the reason) removes it from the log. done runs
// once that is durable (see Publish).
func (q *Queue) DeadLettered(id uint64, now time.Time, done func(error)) error {
	return q.apply(&command{op: opBury, id: id, now: now.UnixNano(), done: done}).err
}

func (q *Queue) buryLocked(c *command) result {
	d, ok := q.dying[c.id]
	if !ok {
		return result{err: fmt.Errorf("queue %q: dead-lettered %d, which was not taken: %w", q.name, c.id, ErrUnknownDelivery)}
	}
	delete(q.dying, c.id)
	q.log.Append(store.Record{Kind: store.DeadLetter, ID: d.id, Deliveries: d.deliveries, Data: []byte(d.reason.String())}, c.done)
	q.leaveGroupLocked(d.grp, d.id)
	return result{}
}
