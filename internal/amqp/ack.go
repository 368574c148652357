package amqp

import (
	"errors"
	"log/slog"

	"github.com/ferrymq/ferry/internal/queue"
)

// unackedEntry is a delivery the client must still settle.
type unackedEntry struct {
	tag  uint64
	q    *queue.Queue
	id   uint64 // message ID in q
	n    uint32 // its delivery count at this hand-out: settles only this lease (queue.Lease)
	sent bool   // the writer has sent it; the client may know its tag
}

// unackedSet is a channel's unsettled deliveries by tag. Tags grow, so
// tags (in order) serves multiple acks from its front; single acks out
// of order leave stale tags there, dropped lazily.
type unackedSet struct {
	m    map[uint64]unackedEntry
	tags []uint64 // ascending; may hold tags no longer in m
}

func newUnackedSet() unackedSet { return unackedSet{m: map[uint64]unackedEntry{}} }

func (u *unackedSet) add(e unackedEntry) {
	u.m[e.tag] = e
	u.tags = append(u.tags, e.tag)
}

func (u *unackedSet) markSent(tag uint64) {
	if e, ok := u.m[tag]; ok {
		e.sent = true
		u.m[tag] = e
	}
}

// take removes the deliveries an ack, nack or reject of tag settles and
// appends them to dst: tag alone, or with multiple every sent delivery up
// to it (tag 0: all of them, as RabbitMQ). It reports false if tag is not
// an unsettled delivery the client has seen.
func (u *unackedSet) take(dst []unackedEntry, tag uint64, multiple bool) ([]unackedEntry, bool) {
	if !multiple || tag != 0 {
		if e, ok := u.m[tag]; !ok || !e.sent {
			return dst, false
		}
	}
	if !multiple {
		dst = append(dst, u.m[tag])
		delete(u.m, tag)
		u.trim()
		return dst, true
	}
	i := 0
	for ; i < len(u.tags); i++ {
		t := u.tags[i]
		if tag != 0 && t > tag {
			break
		}
		e, ok := u.m[t]
		if !ok {
			continue
		}
		if !e.sent {
			break // held back by the writer: the client cannot mean it
		}
		dst = append(dst, e)
		delete(u.m, t)
	}
	u.tags = u.tags[i:]
	u.trim()
	return dst, true
}

// trim drops stale tags from the front, and compacts when most are stale.
func (u *unackedSet) trim() {
	for len(u.tags) > 0 {
		if _, ok := u.m[u.tags[0]]; ok {
			break
		}
		u.tags = u.tags[1:]
	}
	if len(u.tags) > 64 && len(u.tags) > 2*len(u.m) {
		live := make([]uint64, 0, len(u.m))
		for _, t := range u.tags {
			if _, ok := u.m[t]; ok {
				live = append(live, t)
			}
		}
		u.tags = live
	}
}

// settle removes the deliveries an ack or nack of tag covers. The result
// is valid until the next settle (reader goroutine only).
func (ch *channel) settle(tag uint64, multiple bool) ([]unackedEntry, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	clear(ch.settled) // drop the queue pointers of the last settle
	entries, ok := ch.unacked.take(ch.settled[:0], tag, multiple)
	ch.settled = entries
	if !ok {
		return nil, errUnknownDeliveryTag(tag)
	}
	return entries, nil
}

// checkTag reports whether tag (with multiple) names unsettled deliveries,
// without settling them: transactions settle at commit.
func (ch *channel) checkTag(tag uint64, multiple bool) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if multiple && tag == 0 {
		return nil
	}
	if e, ok := ch.unacked.m[tag]; !ok || !e.sent {
		return errUnknownDeliveryTag(tag)
	}
	return nil
}

func (ch *channel) basicAck(tag uint64, multiple bool) error {
	if ch.tx != nil {
		return ch.txSettle(txOp{kind: txAck, tag: tag, multiple: multiple})
	}
	return ch.ack(tag, multiple)
}

func (ch *channel) basicNack(tag uint64, multiple, requeue bool) error {
	if ch.tx != nil {
		return ch.txSettle(txOp{kind: txNack, tag: tag, multiple: multiple, requeue: requeue})
	}
	return ch.nack(tag, multiple, requeue)
}

func (ch *channel) ack(tag uint64, multiple bool) error {
	entries, err := ch.settle(tag, multiple)
	if err != nil {
		return err
	}
	now := ch.c.s.broker.Now()
	for _, e := range entries {
		if err := ch.settleErr(e.q.AckLease(ch.owner, queue.Lease{ID: e.id, Delivery: e.n}, now, nil)); err != nil {
			return err
		}
	}
	return nil
}

func (ch *channel) nack(tag uint64, multiple, requeue bool) error {
	entries, err := ch.settle(tag, multiple)
	if err != nil {
		return err
	}
	now := ch.c.s.broker.Now()
	for _, e := range entries {
		if err := ch.settleErr(e.q.NackLease(ch.owner, queue.Lease{ID: e.id, Delivery: e.n}, requeue, now)); err != nil {
			return err
		}
	}
	return nil
}

// settleErr filters a queue's answer to an ack or nack of a delivery the
// channel knew: if the queue no longer has the lease (its queue was
// deleted, or basic.recover released it meanwhile) the client is not at
// fault, so nothing is raised. A failed log is the server's failure.
func (ch *channel) settleErr(err error) error {
	if err == nil || errors.Is(err, queue.ErrUnknownDelivery) || errors.Is(err, queue.ErrClosed) {
		if err != nil {
			ch.logger.Debug("settle of a delivery the queue no longer leases", slog.Any("err", err))
		}
		return nil
	}
	return fromBroker(err)
}

// basicRecover returns every unacked delivery of the channel to its
// queue (redelivered later, maybe to another consumer; the queues give
// their limiter credits back). RabbitMQ does not implement
// requeue=false, nor does Ferry.
func (ch *channel) basicRecover(requeue bool) error {
	if !requeue {
		return errNotImplemented("requeue=false")
	}
	ch.mu.Lock()
	ch.unacked = newUnackedSet()
	keep := ch.pending[:0]
	for _, it := range ch.pending {
		if it.kind != itemDeliver || !it.needsAck {
			keep = append(keep, it)
		}
	}
	clear(ch.pending[len(keep):])
	ch.pending = keep
	ch.mu.Unlock()
	now := ch.c.s.broker.Now()
	for q := range ch.touched {
		q.Release(ch.owner, now)
	}
	return nil
}
