package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// Options configure Open.
type Options struct {
	// Name identifies the queue in errors and logs.
	Name string
	// Log holds the queue's messages. Open replays it, so it must be freshly
	// opened; the Queue owns it from then on and Close closes it.
	Log store.Log
	// Logger receives the queue's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the time that messages found in the log count as enqueued at
	// (the log keeps no enqueue times), for Stats.OldestReadyAge.
	Now time.Time
}

// Queue is one queue's state: ready messages in ID order, leases held by
// owners, push consumers. All methods are safe for concurrent use; they
// serialize on one lock, and every state change goes through applyLocked.
type Queue struct {
	name   string
	log    store.Log // safe for concurrent use on its own; appended to only with mu held, so records keep command order
	logger *slog.Logger

	mu          sync.Mutex
	closed      bool                  // guarded by mu
	lastID      uint64                // guarded by mu; highest ID ever used in the log
	ready       readyQueue            // guarded by mu
	leases      map[uint64]*lease     // guarded by mu; by message ID
	leasedBytes int64                 // guarded by mu
	owners      map[Owner]*ownerState // guarded by mu; owners holding leases or consumers
	consumers   []*Consumer           // guarded by mu; in registration order
	cursor      int                   // guarded by mu; index in consumers of the next one to try (len: wrap, unless one is added first)
	withCredit  int                   // guarded by mu; consumers for which hasCredit is true
	free        []*lease              // guarded by mu; spent leases for reuse
	counters    counters              // guarded by mu
}

// Open builds a queue from what opts.Log holds: every live message is
// ready again, in ID order, with the delivery count the log kept. On error
// the log is left open for the caller to close.
func Open(opts Options) (*Queue, error) {
	if opts.Log == nil {
		return nil, fmt.Errorf("queue %q: open: no log", opts.Name)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	q := &Queue{
		name:   opts.Name,
		log:    opts.Log,
		logger: logger.With(slog.String("queue", opts.Name)),
		leases: make(map[uint64]*lease),
		owners: make(map[Owner]*ownerState),
	}
	at := opts.Now.UnixNano()
	last, err := opts.Log.Replay(func(e store.Entry) error {
		if e.Size < 0 || uint64(e.Size) > math.MaxUint32 {
			return fmt.Errorf("message %d: size %d: %w", e.ID, e.Size, ErrTooLarge)
		}
		q.ready.pushFresh(readyEntry{id: e.ID, at: at, size: uint32(e.Size), deliveries: e.Deliveries})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue %q: replay: %w", opts.Name, err)
	}
	q.lastID = last
	return q, nil
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// apply runs one command under the lock.
func (q *Queue) apply(c *command) result {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.applyLocked(c)
}

// Err returns the log's sticky error: once set, the queue refuses
// publishes and acks, which could no longer be made durable.
func (q *Queue) Err() error { return q.log.Err() }

func (q *Queue) checkLog(what string) error {
	if err := q.Err(); err != nil {
		return fmt.Errorf("queue %q: %s: log failed: %w", q.name, what, err)
	}
	return nil
}

// Publish appends data as a new message and returns its ID. done, if not
// nil, runs once the message is as durable as the log promises (for
// memstore, before Publish returns; it may run with the queue's lock held
// and must not call the queue). done does not run when err is not nil.
// The queue keeps data: the caller must not modify it afterwards.
func (q *Queue) Publish(data []byte, now time.Time, done func(error)) (id uint64, err error) {
	if err := q.checkLog("publish"); err != nil {
		return 0, err
	}
	r := q.apply(&command{op: opPublish, now: now.UnixNano(), data: data, done: done})
	return r.id, r.err
}

// Consume registers a push consumer. Ready messages are pushed to it at
// once, as far as its prefetch allows.
func (q *Queue) Consume(o ConsumerOptions, now time.Time) (*Consumer, error) {
	switch {
	case o.Deliver == nil:
		return nil, fmt.Errorf("queue %q: consume %q: no Deliver func: %w", q.name, o.Tag, ErrInvalid)
	case o.Prefetch < 0:
		return nil, fmt.Errorf("queue %q: consume %q: prefetch %d: %w", q.name, o.Tag, o.Prefetch, ErrInvalid)
	}
	c := &Consumer{tag: o.Tag, prefetch: o.Prefetch, noAck: o.NoAck, deliver: o.Deliver}
	r := q.apply(&command{op: opConsume, now: now.UnixNano(), owner: o.Owner, consumer: c})
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// Cancel stops deliveries to c. Messages it had taken stay leased to its
// owner until acked, nacked or released, as AMQP's basic.cancel leaves
// them. Cancelling twice, or on a closed queue, does nothing.
func (q *Queue) Cancel(c *Consumer, now time.Time) {
	q.apply(&command{op: opCancel, now: now.UnixNano(), consumer: c})
}

// Get takes the next ready message for owner, if any. With noAck it is
// removed at once (at most once); otherwise it is leased to owner.
func (q *Queue) Get(owner Owner, noAck bool, now time.Time) (Delivery, bool, error) {
	r := q.apply(&command{op: opGet, now: now.UnixNano(), owner: owner, flag: noAck})
	return r.d, r.ok, r.err
}

// Ack removes message id, which must be leased to owner; otherwise it
// returns ErrUnknownDelivery and changes nothing. done, if not nil, runs
// once the removal is durable (see Publish for when it may run); it does
// not run when err is not nil.
func (q *Queue) Ack(owner Owner, id uint64, now time.Time, done func(error)) error {
	if err := q.checkLog("ack"); err != nil {
		return err
	}
	return q.apply(&command{op: opAck, now: now.UnixNano(), owner: owner, id: id, done: done}).err
}

// Nack gives message id, which must be leased to owner, back: with requeue
// it is ready again ahead of newer messages, its delivery count kept;
// without, it is removed (dead-lettering will hook in here).
func (q *Queue) Nack(owner Owner, id uint64, requeue bool, now time.Time) error {
	return q.apply(&command{op: opNack, now: now.UnixNano(), owner: owner, id: id, flag: requeue}).err
}

// Release makes every message leased to owner ready again, delivery counts
// kept, and returns how many there were: the owner went away (a closed
// channel) or asked for redelivery (AMQP basic.recover). It does not
// cancel the owner's consumers; cancel them first when the owner is gone,
// or the released messages may go straight back to them.
func (q *Queue) Release(owner Owner, now time.Time) int {
	return q.apply(&command{op: opRelease, now: now.UnixNano(), owner: owner}).n
}

// Purge removes every ready message (leased ones stay) and returns how many.
func (q *Queue) Purge(now time.Time) (int, error) {
	r := q.apply(&command{op: opPurge, now: now.UnixNano()})
	return r.n, r.err
}

// Close ends every lease, writing the delivery counts to the log so that
// the next Open finds those messages ready and marked redelivered, stops
// all consumers and closes the log. Later calls fail with ErrClosed.
func (q *Queue) Close() error {
	r := q.apply(&command{op: opClose})
	if r.err != nil {
		if errors.Is(r.err, ErrClosed) {
			return nil
		}
		return r.err
	}
	if err := q.log.Close(); err != nil {
		return fmt.Errorf("queue %q: close log: %w", q.name, err)
	}
	return nil
}
