package queue

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter bounds the unacknowledged deliveries that a set of push
// consumers, in any number of queues, hold together: AMQP's basic.qos
// with global=true, one Limiter per channel, as RabbitMQ's rabbit_limiter
// is. It is a count of credits. A queue takes one, under its own lock,
// before it hands a message to a consumer with this Limiter
// (ConsumerOptions.Limiter); when none is left the consumer is parked:
// it stops counting as a consumer with credit until the Limiter resumes
// it. The queue gives the credit back when the lease ends, however it
// ends (ack, nack, release, a lease or consumer timeout, the queue's
// close, also after the consumer was cancelled), once the command that
// ended it has let the queue's lock go (Queue.apply): the engine is the
// one place that sees every end of a lease, so the front end keeps no
// count of its own. The owner of the Limiter (the channel) changes the
// bound with SetLimit; releases and SetLimit resume the queues whose
// consumers were parked. A consumer's own Prefetch still applies: a
// message goes to it only when both allow.
//
// Credits are counted whatever the limit, so a bound set later (0 means
// none) applies at once to what is already out: with 50 messages out, a
// limit of 1 lets nothing more through until 50 are settled.
//
// No-ack consumers and Get take no credits.
//
// # Locking
//
// Limiter.mu is taken after Queue.mu (take runs under the lock of the
// queue handing out) and is never held while calling into a queue.
// Release and SetLimit resume queues one at a time, taking each one's
// lock, so they must not be called with any queue's lock held (nor from
// a Deliver or OnTimeout callback): a queue's lock, then its Limiters',
// is the only nesting.
//
// The counts are atomics so that the common cases take no lock: a take
// with no bound (a channel without global qos, which still counts) is
// one atomic add under the queue's lock, and a Release with no queue
// parked is an atomic add and a load. A take that may park announces it
// (maybeParked) before it reads the count, and a Release reads
// maybeParked after it lowered the count: so either the take sees the
// credit freed, or the Release sees the take and resumes its queue; no
// wake-up is lost between them.
type Limiter struct {
	limit       atomic.Int64 // most credits out at once, 0 for no bound; written with mu held
	used        atomic.Int64 // credits taken and not yet released
	maybeParked atomic.Bool  // a queue is (or is about to be) in parked; written with mu held

	mu     sync.Mutex
	parked []*Queue // guarded by mu; queues that parked a consumer on this Limiter since its last resume, each once
	spare  []*Queue // guarded by mu; parked's previous backing array, kept so resuming does not allocate
}

// NewLimiter returns a Limiter allowing limit credits out at once; 0
// means no bound (credits are still counted).
func NewLimiter(limit int) *Limiter {
	l := &Limiter{}
	l.limit.Store(int64(max(0, limit)))
	return l
}

// Limit returns the bound; 0 for none.
func (l *Limiter) Limit() int { return int(l.limit.Load()) }

// Used returns the credits taken and not released.
func (l *Limiter) Used() int { return int(l.used.Load()) }

// SetLimit changes the bound (0: none) and applies it at once: a higher
// bound resumes parked consumers, which may receive messages before
// SetLimit returns; a lower one stops further hand-outs until enough
// credits are released. No queue lock may be held.
func (l *Limiter) SetLimit(limit int, now time.Time) {
	l.mu.Lock()
	l.limit.Store(int64(max(0, limit)))
	qs := l.wakeLocked()
	l.mu.Unlock()
	l.resume(qs, now)
}

// Release gives n credits back, deliveries that ended, and resumes the
// queues whose consumers were parked, which may push messages before
// Release returns. Releasing more than was taken is a caller's bug; the
// count then stays at 0. No queue lock may be held.
func (l *Limiter) Release(n int, now time.Time) {
	if n <= 0 {
		return
	}
	for {
		u := l.used.Load()
		if l.used.CompareAndSwap(u, max(0, u-int64(n))) {
			break
		}
	}
	if !l.maybeParked.Load() {
		return
	}
	l.mu.Lock()
	qs := l.wakeLocked()
	l.mu.Unlock()
	l.resume(qs, now)
}

