package queue

import (
	"time"

	"github.com/ferrymq/ferry/internal/hist"
)

// AckLatencyLayout is the buckets of Stats.AckLatency, in nanoseconds:
// 100µs, 200µs, 400µs… doubling 26 times to about 56 minutes, so that both
// a consumer keeping up (sub-millisecond) and a backlog drained an hour
// later land in a bounded bucket.
var AckLatencyLayout = hist.Layout{Base: int64(100 * time.Microsecond), N: 26}

// counters are the queue's running totals since Open. Guarded by Queue.mu.
type counters struct {
	published        uint64
	delivered        uint64
	redelivered      uint64
	acked            uint64
	rejected         uint64
	requeued         uint64
	retried          uint64
	purged           uint64
	unreadable       uint64
	expired          uint64
	maxlen           uint64
	deduplicated     uint64
	rejectedPublish  uint64
	leaseExpired     uint64
	consumerTimeouts uint64
	deleted          uint64
	died             [ReasonDeliveryLimit + 1]uint64
	ackLatency       hist.Counts // enqueue→ack in nanoseconds, AckLatencyLayout
}

// countAckLocked counts one message removed by an ack (or handed to a
// no-ack consumer) at now, enqueued at at. at is the publish time, kept
// across redeliveries and retries, or the queue's Open for a message
// found in the log: the latency is what the message waited in this
// process, from the times the caller passed in, never the wall clock.
func (q *Queue) countAckLocked(at, now int64) {
	q.counters.acked++
	q.counters.ackLatency.Observe(now - at)
}

// Stats is a snapshot of a queue, for admin and metrics. Counters run from
// the queue's Open.
type Stats struct {
	Ready        int   // messages waiting for delivery (held back by a FIFO group included)
	Delayed      int   // messages not deliverable yet: delayed publish or retry backoff
	Unacked      int   // messages leased and not yet settled
	Dead         int   // messages that died and wait to be moved to their dead-letter target
	Consumers    int   // registered push consumers
	ReadyBytes   int64 // bodies of ready messages
	DelayedBytes int64 // bodies of delayed messages
	UnackedBytes int64 // bodies of leased messages
	// OldestReadyAge is how long the lowest-ID ready message has waited
	// (since its publish, or since Open for one found in the log); 0 when
	// nothing is ready.
	OldestReadyAge time.Duration
	// BlockedGroups counts FIFO groups that hold messages back because one
	// of theirs is leased or waiting out a retry delay.
	BlockedGroups int
	// DedupIDs counts the deduplication ids remembered.
	DedupIDs int

	Published       uint64 // messages published (duplicates not included)
	Delivered       uint64 // deliveries, pushed or got, redeliveries included
	Redelivered     uint64 // deliveries of messages delivered before
	Acked           uint64 // removed by ack, or on delivery for no-ack
	Rejected        uint64 // nacked without requeue
	Requeued        uint64 // returned by nack, Release, a timeout or Close
	Retried         uint64 // returns that waited out a retry delay
	Purged          uint64 // removed by Purge
	Unreadable      uint64 // skipped because the log could not read them
	Expired         uint64 // died of their TTL
	MaxLen          uint64 // pushed out of a full queue
	Deduplicated    uint64 // publishes dropped as duplicates
	RejectedPublish uint64 // publishes refused by a full queue
	LeaseExpired    uint64 // Get leases that ran out
	ConsumerTimeout uint64 // consumers cancelled for holding a message too long
	Deleted         uint64 // removed one by one by an operator (Delete)
	// DeadLettered counts deaths by reason (index: Reason).
	DeadLettered [ReasonDeliveryLimit + 1]uint64
	// AckLatency is how long acked messages waited from enqueue to ack
	// (AckLatencyLayout, nanoseconds); its Count equals Acked.
	AckLatency hist.Counts
	Err        error // the log's sticky error, if any
}

// Stats reports the queue's state as of now.
func (q *Queue) Stats(now time.Time) Stats {
	err := q.Err()
	q.mu.Lock()
	defer q.mu.Unlock()
	c := &q.counters
	s := Stats{
		Ready:           q.ready.len() + q.waiting,
		Delayed:         len(q.delayed),
		Unacked:         len(q.leases),
		Dead:            len(q.dead) + len(q.dying),
		Consumers:       len(q.consumers),
		ReadyBytes:      q.ready.bytes + q.waitingBytes,
		DelayedBytes:    q.delayedBytes,
		UnackedBytes:    q.leasedBytes,
		BlockedGroups:   q.blockedGroupsLocked(),
		DedupIDs:        len(q.dedup),
		Published:       c.published,
		Delivered:       c.delivered,
		Redelivered:     c.redelivered,
		Acked:           c.acked,
		Rejected:        c.rejected,
		Requeued:        c.requeued,
		Retried:         c.retried,
		Purged:          c.purged,
		Unreadable:      c.unreadable,
		Expired:         c.expired,
		MaxLen:          c.maxlen,
		Deduplicated:    c.deduplicated,
		RejectedPublish: c.rejectedPublish,
		LeaseExpired:    c.leaseExpired,
		ConsumerTimeout: c.consumerTimeouts,
		Deleted:         c.deleted,
		DeadLettered:    c.died,
		AckLatency:      c.ackLatency,
		Err:             err,
	}
	if e, ok := q.ready.peek(); ok {
		s.OldestReadyAge = max(0, time.Duration(now.UnixNano()-e.at))
	}
	return s
}
