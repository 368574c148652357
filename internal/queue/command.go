package queue

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// op names a state change of a queue.
type op uint8

const (
	opPublish op = iota + 1
	opConsume
	opCancel
	opGet
	opAck
	opNack
	opRelease
	opPurge
	opClose
	opSetPolicy
	opTick
	opVisibility
	opTakeDead
	opBury
	opDelete
	opTake
	opResume
)

var opNames = [...]string{
	opPublish: "publish", opConsume: "consume", opCancel: "cancel", opGet: "get",
	opAck: "ack", opNack: "nack", opRelease: "release", opPurge: "purge", opClose: "close",
	opSetPolicy: "set-policy", opTick: "tick", opVisibility: "change-visibility",
	opTakeDead: "take-dead", opBury: "dead-lettered", opDelete: "delete", opTake: "take",
	opResume: "resume",
}

func (o op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// command is one state change, with every input it depends on: the same
// commands applied in the same order to queues opened on equal logs give
// equal state and equal deliveries. The exported methods only build a
// command and apply it; a replicated queue will feed the same commands
// from its Raft log (see raft.FSM.Apply) instead.
type command struct {
	op       op
	now      int64 // Unix nanoseconds
	owner    Owner
	id       uint64
	delivery uint32 // opAck, opNack, opVisibility: the hand-out of id to settle; 0: whichever
	n        int    // opTakeDead: at most this many
	data     []byte
	opts     PublishOptions
	policy   Policy        // opSetPolicy
	timeout  time.Duration // opGet: lease timeout (-1: the policy's); opVisibility: new timeout
	flag     bool          // opGet: noAck; opNack: requeue
	consumer *Consumer     // opConsume, opCancel
	limiter  *Limiter      // opResume: the Limiter whose parked consumers resume
	who      string        // opGet: who takes it, for the Observer
	done     func(error)
}

// result is what applying a command produced.
type result struct {
	id   uint64   // opPublish: the new message's ID
	n    int      // opRelease, opPurge: messages affected
	d    Delivery // opGet
	ok   bool     // opGet: a message was taken; opCancel: the consumer was registered; opPublish: duplicate
	dead []DeadMessage
	err  error
}

// applyLocked is the one place where a queue's state changes. It appends
// the records that make the change durable, in the order the change makes
// them, and ends with a dispatch when the change can have made a message
// deliverable. Lock held.
func (q *Queue) applyLocked(c *command) result {
	if q.closed {
		return result{err: fmt.Errorf("queue %q: %s: %w", q.name, c.op, ErrClosed)}
	}
	q.seen = max(q.seen, c.now)
	switch c.op {
	case opPublish:
		return q.publishLocked(c)
	case opConsume:
		k := c.consumer
		k.owner = q.ownerLocked(c.owner)
		k.owner.consumers++
		q.consumers = append(q.consumers, k)
		q.addToLevelLocked(k)
		if k.hasCredit() {
			q.withCredit++
		}
		q.dispatchLocked(c.now)
		return result{ok: true}
	case opResume:
		q.resumeLocked(c.limiter, c.now)
		return result{}
	case opCancel:
		return result{ok: q.removeConsumerLocked(c.consumer)}
	case opGet:
		return q.getLocked(c)
	case opAck, opNack:
		return q.settleLocked(c)
	case opRelease:
		ids := q.ownerLeaseIDsLocked(c.owner)
		for _, id := range ids {
			q.returnLocked(q.leases[id], c.now, true)
		}
		q.dispatchLocked(c.now)
		return result{n: len(ids)}
	case opPurge:
		return result{n: q.purgeLocked(c.now)}
	case opSetPolicy:
		q.setPolicyLocked(c.policy, c.now)
		return result{}
	case opTick:
		q.promoteDueLocked(c.now)
		q.expireLeasesLocked(c.now)
		q.expireHeadLocked(c.now)
		q.sweepDedupLocked(c.now)
		q.dispatchLocked(c.now)
		return result{}
	case opVisibility:
		return q.visibilityLocked(c)
	case opTakeDead:
		return result{dead: q.takeDeadLocked(c.n)}
	case opBury:
		return q.buryLocked(c)
	case opDelete:
		return q.deleteLocked(c)
	case opTake:
		return q.takeLocked(c)
	case opClose:
		// Leases end with the process: write their delivery counts down so
		// the next Open replays them as ready, redelivered.
		for _, id := range q.allLeaseIDsLocked() {
			q.returnLocked(q.leases[id], c.now, false)
		}
		for _, k := range q.consumers {
			k.cancelled = true
		}
		q.closed = true
		q.consumers, q.withCredit, q.cursor, q.levels = nil, 0, 0, nil
		q.ready, q.free, q.delayed, q.timers, q.dead = readyQueue{}, nil, nil, nil, nil
		return result{}
	}
	panic(fmt.Sprintf("queue: unknown %s", c.op))
}

func (q *Queue) publishLocked(c *command) result {
	if uint64(len(c.data)) > math.MaxUint32 {
		return result{err: fmt.Errorf("queue %q: publish of %d bytes: %w", q.name, len(c.data), ErrTooLarge)}
	}
	o, p := &c.opts, &q.policy
	if o.DedupID != "" {
		if d := q.seenLocked(o.DedupID, c.now); d != nil {
			q.counters.deduplicated++
			d.confirmDuplicate(c.done)
			return result{id: d.msg, ok: true}
		}
	}
	if q.fullLocked(1, int64(len(c.data))) && p.Overflow != OverflowDropHead {
		q.counters.rejectedPublish++
		return result{err: fmt.Errorf("queue %q: publish: queue full (%d messages, %d bytes): %w",
			q.name, q.waitingCountLocked(), q.waitingBytesLocked(), ErrRejected)}
	}
	if o.DedupID != "" {
		q.rememberLocked(o.DedupID, c.now)
	}
	q.lastID++
	id := q.lastID
	done := c.done
	if o.DedupID != "" {
		d := q.dedup[o.DedupID]
		d.msg = id
		inner := c.done // not c: a closure over c would move every command to the heap
		done = func(err error) {
			if inner != nil {
				inner(err)
			}
			d.storedWith(err)
		}
	}
	e := readyEntry{id: id, at: c.now, size: uint32(len(c.data))}
	delay := p.Delay
	if o.HasDelay || o.Delay > 0 {
		delay = max(0, o.Delay)
	}
	var due int64
	if delay > 0 {
		due = c.now + int64(delay)
	}
	if ttl, ok := q.ttl(o); ok {
		e.expires = max(c.now, due) + int64(ttl)
	}
	var key string
	if o.Group != "" {
		key = o.Group
		e.grp = q.groupLocked(key)
	}
	if q.observe != nil {
		// Before the append: an observer that keeps its own record of the
		// publish has it queued before the message's confirm can run.
		q.emitPublished(id, c.now, len(c.data), o.Note)
	}
	q.log.Append(store.Record{Kind: store.Enqueue, ID: id, Data: c.data,
		Meta: store.Meta{Due: due, Expires: e.expires, Key: key}}, done)
	q.counters.published++
	if due > 0 {
		q.delayLocked(e, due)
	} else {
		q.ready.pushFresh(e)
		q.dispatchLocked(c.now)
	}
	if q.trimLocked(c.now) {
		// A dropped message may have held its FIFO group: the one it
		// lets go may be deliverable.
		q.dispatchLocked(c.now)
	}
	if e.expires != 0 {
		q.notifyAtLocked(e.expires + 1)
	}
	return result{id: id}
}

// ttl is the TTL a message published with o gets: the lower of its own
// and the policy's.
func (q *Queue) ttl(o *PublishOptions) (time.Duration, bool) {
	p := &q.policy
	switch {
	case o.HasTTL && p.HasMessageTTL:
		return max(0, min(o.TTL, p.MessageTTL)), true
	case o.HasTTL:
		return max(0, o.TTL), true
	case p.HasMessageTTL:
		return max(0, p.MessageTTL), true
	}
	return 0, false
}

func (q *Queue) getLocked(c *command) result {
	timeout := c.timeout
	if timeout < 0 {
		timeout = q.policy.LeaseTimeout
	}
	for {
		e, ok := q.nextReadyLocked(c.now)
		if !ok {
			return result{}
		}
		q.getWho = c.who
		d, ok := q.handOutLocked(e, nil, c.owner, c.flag, c.now, timeout)
		q.getWho = ""
		if ok {
			return result{d: d, ok: true}
		}
	}
}

// settleLocked applies an ack or a nack of one lease.
func (q *Queue) settleLocked(c *command) result {
	l := q.findLeaseLocked(c.owner, c.id, c.delivery)
	if l == nil {
		return result{err: fmt.Errorf("queue %q: %s of message %d by owner %d: %w", q.name, c.op, c.id, c.owner, ErrUnknownDelivery)}
	}
	if q.observe != nil {
		q.emitSettled(l, c.op == opNack, c.flag, c.now)
	}
	switch {
	case c.op == opNack && c.flag:
		q.returnLocked(l, c.now, true)
	case c.op == opNack:
		e := l.readyEntry
		q.endLeaseLocked(l)
		q.counters.rejected++
		q.dieLocked(e, ReasonRejected, c.now)
		if c.done != nil {
			c.done(nil)
		}
	default:
		e := l.readyEntry
		q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, c.done)
		q.endLeaseLocked(l)
		q.leaveGroupLocked(e.grp, e.id)
		q.countAckLocked(e.at, c.now)
	}
	q.dispatchLocked(c.now)
	return result{}
}

