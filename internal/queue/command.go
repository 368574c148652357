package queue

import (
	"fmt"
	"log/slog"
	"math"

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
)

var opNames = [...]string{
	opPublish: "publish", opConsume: "consume", opCancel: "cancel", opGet: "get",
	opAck: "ack", opNack: "nack", opRelease: "release", opPurge: "purge", opClose: "close",
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
	data     []byte
	flag     bool      // opGet: noAck; opNack: requeue
	consumer *Consumer // opConsume, opCancel
	done     func(error)
}

// result is what applying a command produced.
type result struct {
	id  uint64   // opPublish: the new message's ID
	n   int      // opRelease, opPurge: messages affected
	d   Delivery // opGet
	ok  bool     // opGet: a message was taken; opCancel: the consumer was registered
	err error
}

// applyLocked is the one place where a queue's state changes. It appends
// the records that make the change durable, in the order the change makes
// them, and ends with a dispatch when the change can have made a message
// deliverable. Lock held.
func (q *Queue) applyLocked(c *command) result {
	if q.closed {
		return result{err: fmt.Errorf("queue %q: %s: %w", q.name, c.op, ErrClosed)}
	}
	switch c.op {
	case opPublish:
		return q.publishLocked(c)
	case opConsume:
		k := c.consumer
		k.owner = q.ownerLocked(c.owner)
		k.owner.consumers++
		q.consumers = append(q.consumers, k)
		if k.hasCredit() {
			q.withCredit++
		}
		q.dispatchLocked(c.now)
		return result{ok: true}
	case opCancel:
		return result{ok: q.removeConsumerLocked(c.consumer)}
	case opGet:
		return q.getLocked(c)
	case opAck, opNack:
		return q.settleLocked(c)
	case opRelease:
		ids := q.ownerLeaseIDsLocked(c.owner)
		for _, id := range ids {
			q.returnLocked(q.leases[id])
		}
		q.dispatchLocked(c.now)
		return result{n: len(ids)}
	case opPurge:
		n := q.ready.len()
		q.ready.drain(func(e readyEntry) {
			q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, nil)
		})
		q.counters.purged += uint64(n)
		return result{n: n}
	case opClose:
		// Leases end with the process: write their delivery counts down so
		// the next Open replays them as ready, redelivered.
		for _, id := range q.allLeaseIDsLocked() {
			q.returnLocked(q.leases[id])
		}
		for _, k := range q.consumers {
			k.cancelled = true
		}
		q.closed = true
		q.consumers, q.withCredit, q.cursor = nil, 0, 0
		q.ready, q.free = readyQueue{}, nil
		return result{}
	}
	panic(fmt.Sprintf("queue: unknown %s", c.op))
}

func (q *Queue) publishLocked(c *command) result {
	if uint64(len(c.data)) > math.MaxUint32 {
		return result{err: fmt.Errorf("queue %q: publish of %d bytes: %w", q.name, len(c.data), ErrTooLarge)}
	}
	q.lastID++
	id := q.lastID
	q.log.Append(store.Record{Kind: store.Enqueue, ID: id, Data: c.data}, c.done)
	q.ready.pushFresh(readyEntry{id: id, at: c.now, size: uint32(len(c.data))})
	q.counters.published++
	q.dispatchLocked(c.now)
	return result{id: id}
}

func (q *Queue) getLocked(c *command) result {
	for {
		e, ok := q.ready.pop()
		if !ok {
			return result{}
		}
		if d, ok := q.handOutLocked(e, nil, c.owner, c.flag); ok {
			return result{d: d, ok: true}
		}
	}
}

// settleLocked applies an ack or a nack of one lease.
func (q *Queue) settleLocked(c *command) result {
	l := q.findLeaseLocked(c.owner, c.id)
	if l == nil {
		return result{err: fmt.Errorf("queue %q: %s of message %d by owner %d: %w", q.name, c.op, c.id, c.owner, ErrUnknownDelivery)}
	}
	switch {
	case c.op == opNack && c.flag:
		q.returnLocked(l)
	case c.op == opNack:
		q.log.Append(store.Record{Kind: store.Ack, ID: l.id}, c.done)
		q.endLeaseLocked(l)
		q.counters.rejected++
	default:
		q.log.Append(store.Record{Kind: store.Ack, ID: l.id}, c.done)
		q.endLeaseLocked(l)
		q.counters.acked++
	}
	q.dispatchLocked(c.now)
	return result{}
}

// returnLocked ends lease l and makes its message ready again, keeping its
// delivery count in memory and in the log.
func (q *Queue) returnLocked(l *lease) {
	e := l.readyEntry
	q.log.Append(store.Record{Kind: store.Requeue, ID: e.id, Deliveries: e.deliveries}, nil)
	q.endLeaseLocked(l)
	q.ready.pushReturned(e)
	q.counters.requeued++
}

// handOutLocked delivers ready message e: through consumer c, or by Get
// to owner when c is nil. With noAck the message is removed at once;
// otherwise it is leased. If the body cannot be read the message is
// dropped from memory but not from the log, so it comes back on the next
// Open; handOutLocked then reports false.
func (q *Queue) handOutLocked(e readyEntry, c *Consumer, owner Owner, noAck bool) (Delivery, bool) {
	data, err := q.log.Read(e.id)
	if err != nil {
		q.counters.unreadable++
		q.logger.Error("cannot read message; skipped until the queue is reopened",
			slog.Uint64("id", e.id), slog.Any("err", err))
		return Delivery{}, false
	}
	e.deliveries++
	q.counters.delivered++
	if e.deliveries > 1 {
		q.counters.redelivered++
	}
	if noAck {
		q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, nil)
		q.counters.acked++
	} else {
		os := c.ownerOrNil()
		if os == nil {
			os = q.ownerLocked(owner)
		}
		q.leaseLocked(e, os, c)
	}
	d := Delivery{ID: e.id, Deliveries: e.deliveries, Data: data}
	if c != nil {
		d.Consumer = c.tag
	}
	return d, true
}