// take takes one credit for a hand-out by q, or, when none is left,
// remembers q to resume and reports false. q's lock is held.
func (l *Limiter) take(q *Queue) bool {
	if l.limit.Load() == 0 {
		l.used.Add(1)
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeParked.Store(true) // before reading used: see Locking
	if lim := l.limit.Load(); lim == 0 || l.used.Load() < lim {
		l.used.Add(1)
		l.maybeParked.Store(len(l.parked) > 0)
		return true
	}
	if !slices.Contains(l.parked, q) {
		l.parked = append(l.parked, q)
	}
	return false
}

// wakeLocked returns the queues to resume, if a credit is free, and
// forgets them: a queue whose consumers run out again parks anew. l.mu
// held.
func (l *Limiter) wakeLocked() []*Queue {
	if len(l.parked) == 0 {
		l.maybeParked.Store(false)
		return nil
	}
	if lim := l.limit.Load(); lim != 0 && l.used.Load() >= lim {
		return nil
	}
	qs := l.parked
	l.parked, l.spare = l.spare[:0], nil
	l.maybeParked.Store(false)
	return qs
}

// resume resumes qs, in the order they parked, with no lock held, then
// keeps their slice for reuse.
func (l *Limiter) resume(qs []*Queue, now time.Time) {
	if len(qs) == 0 {
		return
	}
	for _, q := range qs {
		q.resume(l, now)
	}
	clear(qs)
	l.mu.Lock()
	if l.spare == nil {
		l.spare = qs[:0]
	}
	l.mu.Unlock()
}

// resume gives q's consumers parked on l their place again and pushes
// what they may now take: the opResume command, so that it goes through
// applyLocked like every change of a queue's state. It takes q's lock. A
// closed queue does nothing.
func (q *Queue) resume(l *Limiter, now time.Time) {
	q.apply(&command{op: opResume, now: now.UnixNano(), limiter: l})
}

// resumeLocked unparks the consumers parked on l and dispatches. Lock
// held.
func (q *Queue) resumeLocked(l *Limiter, now int64) {
	for _, c := range q.consumers {
		if c.parked && c.limiter == l {
			c.parked = false
			if c.hasCredit() {
				q.withCredit++
			}
		}
	}
	q.dispatchLocked(now)
}

// parkLocked takes c, which has credit but whose Limiter has none, out
// of the consumers with credit until its Limiter resumes q. Lock held.
func (q *Queue) parkLocked(c *Consumer) {
	if c.hasCredit() {
		q.withCredit--
	}
	c.parked = true
}

// credit is n credits owed to l.
type credit struct {
	l *Limiter
	n int
}

// oweLocked notes that a lease of a consumer with Limiter l ended (or a
// credit taken for a hand-out went unused): the credit goes back once
// the command is applied. Lock held.
func (q *Queue) oweLocked(l *Limiter) {
	if n := len(q.owed); n > 0 && q.owed[n-1].l == l {
		q.owed[n-1].n++
		return
	}
	q.owed = append(q.owed, credit{l: l, n: 1})
}

// owedCredits are the credits one command ended, to release once the
// queue's lock is let go: usually those of one Limiter (one channel),
// kept without allocating.
type owedCredits struct {
	one  credit
	more []credit
}

// takeOwedLocked empties q.owed, keeping its array. Lock held.
func (q *Queue) takeOwedLocked() owedCredits {
	var o owedCredits
	if len(q.owed) == 1 {
		o.one = q.owed[0]
	} else {
		o.more = slices.Clone(q.owed)
	}
	clear(q.owed)
	q.owed = q.owed[:0]
	return o
}

// release gives the credits back, resuming what their Limiters parked.
// No queue lock may be held.
func (o owedCredits) release(now time.Time) {
	if o.one.l != nil {
		o.one.l.Release(o.one.n, now)
	}
	for _, c := range o.more {
		c.l.Release(c.n, now)
	}
}
