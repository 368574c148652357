package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/hist"
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
	// (the log keeps no enqueue times), for Stats.OldestReadyAge; delayed
	// messages due by then are ready, and expired ones die.
	Now time.Time
	// Policy is the queue's delivery rules; SetPolicy changes them.
	Policy Policy
	// Notify, if not nil, is called (with the queue's lock held: it must
	// not block or call the queue) whenever NextDeadline may have moved
	// earlier or dead messages wait for TakeDead. The broker's timer for
	// the queue wakes on it.
	Notify func()
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
	levels      []prioLevel           // guarded by mu; consumer priorities, highest first, with their cursors (priority.go)
	owed        []credit              // guarded by mu; Limiter credits of leases the command being applied ended (limiter.go)
	seen        int64                 // guarded by mu; the latest time a command carried, for releasing credits at close
	free        []*lease              // guarded by mu; spent leases for reuse
	counters    counters              // guarded by mu

	policy        Policy                 // guarded by mu
	notify        func()                 // set at Open
	wakeAt        int64                  // guarded by mu; what NextDeadline last answered (MaxInt64: nothing; 0: unknown)
	delayed       heap[delayedEntry]     // guarded by mu; not deliverable before their due time
	delayedBytes  int64                  // guarded by mu
	timers        heap[leaseTimer]       // guarded by mu; lease ends
	dead          []deadEntry            // guarded by mu; died, not yet taken
	dying         map[uint64]deadEntry   // guarded by mu; taken, not yet dead-lettered
	groups        map[string]*group      // guarded by mu; message groups with messages in the queue
	waiting       int                    // guarded by mu; messages held back by their FIFO group
	waitingBytes  int64                  // guarded by mu
	dedup         map[string]*dedupEntry // guarded by mu; remembered deduplication ids
	dedupByExpiry heap[*dedupEntry]      // guarded by mu
	observe       Observer               // guarded by mu; nil: nobody listens (observe.go)
	getWho        string                 // guarded by mu; who of the Get being applied (GetAs), for its event
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
		policy: opts.Policy,
		notify: opts.Notify,
		dying:  make(map[uint64]deadEntry),
		groups: make(map[string]*group),
		dedup:  make(map[string]*dedupEntry),
	}
	q.counters.ackLatency = hist.New(AckLatencyLayout)
	at := opts.Now.UnixNano()
	var stale []uint64 // Dedup records already expired
	last, err := opts.Log.Replay(func(e store.Entry) error {
		if e.Kind == store.Dedup {
			if e.Meta.Expires <= at || q.dedup[e.Meta.Key] != nil {
				stale = append(stale, e.ID)
				return nil
			}
			d := &dedupEntry{key: e.Meta.Key, expires: e.Meta.Expires, rec: e.ID, msg: e.ID + 1, stored: true}
			q.dedup[d.key] = d
			q.dedupByExpiry.push(d)
			return nil
		}
		if e.Size < 0 || uint64(e.Size) > math.MaxUint32 {
			return fmt.Errorf("message %d: size %d: %w", e.ID, e.Size, ErrTooLarge)
		}
		r := readyEntry{id: e.ID, at: at, expires: e.Meta.Expires, size: uint32(e.Size), deliveries: e.Deliveries}
		if e.Meta.Key != "" {
			r.grp = q.groupLocked(e.Meta.Key)
		}
		if e.Meta.Due != 0 {
			// Even if due already: promoteDueLocked below releases them in
			// due order, behind the messages that were ready.
			q.delayed.push(delayedEntry{due: e.Meta.Due, readyEntry: r})
			q.delayedBytes += int64(r.size)
			if r.deliveries > 0 && r.grp != nil && r.grp.holder == 0 {
				// Waiting out a retry delay (a delayed publish has no
				// deliveries): it still holds its FIFO group.
				q.holdGroupLocked(r)
			}
		} else {
			q.ready.pushFresh(r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue %q: replay: %w", opts.Name, err)
	}
	q.lastID = last
	q.promoteDueLocked(at)
	for _, id := range stale {
		q.log.Append(store.Record{Kind: store.Ack, ID: id}, nil)
	}
	return q, nil
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// apply runs one command under the lock.
func (q *Queue) apply(c *command) result {
	q.mu.Lock()
	r := q.applyLocked(c)
	if len(q.owed) == 0 {
		q.mu.Unlock()
		return r
	}
	owed, now := q.takeOwedLocked(), c.now
	if now == 0 {
		now = q.seen // opClose and opTakeDead carry no time
	}
	q.mu.Unlock()
	owed.release(time.Unix(0, now))
	return r
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

// Publish appends data as a new message with no options of its own and
// returns its ID; see PublishWith.
func (q *Queue) Publish(data []byte, now time.Time, done func(error)) (id uint64, err error) {
	r, err := q.PublishWith(data, PublishOptions{}, now, done)
	return r.ID, err
}

// PublishWith appends data as a new message. done, if not nil, runs once
// the message is as durable as the log promises (for memstore, before
// PublishWith returns; it may run with the queue's lock held and must not
// call the queue). done does not run when err is not nil. A duplicate
// (see PublishOptions.DedupID) is confirmed at once. A publish that a full
// queue refuses (Overflow reject-publish) fails with ErrRejected. The
// queue keeps data: the caller must not modify it afterwards.
func (q *Queue) PublishWith(data []byte, o PublishOptions, now time.Time, done func(error)) (PublishResult, error) {
	if err := q.checkLog("publish"); err != nil {
		return PublishResult{}, err
	}
	r := q.apply(&command{op: opPublish, now: now.UnixNano(), data: data, opts: o, done: done})
	return PublishResult{ID: r.id, Duplicate: r.ok}, r.err
}

// SetPolicy replaces the queue's delivery rules. Messages already in the
// queue keep the delay and expiry they were given; limits, retries,
// timeouts and FIFO apply from now on.
func (q *Queue) SetPolicy(p Policy, now time.Time) {
	q.apply(&command{op: opSetPolicy, now: now.UnixNano(), policy: p})
}

// Policy returns the queue's delivery rules.
func (q *Queue) Policy() Policy {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.policy
}

// Tick does what time alone makes due at now: delayed messages become
// ready, leases past their visibility or consumer timeout return, the
// oldest messages past their TTL die, deduplication ids are forgotten.
// The broker calls it at NextDeadline.
func (q *Queue) Tick(now time.Time) {
	q.apply(&command{op: opTick, now: now.UnixNano()})
}

// Consume registers a push consumer. Ready messages are pushed to it at
// once, as far as its prefetch, its Limiter and consumers of higher
// priority allow.
func (q *Queue) Consume(o ConsumerOptions, now time.Time) (*Consumer, error) {
	switch {
	case o.Deliver == nil:
		return nil, fmt.Errorf("queue %q: consume %q: no Deliver func: %w", q.name, o.Tag, ErrInvalid)
	case o.Prefetch < 0:
		return nil, fmt.Errorf("queue %q: consume %q: prefetch %d: %w", q.name, o.Tag, o.Prefetch, ErrInvalid)
	}
	c := &Consumer{tag: o.Tag, prefetch: o.Prefetch, noAck: o.NoAck, deliver: o.Deliver, onTimeout: o.OnTimeout, conn: o.Connection,
		priority: o.Priority}
	if !o.NoAck {
		c.limiter = o.Limiter // at most once needs no acks to wait for
	}
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
// removed at once (at most once); otherwise it is leased to owner, for
// the policy's LeaseTimeout if it has one.
func (q *Queue) Get(owner Owner, noAck bool, now time.Time) (Delivery, bool, error) {
	r := q.apply(&command{op: opGet, now: now.UnixNano(), owner: owner, flag: noAck, timeout: -1})
	return r.d, r.ok, r.err
}

// GetLeased takes the next ready message for owner, leased for timeout
// (an SQS visibility timeout): unless settled, released or extended
// before then, it returns by itself as a failed delivery. timeout 0 means
// no timeout.
func (q *Queue) GetLeased(owner Owner, timeout time.Duration, now time.Time) (Delivery, bool, error) {
	if timeout < 0 {
		return Delivery{}, false, fmt.Errorf("queue %q: get: lease timeout %v: %w", q.name, timeout, ErrInvalid)
	}
	r := q.apply(&command{op: opGet, now: now.UnixNano(), owner: owner, timeout: timeout})
	return r.d, r.ok, r.err
}

// ChangeVisibility moves the end of the lease owner holds on id to
// timeout from now (SQS ChangeMessageVisibility). timeout 0 returns the
// message now, as a failed delivery without the retry delay.
func (q *Queue) ChangeVisibility(owner Owner, id uint64, timeout time.Duration, now time.Time) error {
	if timeout < 0 {
		return fmt.Errorf("queue %q: change visibility: timeout %v: %w", q.name, timeout, ErrInvalid)
	}
	return q.apply(&command{op: opVisibility, now: now.UnixNano(), owner: owner, id: id, timeout: timeout}).err
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
// it is ready again ahead of newer messages (after the policy's retry
// delay, unless it reached MaxDeliveries and dies), its delivery count
// kept; without, it dies with ReasonRejected.
func (q *Queue) Nack(owner Owner, id uint64, requeue bool, now time.Time) error {
	return q.apply(&command{op: opNack, now: now.UnixNano(), owner: owner, id: id, flag: requeue}).err
}

// AckLease is Ack of one hand-out (see Lease).
func (q *Queue) AckLease(owner Owner, l Lease, now time.Time, done func(error)) error {
	if err := q.checkLog("ack"); err != nil {
		return err
	}
	return q.apply(&command{op: opAck, now: now.UnixNano(), owner: owner, id: l.ID, delivery: l.Delivery, done: done}).err
}

// NackLease is Nack of one hand-out (see Lease).
func (q *Queue) NackLease(owner Owner, l Lease, requeue bool, now time.Time) error {
	return q.apply(&command{op: opNack, now: now.UnixNano(), owner: owner, id: l.ID, delivery: l.Delivery, flag: requeue}).err
}

// ChangeLeaseVisibility is ChangeVisibility of one hand-out (see Lease).
func (q *Queue) ChangeLeaseVisibility(owner Owner, l Lease, timeout time.Duration, now time.Time) error {
	if timeout < 0 {
		return fmt.Errorf("queue %q: change visibility: timeout %v: %w", q.name, timeout, ErrInvalid)
	}
	return q.apply(&command{op: opVisibility, now: now.UnixNano(), owner: owner, id: l.ID, delivery: l.Delivery, timeout: timeout}).err
}

// Release makes every message leased to owner ready again, delivery counts
// kept, and returns how many there were: the owner went away (a closed
// channel) or asked for redelivery (AMQP basic.recover). Each counts as a
// failed delivery (retry delay, delivery limit). It does not
// cancel the owner's consumers; cancel them first when the owner is gone,
// or the released messages may go straight back to them.
func (q *Queue) Release(owner Owner, now time.Time) int {
	return q.apply(&command{op: opRelease, now: now.UnixNano(), owner: owner}).n
}

// Purge removes every waiting message, ready or delayed (leased ones
// stay), and returns how many.
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
