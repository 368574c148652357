package queue

import (
	"fmt"
	"time"
)

// Observing a queue. An Observer set with SetObserver hears, one Event at
// a time, what happens to each message: published, delivered, acked,
// nacked, returned (requeued or held for a retry), dead (expired, rejected,
// pushed out, out of deliveries), purged, deleted. It is the one stream
// that message history and trace export are fed from, so that the engine
// says once what happened and those features never guess it from the
// wire.
//
// The seam costs a nil check per event when nobody listens: events are
// built only inside "if q.observe != nil", passed by value (nothing
// escapes), and the engine keeps no per-message state for observers.
// Who published and who consumed are the front ends' facts, not the
// engine's: they come in through PublishOptions.Note (passed on untouched
// with the published event), ConsumerOptions.Connection and the who of
// GetAs and GetLeasedAs.
//
// An Observer runs with the queue's lock held, in command order: it must
// not block and must not call the queue. Events carry the command's time
// (now), never the clock's, so the stream is as deterministic as the
// queue.

// EventKind names what happened to a message.
type EventKind uint8

// The events a queue reports.
const (
	// EventPublished: the message was enqueued (Note is the publisher's).
	EventPublished EventKind = iota + 1
	// EventDelivered: handed out, through consumer Consumer or by a Get
	// (Consumer ""), to Connection; Deliveries counts this one. NoAck: it
	// was removed as it went.
	EventDelivered
	// EventAcked: removed by its owner's ack.
	EventAcked
	// EventNacked: nacked or rejected by its owner; Requeue says whether
	// it asked to have it back (events about where it went follow).
	EventNacked
	// EventRequeued: ready again at once after a failed delivery (nack
	// with requeue, a released lease, a lease or consumer timeout).
	EventRequeued
	// EventRetryScheduled: given back after a failed delivery, but held
	// until Due (the policy's retry backoff).
	EventRetryScheduled
	// EventDied: it left the queue's live sets for Reason and waits for
	// its dead-letter target (the broker reports where it went).
	EventDied
	// EventPurged: removed by Purge.
	EventPurged
	// EventDeleted: removed by Delete.
	EventDeleted
)

var eventNames = [...]string{
	EventPublished: "published", EventDelivered: "delivered", EventAcked: "acked",
	EventNacked: "nacked", EventRequeued: "requeued", EventRetryScheduled: "retry_scheduled",
	EventDied: "died", EventPurged: "purged", EventDeleted: "deleted",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is one thing that happened to message ID. Fields that do not
// apply to Kind are zero.
type Event struct {
	Kind EventKind
	ID   uint64
	At   int64 // the command's now, Unix nanoseconds
	// Deliveries is the message's delivery count after the event.
	Deliveries uint32
	// Consumer is the tag of the consumer that got or held the message;
	// "" for a Get.
	Consumer string
	// Connection is who got or held the message, as the front end named
	// it (ConsumerOptions.Connection, GetAs).
	Connection string
	// Owner holds (or held) the lease.
	Owner Owner
	// NoAck (EventDelivered): the delivery removed the message.
	NoAck bool
	// Requeue (EventNacked): the owner asked for the message back.
	Requeue bool
	// Due (EventRetryScheduled): when it is deliverable again, Unix ns.
	Due int64
	// Reason (EventDied) is why it died.
	Reason Reason
	// Size is the stored message's length in bytes (EventPublished).
	Size int
	// Note (EventPublished) is PublishOptions.Note, untouched.
	Note any
}

// Time returns At as a time.
func (e *Event) Time() time.Time { return time.Unix(0, e.At) }

// Observer receives a queue's events; see the comment at the top of
// observe.go for when and how.
type Observer func(Event)

// SetObserver makes fn hear the queue's events from now on; nil stops
// them. It is not a state change of the queue, so it is not a command.
func (q *Queue) SetObserver(fn Observer) {
	q.mu.Lock()
	q.observe = fn
	q.mu.Unlock()
}

// GetAs is Get for a caller that names itself (a connection, an SQS
// receiver): who is reported to the Observer with the delivery.
func (q *Queue) GetAs(owner Owner, who string, noAck bool, now time.Time) (Delivery, bool, error) {
	r := q.apply(&command{op: opGet, now: now.UnixNano(), owner: owner, flag: noAck, timeout: -1, who: who})
	return r.d, r.ok, r.err
}

// GetLeasedAs is GetLeased for a caller that names itself; see GetAs.
func (q *Queue) GetLeasedAs(owner Owner, who string, timeout time.Duration, now time.Time) (Delivery, bool, error) {
	if timeout < 0 {
		return Delivery{}, false, fmt.Errorf("queue %q: get: lease timeout %v: %w", q.name, timeout, ErrInvalid)
	}
	r := q.apply(&command{op: opGet, now: now.UnixNano(), owner: owner, timeout: timeout, who: who})
	return r.d, r.ok, r.err
}

// The emit functions build and send one event each. They are kept out
// of line (go:noinline) so that the hot paths that call them, behind a
// nil check, carry neither the code nor the stack space of an Event.
// Lock held.

//go:noinline
func (q *Queue) emitPublished(id uint64, now int64, size int, note any) {
	q.observe(Event{Kind: EventPublished, ID: id, At: now, Size: size, Note: note})
}

// emitDelivered reports e handed to consumer c, or taken by the Get
// being applied (c nil; q.getWho names who), whose owner then remembers
// who took it, for the events of its lease.
//
//go:noinline
func (q *Queue) emitDelivered(e *readyEntry, c *Consumer, owner Owner, noAck bool, now int64) {
	ev := Event{Kind: EventDelivered, ID: e.id, At: now, Deliveries: e.deliveries, Owner: owner, NoAck: noAck}
	if c != nil {
		ev.Consumer, ev.Connection = c.tag, c.conn
	} else if ev.Connection = q.getWho; ev.Connection != "" {
		if os := q.owners[owner]; os != nil {
			os.who = ev.Connection
		}
	}
	q.observe(ev)
}

//go:noinline
func (q *Queue) emitSettled(l *lease, nack, requeue bool, now int64) {
	ev := Event{Kind: EventAcked, ID: l.id, At: now, Deliveries: l.deliveries, Owner: l.owner.id, Requeue: requeue}
	if nack {
		ev.Kind = EventNacked
	}
	ev.Consumer, ev.Connection = leaseHolder(l)
	q.observe(ev)
}

// emitReturned reports l's message given back: held until due, or ready
// at once (due 0).
//
//go:noinline
func (q *Queue) emitReturned(l *lease, due, now int64) {
	ev := Event{Kind: EventRequeued, ID: l.id, At: now, Deliveries: l.deliveries, Owner: l.owner.id}
	ev.Consumer, ev.Connection = leaseHolder(l)
	if due > 0 {
		ev.Kind, ev.Due = EventRetryScheduled, due
	}
	q.observe(ev)
}

//go:noinline
func (q *Queue) emitDied(e readyEntry, reason Reason, now int64) {
	q.observe(Event{Kind: EventDied, ID: e.id, At: now, Deliveries: e.deliveries, Reason: reason})
}

// emitGone reports e removed by kind (purged, deleted).
//
//go:noinline
func (q *Queue) emitGone(kind EventKind, e readyEntry, now int64) {
	q.observe(Event{Kind: kind, ID: e.id, At: now, Deliveries: e.deliveries})
}

// leaseHolder names who holds l, for events.
func leaseHolder(l *lease) (consumer, conn string) {
	if c := l.consumer; c != nil {
		return c.tag, c.conn
	}
	return "", l.owner.who
}
