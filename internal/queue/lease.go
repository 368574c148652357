package queue

import "slices"

// Owner is whoever holds leases on delivered messages: an AMQP channel, an
// SQS receiver. The caller allocates Owner values; the queue only compares
// them. Acks and nacks are accepted only from the owner of the lease, and
// Release returns all of an owner's leases at once.
type Owner uint64

// lease is a delivered, unacknowledged message. Leases live in Queue.leases
// by ID and, through prev/next, in their owner's list, so that Release
// costs what the owner holds rather than what the queue holds. Spent leases
// are pooled (Queue.free) so that the deliver/ack hot path does not
// allocate.
type lease struct {
	readyEntry             // deliveries includes the delivery that made the lease
	owner      *ownerState // never nil
	consumer   *Consumer   // nil for Get
	prev, next *lease      // in owner's list
	since      int64       // when it was handed out, Unix nanoseconds
	deadline   int64       // when it returns by itself (visibility timeout); 0: never
}

// ownerState is one Owner's leases and consumers. It exists while either
// count is above zero.
type ownerState struct {
	id        Owner
	first     *lease
	leases    int
	consumers int
	who       string // who took messages by Get (GetAs), for the Observer; set only while observed
}

// leaseCap bounds the pool of spent leases; beyond it they go to the GC.
const leaseCap = 4096

// ownerLocked returns the state of owner o, creating it if needed.
func (q *Queue) ownerLocked(o Owner) *ownerState {
	s := q.owners[o]
	if s == nil {
		s = &ownerState{id: o}
		q.owners[o] = s
	}
	return s
}

// dropOwnerIfIdleLocked forgets s once it holds nothing.
func (q *Queue) dropOwnerIfIdleLocked(s *ownerState) {
	if s.leases == 0 && s.consumers == 0 {
		delete(q.owners, s.id)
	}
}

// leaseLocked records that e was handed to owner (through consumer c, or
// by Get when c is nil).
func (q *Queue) leaseLocked(e readyEntry, owner *ownerState, c *Consumer, now int64) *lease {
	var l *lease
	if n := len(q.free); n > 0 {
		l = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		l = new(lease)
	}
	*l = lease{readyEntry: e, owner: owner, consumer: c, next: owner.first, since: now}
	if owner.first != nil {
		owner.first.prev = l
	}
	owner.first = l
	owner.leases++
	q.leases[e.id] = l
	q.leasedBytes += int64(e.size)
	if c != nil {
		q.addUnackedLocked(c, 1)
	}
	return l
}

// findLeaseLocked returns the lease on id held by owner, or nil. With
// delivery not 0 it must also be that hand-out of the message (see Lease).
func (q *Queue) findLeaseLocked(owner Owner, id uint64, delivery uint32) *lease {
	l := q.leases[id]
	if l == nil || l.owner.id != owner || delivery != 0 && l.deliveries != delivery {
		return nil
	}
	return l
}

// Lease names one hand-out of a message: its ID and the delivery count of
// that hand-out. A front end that settles by Lease rather than by ID
// cannot settle a later hand-out of the same message by mistake: after a
// lease timed out and the message went to the same owner again, an ack
// of the old delivery is ErrUnknownDelivery, as in SQS a stale receipt
// handle is.
type Lease struct {
	ID       uint64
	Delivery uint32
}

// Lease returns the lease d was handed out under.
func (d Delivery) Lease() Lease { return Lease{ID: d.ID, Delivery: d.Deliveries} }

// endLeaseLocked forgets l: the message was acked, dropped or returned.
// The caller has taken what it needs from l; l is recycled.
func (q *Queue) endLeaseLocked(l *lease) {
	delete(q.leases, l.id)
	q.leasedBytes -= int64(l.size)
	o := l.owner
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		o.first = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	}
	o.leases--
	if l.consumer != nil {
		q.addUnackedLocked(l.consumer, -1)
		if lim := l.consumer.limiter; lim != nil {
			q.oweLocked(lim) // its hand-out took a credit
		}
	}
	q.dropOwnerIfIdleLocked(o)
	if len(q.free) < leaseCap {
		*l = lease{}
		q.free = append(q.free, l)
	}
}

// ownerLeaseIDsLocked lists the IDs leased to owner, in ID order, so that
// returning them writes the same log whatever the order they were taken in.
func (q *Queue) ownerLeaseIDsLocked(owner Owner) []uint64 {
	s := q.owners[owner]
	if s == nil || s.leases == 0 {
		return nil
	}
	ids := make([]uint64, 0, s.leases)
	for l := s.first; l != nil; l = l.next {
		ids = append(ids, l.id)
	}
	slices.Sort(ids)
	return ids
}

// allLeaseIDsLocked lists every leased ID, in ID order.
func (q *Queue) allLeaseIDsLocked() []uint64 {
	ids := make([]uint64, 0, len(q.leases))
	for id := range q.leases {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