// visibilityLocked moves the end of one Get lease.
func (q *Queue) visibilityLocked(c *command) result {
	l := q.findLeaseLocked(c.owner, c.id, c.delivery)
	if l == nil {
		return result{err: fmt.Errorf("queue %q: %s of message %d by owner %d: %w", q.name, c.op, c.id, c.owner, ErrUnknownDelivery)}
	}
	if c.timeout == 0 {
		q.returnNowLocked(l, c.now)
		q.dispatchLocked(c.now)
		return result{}
	}
	l.deadline = c.now + int64(c.timeout)
	q.armLocked(l)
	return result{}
}

// returnLocked ends lease l and gives its message back, keeping its
// delivery count in memory and in the log. A failed delivery (failed:
// nack with requeue, released, lease or consumer timeout) is subject to
// the policy: at MaxDeliveries the message dies; otherwise it waits out
// the retry delay. A return at Close is not a failure: the process is
// going away, not the consumer.
func (q *Queue) returnLocked(l *lease, now int64, failed bool) {
	e := l.readyEntry
	p := &q.policy
	if failed && p.MaxDeliveries > 0 && e.deliveries >= p.MaxDeliveries {
		q.endLeaseLocked(l)
		q.dieLocked(e, ReasonDeliveryLimit, now)
		return
	}
	var due int64
	if failed {
		if d := p.Retry.Delay(e.id, e.deliveries); d > 0 {
			due = now + int64(d)
		}
	}
	q.log.Append(store.Record{Kind: store.Requeue, ID: e.id, Deliveries: e.deliveries, Meta: store.Meta{Due: due}}, nil)
	if failed && q.observe != nil {
		// A return at Close is the process going away, not an event of
		// the message's.
		q.emitReturned(l, due, now)
	}
	q.endLeaseLocked(l)
	q.counters.requeued++
	if due > 0 {
		q.counters.retried++
		q.delayLocked(e, due) // the FIFO group stays held until it is due
		return
	}
	q.readyAgainLocked(e)
}

