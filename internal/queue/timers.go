package queue

import (
	"math"
	"time"
)

// leaseTimer is a moment at which lease id may end by itself: its
// visibility timeout (Get) or its consumer's timeout (push). Timers are
// not removed when a lease ends early; a timer whose lease no longer
// matches is skipped when it comes up (see dueLeaseLocked), and the heap
// is rebuilt when stale timers outnumber live leases.
type leaseTimer struct {
	at int64 // Unix nanoseconds
	id uint64
}

func (t leaseTimer) before(o leaseTimer) bool {
	return t.at < o.at || t.at == o.at && t.id < o.id
}

// leaseEnd is when l ends by itself: the earlier of its visibility
// deadline and its consumer's timeout; 0 for never.
func (q *Queue) leaseEnd(l *lease) int64 {
	end := l.deadline
	if l.consumer != nil && q.policy.ConsumerTimeout > 0 {
		t := l.since + int64(q.policy.ConsumerTimeout)
		if end == 0 || t < end {
			end = t
		}
	}
	return end
}

// armLocked schedules l's end, if it has one.
func (q *Queue) armLocked(l *lease) {
	at := q.leaseEnd(l)
	if at == 0 {
		return
	}
	if len(q.timers) > 2*len(q.leases)+1024 {
		q.rebuildTimersLocked()
	}
	q.timers.push(leaseTimer{at: at, id: l.id})
	q.notifyAtLocked(at)
}

// rebuildTimersLocked drops stale timers.
func (q *Queue) rebuildTimersLocked() {
	live := q.timers[:0]
	for _, t := range q.timers {
		if l := q.leases[t.id]; l != nil && q.leaseEnd(l) == t.at {
			live = append(live, t)
		}
	}
	q.timers = live
	q.timers.init()
}

// dueLeaseLocked pops the next lease whose end has come, skipping stale
// timers, or returns nil.
func (q *Queue) dueLeaseLocked(now int64) *lease {
	for len(q.timers) > 0 && q.timers[0].at <= now {
		t := q.timers.pop()
		if l := q.leases[t.id]; l != nil && q.leaseEnd(l) == t.at {
			return l
		}
	}
	return nil
}

// expireLeasesLocked ends every lease whose time has come. A Get lease
// past its visibility deadline returns as a failed delivery. A push lease
// past the consumer timeout cancels its consumer (only that consumer: the
// channel and its other consumers go on), and returns every message the
// consumer held, as RabbitMQ's consumer timeout should have done.
func (q *Queue) expireLeasesLocked(now int64) {
	for {
		l := q.dueLeaseLocked(now)
		if l == nil {
			return
		}
		c := l.consumer
		// A lease left by a consumer already cancelled ends alone: there
		// is no consumer left to cancel or to report (OnTimeout).
		if c == nil || c.cancelled || l.deadline != 0 && l.deadline <= now {
			q.counters.leaseExpired++
			q.returnLocked(l, now, true)
			continue
		}
		q.counters.consumerTimeouts++
		q.removeConsumerLocked(c)
		for _, id := range q.ownerLeaseIDsLocked(c.owner.id) {
			if x := q.leases[id]; x.consumer == c {
				q.returnLocked(x, now, true)
			}
		}
		if c.onTimeout != nil {
			c.onTimeout()
		}
	}
}

// NextDeadline returns the earliest time at which Tick has work to do:
// a delayed message comes due, the oldest ready message expires, a lease
// ends, a deduplication id is forgotten. ok is false when nothing is
// scheduled. The broker's timer sleeps until then, or until the queue's
// Notify says the answer may have moved earlier.
func (q *Queue) NextDeadline() (at time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next int64
	consider := func(t int64) {
		if t != 0 && (next == 0 || t < next) {
			next = t
		}
	}
	if len(q.delayed) > 0 {
		consider(q.delayed[0].due)
	}
	if e, ok := q.ready.peek(); ok && e.expires != 0 {
		consider(e.expires + 1) // expired is strictly after expires
	}
	if len(q.timers) > 0 {
		consider(q.timers[0].at)
	}
	if len(q.dedupByExpiry) > 0 {
		consider(q.dedupByExpiry[0].expires)
	}
	if q.closed || next == 0 {
		q.wakeAt = math.MaxInt64
		return time.Time{}, false
	}
	q.wakeAt = next
	return time.Unix(0, next), true
}

// notifyAtLocked tells the broker that there is work at time at, if that
// is earlier than what the last NextDeadline answered (so a steady stream
// of publishes with a TTL does not wake the timer for each).
func (q *Queue) notifyAtLocked(at int64) {
	if q.notify != nil && (q.wakeAt == 0 || at < q.wakeAt) {
		q.wakeAt = at
		q.notify()
	}
}

// notifyLocked tells the broker that something changed that may need it
// now: dead messages to take, a policy change.
func (q *Queue) notifyLocked() {
	if q.notify != nil {
		q.wakeAt = 0
		q.notify()
	}
}
