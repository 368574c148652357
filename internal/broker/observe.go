package broker

import (
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Message events. Each queue's engine reports what happens to its
// messages (queue.Observer); for the queues an Observer watches, the
// broker turns those reports into MessageEvents, adds what only it knows
// (vhost and queue, who published, the message's public id and trace
// context, where a dead letter went, what a redrive moved) and hands them
// to the Observers in Config.Observers: message history and trace export
// are fed from this one stream. A queue nobody watches has no engine
// observer at all, so its hot path is untouched.

// Event names, as the history API shows them.
const (
	EventPublished      = "published"
	EventDelivered      = "delivered"
	EventAcked          = "acked"
	EventNacked         = "nacked"
	EventRequeued       = "requeued"
	EventRetryScheduled = "retry_scheduled"
	EventExpired        = "expired"
	EventDeadLettered   = "dead_lettered"
	EventRedriven       = "redriven"
	EventDeleted        = "deleted"
	EventPurged         = "purged"
)

// MessageEvent is one thing that happened to message ID (the engine id)
// of queue Queue in VHost. Fields that do not apply are zero.
type MessageEvent struct {
	VHost, Queue string
	// Durable: the queue and its messages survive a restart, so an
	// observer that keeps events should keep them on disk too.
	Durable    bool
	Event      string // one of the Event* names
	ID         uint64
	At         time.Time
	Deliveries uint32
	Consumer   string // consumer tag
	Connection string // publisher (published) or consumer's connection
	Reason     string // why: rejected, expired, maxlen, delivery_limit, no-ack...
	Detail     string // where it went or came from, in words
	// MessageID is the message's public id (AMQP message-id property, SQS
	// MessageId); known on published, dead_lettered and redriven events.
	MessageID string
	// TraceParent and TraceState are the message's W3C trace context
	// headers (published events).
	TraceParent, TraceState string
	// DeadLetterFrom (published) names the queue a dead letter or a
	// redriven message came from; "" for a publish by a client.
	From string

	hold func(error) // published: the publisher's confirm waits for it
	held bool
}

// Hold, on a published event, hands the observer that keeps a durable
// record of the event the second half of the publisher's confirm: the
// confirm is sent only once the queue's log and the returned func have
// both reported the message stored. The observer must call it exactly
// once, when its record is durable (an error it reports is logged, not
// sent to the publisher, whose message is stored). nil when the event has
// nothing to hold (no confirm asked for) or another observer holds it.
func (ev *MessageEvent) Hold() func(error) {
	if ev.held || ev.hold == nil {
		return nil
	}
	ev.held = true
	return ev.hold
}

// Observer hears the message events of the queues it watches.
type Observer interface {
	// Watch reports whether the observer wants the events of queue name
	// in vhost; history is whether the queue's rules turn message
	// history on (x-history, or a policy's history key). It is asked
	// again whenever the queue's rules change.
	Watch(vhost, name string, history bool) bool
	// Observe receives one event. Engine events come with the queue's
	// lock held, in the queue's command order: it must not block and
	// must not call the broker or a queue.
	Observe(ev *MessageEvent)
}

// Observers returns Config.Observers, so that the admin API can find
// the history among them.
func (b *Broker) Observers() []Observer { return b.observers }

// HistoryOn reports whether queue name in vhost keeps message history.
func (b *Broker) HistoryOn(vhostName, name string) (bool, error) {
	e, err := b.lookup(vhostName, name)
	if err != nil {
		return false, err
	}
	return e.rules.Load().History, nil
}

// publishNote rides with a publish to the engine (queue.PublishOptions.
// Note) and comes back with its published event.
type publishNote struct {
	messageID, publisher, from, detail string
	traceParent, traceState            string
	hold                               func(error)
	emitted                            bool // the engine reported the publish (set under the queue's lock)
}

// watch sets, from e's rules r, which observers hear e's events, and
// the engine observer that feeds them.
func (b *Broker) watch(e *entry, r *Rules) {
	if len(b.observers) == 0 {
		return
	}
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	var ws []Observer
	for _, o := range b.observers {
		if o.Watch(e.def.VHost, e.def.Name, r.History) {
			ws = append(ws, o)
		}
	}
	if len(ws) == 0 {
		e.watchers.Store(nil)
		e.q.SetObserver(nil)
		return
	}
	e.watchers.Store(&ws)
	e.q.SetObserver(func(ev queue.Event) { b.engineEvent(e, ws, ev) })
}

// isRedriveOwner tells a redrive's own Get and Ack apart: the redrive
// reports what it did as one redriven event.
func isRedriveOwner(o queue.Owner) bool { return o >= 1<<62 }

// engineEvent turns one engine event of e into MessageEvents for ws.
// Queue lock held.
func (b *Broker) engineEvent(e *entry, ws []Observer, qe queue.Event) {
	if isRedriveOwner(qe.Owner) {
		return
	}
	ev := MessageEvent{VHost: e.def.VHost, Queue: e.def.Name, Durable: e.kept, ID: qe.ID, At: qe.Time(), Deliveries: qe.Deliveries,
		Consumer: qe.Consumer, Connection: qe.Connection}
	switch qe.Kind {
	case queue.EventPublished:
		ev.Event = EventPublished
		n, _ := qe.Note.(*publishNote)
		if n != nil {
			n.emitted = true
			ev.MessageID, ev.Connection, ev.From, ev.Detail = n.messageID, n.publisher, n.from, n.detail
			ev.TraceParent, ev.TraceState, ev.hold = n.traceParent, n.traceState, n.hold
		}
		deliver(ws, &ev)
		if ev.hold != nil && !ev.held {
			ev.hold(nil) // nobody keeps it: the queue's log alone confirms
		}
		return
	case queue.EventDelivered:
		ev.Event = EventDelivered
		deliver(ws, &ev)
		if qe.NoAck {
			ev.Event, ev.Reason = EventAcked, "no-ack"
			deliver(ws, &ev)
		}
		return
	case queue.EventAcked:
		ev.Event = EventAcked
	case queue.EventNacked:
		ev.Event, ev.Reason = EventNacked, "requeue"
		if !qe.Requeue {
			ev.Reason = queue.ReasonRejected.String()
		}
	case queue.EventRequeued:
		ev.Event = EventRequeued
	case queue.EventRetryScheduled:
		ev.Event = EventRetryScheduled
		ev.Detail = "due " + time.Unix(0, qe.Due).UTC().Format(time.RFC3339Nano)
	case queue.EventDied:
		if qe.Reason != queue.ReasonExpired {
			return // the dead_lettered event says it, with where it went
		}
		ev.Event, ev.Reason = EventExpired, qe.Reason.String()
	case queue.EventPurged:
		ev.Event = EventPurged
	case queue.EventDeleted:
		ev.Event = EventDeleted
	default:
		return
	}
	deliver(ws, &ev)
}

func deliver(ws []Observer, ev *MessageEvent) {
	for _, o := range ws {
		o.Observe(ev)
	}
}

// emit hands a broker-made event of e (dead_lettered, redriven) to e's
// observers. No queue lock is held.
func (b *Broker) emit(e *entry, ev *MessageEvent) {
	ws := e.watchers.Load()
	if ws == nil {
		return
	}
	ev.VHost, ev.Queue, ev.Durable = e.def.VHost, e.def.Name, e.kept
	deliver(*ws, ev)
}

// noteFor builds the note of a publish of m to e, or nil when nobody
// watches e. With done not nil it also splits done in two (see
// MessageEvent.Hold) and returns the half the queue's log completes.
func noteFor(e *entry, m *message.Message, mo *msgOptions, done func(error)) (*publishNote, func(error)) {
	if e.watchers.Load() == nil {
		return nil, done
	}
	n := &publishNote{publisher: mo.publisher, from: mo.from, detail: mo.detail}
	if m.Properties.Has(message.FlagMessageID) {
		n.messageID = m.Properties.MessageID
	}
	if h := m.Properties.Headers; len(h) > 0 {
		n.traceParent = anyStringOK(h, "traceparent")
		n.traceState = anyStringOK(h, "tracestate")
		if n.publisher == "" {
			n.publisher = anyStringOK(h, "x-sqs-sender-id")
		}
	}
	if done == nil {
		return n, nil
	}
	j := &join2{done: done}
	j.left.Store(2)
	n.hold = j.arriveNote
	return n, j.arrive
}

func anyStringOK(h message.Table, k string) string {
	v, ok := h.Get(k)
	if !ok {
		return ""
	}
	return anyString(v)
}

// join2 runs done once both halves have arrived, with the queue's error
// if it had one (an observer's error is its own to log).
type join2 struct {
	left  atomic.Int32
	first atomic.Pointer[error]
	done  func(error)
}

// arriveNote is the observer's half: its error is not the publisher's.
func (j *join2) arriveNote(error) { j.arrive(nil) }

func (j *join2) arrive(err error) {
	if err != nil {
		e := err
		j.first.CompareAndSwap(nil, &e)
	}
	if j.left.Add(-1) != 0 {
		return
	}
	if p := j.first.Load(); p != nil {
		j.done(*p)
		return
	}
	j.done(nil)
}

// QueueObserver is an Observer that also hears of deleted queues.
type QueueObserver interface {
	Observer
	// QueueDeleted says queue name in vhost was deleted at at, with
	// whatever messages it still held (its events end there). durable:
	// the queue was kept on disk.
	QueueDeleted(vhost, name string, durable bool, at time.Time)
}

// queueGone tells e's watchers that e is being deleted.
func (b *Broker) queueGone(e *entry) {
	ws := e.watchers.Load()
	if ws == nil {
		return
	}
	now := b.clock.Now()
	for _, o := range *ws {
		if qo, ok := o.(QueueObserver); ok {
			qo.QueueDeleted(e.def.VHost, e.def.Name, e.kept, now)
		}
	}
}