// returnNowLocked gives l's message back at once, without the retry delay
// (SQS visibility set to 0), still subject to the delivery limit.
func (q *Queue) returnNowLocked(l *lease, now int64) {
	e := l.readyEntry
	if p := &q.policy; p.MaxDeliveries > 0 && e.deliveries >= p.MaxDeliveries {
		q.endLeaseLocked(l)
		q.dieLocked(e, ReasonDeliveryLimit, now)
		return
	}
	q.log.Append(store.Record{Kind: store.Requeue, ID: e.id, Deliveries: e.deliveries}, nil)
	if q.observe != nil {
		q.emitReturned(l, 0, now)
	}
	q.endLeaseLocked(l)
	q.counters.requeued++
	q.readyAgainLocked(e)
}

// readyAgainLocked puts a returned message back in the ready queue and
// frees its group.
func (q *Queue) readyAgainLocked(e readyEntry) {
	if g := e.grp; g != nil && g.holder == e.id {
		g.holder = 0
		q.unblockGroupLocked(g)
	}
	q.ready.pushReturned(e)
	if e.expires != 0 {
		q.notifyAtLocked(e.expires + 1) // it may be the new head
	}
}

// nextReadyLocked pops the next message that may be handed out: expired
// messages met on the way die, and messages whose FIFO group is held
// wait in their group.
func (q *Queue) nextReadyLocked(now int64) (readyEntry, bool) {
	for {
		e, ok := q.ready.pop()
		if !ok {
			return readyEntry{}, false
		}
		if e.expired(now) {
			q.counters.expired++
			q.dieLocked(e, ReasonExpired, now)
			continue
		}
		if q.blockedLocked(e) {
			continue
		}
		return e, true
	}
}

// expireHeadLocked kills the expired messages at the head of the ready
// queue. As in RabbitMQ, a message with a long TTL at the head keeps
// shorter-lived messages behind it until it is delivered or expires; a
// queue-wide TTL never meets that, since expiry then follows ID order.
func (q *Queue) expireHeadLocked(now int64) {
	for {
		e, ok := q.ready.peek()
		if !ok || !e.expired(now) {
			return
		}
		q.ready.pop()
		q.counters.expired++
		q.dieLocked(e, ReasonExpired, now)
	}
}

