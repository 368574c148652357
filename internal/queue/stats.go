package queue

import "time"

// counters are the queue's running totals since Open. Guarded by Queue.mu.
type counters struct {
	published   uint64
	delivered   uint64
	redelivered uint64
	acked       uint64
	rejected    uint64
	requeued    uint64
	purged      uint64
	unreadable  uint64
}

// Stats is a snapshot of a queue, for admin and metrics. Counters run from
// the queue's Open.
type Stats struct {
	Ready        int   // messages waiting for delivery
	Unacked      int   // messages leased and not yet settled
	Consumers    int   // registered push consumers
	ReadyBytes   int64 // bodies of ready messages
	UnackedBytes int64 // bodies of leased messages
	// OldestReadyAge is how long the lowest-ID ready message has waited
	// (since its publish, or since Open for one found in the log); 0 when
	// nothing is ready.
	OldestReadyAge time.Duration

	Published   uint64 // messages published
	Delivered   uint64 // deliveries, pushed or got, redeliveries included
	Redelivered uint64 // deliveries of messages delivered before
	Acked       uint64 // removed by ack, or on delivery for no-ack
	Rejected    uint64 // removed by nack without requeue
	Requeued    uint64 // returned by nack, Release or Close
	Purged      uint64 // removed by Purge
	Unreadable  uint64 // skipped because the log could not read them
	Err         error  // the log's sticky error, if any
}

// Stats reports the queue's state as of now.
func (q *Queue) Stats(now time.Time) Stats {
	err := q.Err()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Stats{
		Ready:        q.ready.len(),
		Unacked:      len(q.leases),
		Consumers:    len(q.consumers),
		ReadyBytes:   q.ready.bytes,
		UnackedBytes: q.leasedBytes,
		Published:    q.counters.published,
		Delivered:    q.counters.delivered,
		Redelivered:  q.counters.redelivered,
		Acked:        q.counters.acked,
		Rejected:     q.counters.rejected,
		Requeued:     q.counters.requeued,
		Purged:       q.counters.purged,
		Unreadable:   q.counters.unreadable,
		Err:          err,
	}
	if e, ok := q.ready.peek(); ok {
		s.OldestReadyAge = max(0, time.Duration(now.UnixNano()-e.at))
	}
	return s
}