// waitingCountLocked is the number of messages that count against the
// length limit: ready, delayed and held back by their group.
func (q *Queue) waitingCountLocked() int64 {
	return int64(q.ready.len() + len(q.delayed) + q.waiting)
}

func (q *Queue) waitingBytesLocked() int64 {
	return q.ready.bytes + q.delayedBytes + q.waitingBytes
}

// fullLocked reports whether adding n messages of size bytes would pass a
// length limit.
func (q *Queue) fullLocked(n, size int64) bool {
	p := &q.policy
	return p.HasMaxLength && q.waitingCountLocked()+n > p.MaxLength ||
		p.HasMaxLengthBytes && q.waitingBytesLocked()+size > p.MaxLengthBytes
}

// trimLocked kills the oldest waiting messages (ReasonMaxLen) until the
// queue fits its length limits again (overflow drop-head).
// It reports whether it dropped any.
func (q *Queue) trimLocked(now int64) bool {
	dropped := false
	for q.fullLocked(0, 0) {
		e, ok := q.ready.pop()
		if !ok {
			if len(q.delayed) == 0 {
				return dropped
			}
			d := q.delayed.pop()
			q.delayedBytes -= int64(d.size)
			e = d.readyEntry
		}
		q.counters.maxlen++
		q.dieLocked(e, ReasonMaxLen, now)
		dropped = true
	}
	return dropped
}

// purgeLocked removes every message that is not leased.
func (q *Queue) purgeLocked(now int64) int {
	n := 0
	drop := func(e readyEntry) {
		q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, nil)
		if q.observe != nil {
			q.emitGone(EventPurged, e, now)
		}
		q.leaveGroupLocked(e.grp, e.id)
		n++
	}
	// Delayed first: one that waits out a retry delay holds its FIFO
	// group, and dropping it gives a waiting message back to the ready
	// queue, which must then be drained too.
	for len(q.delayed) > 0 {
		d := q.delayed.pop()
		drop(d.readyEntry)
	}
	q.delayedBytes = 0
	q.ready.drain(drop)
	for _, g := range q.groups {
		w := g.waiting
		g.waiting = nil
		for _, e := range w {
			drop(e)
		}
	}
	q.waiting, q.waitingBytes = 0, 0
	q.counters.purged += uint64(n)
	return n
}

// setPolicyLocked applies new rules. Turning FIFO off lets held-back
// messages go.
func (q *Queue) setPolicyLocked(p Policy, now int64) {
	wasFIFO := q.policy.FIFO
	q.policy = p
	if wasFIFO && !p.FIFO {
		for _, g := range q.groups {
			for len(g.waiting) > 0 {
				q.unblockGroupLocked(g)
			}
		}
	}
	q.timers = q.timers[:0] // every live lease is re-armed below
	for _, l := range q.leases {
		if at := q.leaseEnd(l); at != 0 {
			q.timers.push(leaseTimer{at: at, id: l.id})
		}
	}
	q.trimLocked(now)
	q.notifyLocked()
	q.dispatchLocked(now)
}

// handOutLocked delivers ready message e: through consumer c, or by Get
// to owner when c is nil. With noAck the message is removed at once;
// otherwise it is leased (until timeout from now, if timeout > 0). If
// the body cannot be read the message is dropped from memory but not
// from the log, so it comes back on the next Open; handOutLocked then
// reports false.
func (q *Queue) handOutLocked(e readyEntry, c *Consumer, owner Owner, noAck bool, now int64, timeout time.Duration) (Delivery, bool) {
	data, err := q.log.Read(e.id)
	if err != nil {
		q.counters.unreadable++
		q.logger.Error("cannot read message; skipped until the queue is reopened",
			slog.Uint64("id", e.id), slog.Any("err", err))
		q.leaveGroupLocked(e.grp, e.id)
		return Delivery{}, false
	}
	e.deliveries++
	q.counters.delivered++
	if e.deliveries > 1 {
		q.counters.redelivered++
	}
	if noAck {
		q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, nil)
		q.leaveGroupLocked(e.grp, e.id)
		q.countAckLocked(e.at, now)
	} else {
		os := c.ownerOrNil()
		if os == nil {
			os = q.ownerLocked(owner)
		}
		l := q.leaseLocked(e, os, c, now)
		if timeout > 0 {
			l.deadline = now + int64(timeout)
		}
		q.holdGroupLocked(e)
		q.armLocked(l)
	}
	d := Delivery{ID: e.id, Deliveries: e.deliveries, Data: data}
	if c != nil {
		d.Consumer = c.tag
	}
	if q.observe != nil {
		q.emitDelivered(&e, c, owner, noAck, now)
	}
	if e.grp != nil {
		d.Group = e.grp.key
	}
	return d, true
}
