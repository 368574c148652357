package amqp

import (
	"crypto/rand"
	"encoding/base64"
	"math"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// newConsumerTag makes a server-chosen consumer tag, as RabbitMQ names
// them ("amq.ctag-...").
func newConsumerTag() string {
	var b [16]byte
	rand.Read(b[:])
	return "amq.ctag-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// queueName resolves a queue name in a method: "" means the queue this
// channel declared last (spec: "If the queue name is empty, the server
// uses the last queue declared on the channel").
func (ch *channel) queueName(name string) (string, error) {
	if name != "" {
		return name, nil
	}
	if ch.lastQueue == "" {
		return "", newErr(wire.NotFound, "no previously declared queue")
	}
	return ch.lastQueue, nil
}

// openQueue finds queue name for a consume, get or purge, refusing
// another connection's exclusive queue.
func (ch *channel) openQueue(name string) (*queue.Queue, broker.QueueInfo, error) {
	b := ch.c.s.broker
	info, err := b.QueueInfo(ch.c.vhost, name)
	if err != nil {
		return nil, info, fromBroker(err)
	}
	if err := ch.checkExclusive(info); err != nil {
		return nil, info, err
	}
	q, err := b.Queue(ch.c.vhost, name)
	if err != nil {
		return nil, info, fromBroker(err)
	}
	return q, info, nil
}

// checkExclusive refuses access to another connection's exclusive queue.
func (ch *channel) checkExclusive(info broker.QueueInfo) error {
	if info.Exclusive && info.Owner != ch.c.id {
		return newErr(wire.ResourceLocked, "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. "+
			"It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.",
			info.Name, info.VHost)
	}
	return nil
}

// basicQos sets a prefetch limit, with RabbitMQ 3.3+'s meaning of
// global: false bounds each consumer made on the channel from now on;
// true bounds the unacked deliveries of all the channel's consumers
// together, at once and in every queue (the channel's queue.Limiter, which
// the queues ask before each delivery). Both apply when both are set.
// Lowering the global limit stops further deliveries until enough are
// settled; raising it resumes them. No-ack consumers and basic.get are
// not limited.
func (ch *channel) basicQos(m *wire.BasicQos) error {
	if m.PrefetchSize != 0 {
		return errNotImplemented("prefetch_size!=0 (%d)", m.PrefetchSize)
	}
	if m.Global {
		ch.limiter.SetLimit(int(m.PrefetchCount), ch.c.s.broker.Now())
	} else {
		ch.prefetch = int(m.PrefetchCount)
		ch.qosView.Store(int64(m.PrefetchCount))
	}
	ch.send(&wire.BasicQosOk{})
	return nil
}

func (ch *channel) basicConsume(m *wire.BasicConsume) error {
	name, err := ch.queueName(m.Queue)
	if err != nil {
		return err
	}
	q, _, err := ch.openQueue(name)
	if err != nil {
		return err
	}
	tag := m.ConsumerTag
	if tag == "" {
		tag = newConsumerTag()
	}
	if old := ch.consumers[tag]; old != nil {
		if !old.gone.Load() {
			return newErr(wire.NotAllowed, "attempt to reuse consumer tag '%s'", tag)
		}
		delete(ch.consumers, tag)
	}
	priority, err := consumerArgs(m.Arguments, ch.c.vhost, name)
	if err != nil {
		return err
	}
	prefetch := ch.prefetch
	key := qkey{ch.c.vhost, name}
	k := &consumer{ch: ch, tag: tag, key: key, q: q, noAck: m.NoAck, exclusive: m.Exclusive, prefetch: prefetch}
	if err := ch.c.s.reg.add(k); err != nil {
		return err
	}
	ch.consumers[tag] = k
	ch.touched[q] = key
	// consume-ok goes on the channel's list before the first delivery can.
	if !m.NoWait {
		ch.send(&wire.BasicConsumeOk{ConsumerTag: tag})
	}
	qc, err := q.Consume(queue.ConsumerOptions{
		Tag: tag, Owner: ch.owner, Prefetch: prefetch, NoAck: m.NoAck, Deliver: ch.deliverFunc(k),
		Limiter: ch.limiter, Priority: priority,
		Connection: ch.c.displayName(),
		// The queue's x-consumer-timeout cancels this consumer only (not
		// the channel, as RabbitMQ does) and returns what it held; its
		// late acks are ignored (settleErr). It is gone as after a
		// basic.cancel: its tag is free again and its exclusive claim
		// on the queue ends.
		// An auto-delete queue it was the last consumer of goes, as
		// after any cancel (on a goroutine of its own: this runs under
		// the queue's lock). The queue gives the limiter credits of
		// what it took back itself.
		OnTimeout: func() {
			ch.c.s.reg.remove(k)
			k.gone.Store(true)
			ch.notifyCancel(tag)
			go ch.c.s.maybeAutoDelete(key.vhost, key.name)
		},
	}, ch.c.s.broker.Now())
	if err != nil {
		ch.c.s.reg.remove(k)
		delete(ch.consumers, tag)
		return fromBroker(err)
	}
	k.qc = qc
	return nil
}

// deliverFunc returns consumer k's Deliver callback. It runs under the
// queue's lock, so it only takes the channel's mutex and appends.
func (ch *channel) deliverFunc(k *consumer) func(queue.Delivery) {
	return func(d queue.Delivery) {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if ch.closed {
			return // the lease is released by teardown
		}
		ch.nextTag++
		tag := ch.nextTag
		if !k.noAck {
			ch.unacked.add(unackedEntry{tag: tag, q: k.q, id: d.ID, n: d.Deliveries})
		}
		ch.pushLocked(outItem{kind: itemDeliver, data: d.Data, ctag: k.tag, tag: tag,
			redelivered: d.Deliveries > 1, needsAck: !k.noAck})
	}
}

func (ch *channel) basicCancel(m *wire.BasicCancel) error {
	if k := ch.consumers[m.ConsumerTag]; k != nil {
		ch.cancelConsumer(k, ch.c.s.broker.Now())
		delete(ch.consumers, m.ConsumerTag)
	}
	// An unknown tag is answered too, as RabbitMQ does.
	if !m.NoWait {
		ch.send(&wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
	}
	return nil
}

// cancelConsumer stops k. Its unacked deliveries stay leased to the
// channel, as basic.cancel leaves them, and keep their limiter credits
// until their leases end, as in RabbitMQ.
func (ch *channel) cancelConsumer(k *consumer, now time.Time) {
	if k.qc != nil {
		k.q.Cancel(k.qc, now)
	}
	ch.c.s.reg.remove(k)
	ch.c.s.broker.Used(k.key.vhost, k.key.name) // x-expires counts from now
	if !k.gone.Load() {
		ch.c.s.maybeAutoDelete(k.key.vhost, k.key.name)
	}
}

func (ch *channel) basicGet(m *wire.BasicGet) error {
	name, err := ch.queueName(m.Queue)
	if err != nil {
		return err
	}
	q, _, err := ch.openQueue(name)
	if err != nil {
		return err
	}
	now := ch.c.s.broker.Now()
	ch.c.s.broker.Used(ch.c.vhost, name) // for x-expires, even if it finds nothing
	d, ok, err := q.GetAs(ch.owner, ch.c.displayName(), m.NoAck, now)
	if err != nil {
		return fromBroker(err)
	}
	if !ok {
		ch.send(&wire.BasicGetEmpty{})
		return nil
	}
	if !m.NoAck {
		ch.touched[q] = qkey{ch.c.vhost, name}
	}
	left := q.Stats(now).Ready
	ch.mu.Lock()
	ch.nextTag++
	tag := ch.nextTag
	if !m.NoAck {
		ch.unacked.add(unackedEntry{tag: tag, q: q, id: d.ID, n: d.Deliveries})
	}
	ch.pushLocked(outItem{kind: itemDeliver, data: d.Data, tag: tag, msgCount: uint32(min(left, 1<<32-1)),
		redelivered: d.Deliveries > 1, needsAck: !m.NoAck, cost: int64(len(d.Data)) + 256})
	ch.mu.Unlock()
	return nil
}

// Consumer arguments (basic.consume's table). RabbitMQ reads the keys its
// queue type lists and ignores every other; Ferry reads them so:
//
//   - x-priority: the consumer's priority (queue.ConsumerOptions.Priority;
//     default 0, negative allowed), an integer of any AMQP width;
//     anything else is 406 PRECONDITION_FAILED worded as RabbitMQ words
//     it ("invalid arg 'x-priority' for queue 'q' in vhost '/':
//     {unacceptable_type,longstr}").
//   - x-cancel-on-ha-failover: accepted, no effect: it asked mirrored
//     classic queues to cancel consumers on failover, and one node has
//     none.
//   - keys RabbitMQ defines for behaviours Ferry lacks
//     (unsupportedConsumerArgs: stream offsets and filters, AMQP 1.0
//     credit): 406, saying so, because a consumer that asked for, say, a
//     stream offset and got the whole queue instead would misbehave
//     quietly (the rule broker/queue_args.go follows for queue
//     arguments).
//   - any other key: accepted and ignored, as RabbitMQ does. Clients and
//     frameworks add keys of their own, and refusing them would break
//     applications that work against RabbitMQ; the cost is that a
//     misspelt key goes unnoticed.

// unsupportedConsumerArgs are RabbitMQ's consumer arguments for
// behaviours Ferry does not have, with what is missing.
var unsupportedConsumerArgs = map[string]string{
	"x-stream-offset":           "stream offsets are not supported by Ferry",
	"x-stream-filter":           "stream filtering is not supported by Ferry",
	"x-stream-match-unfiltered": "stream filtering is not supported by Ferry",
	"x-credit":                  "credit flow control (x-credit) is not supported by Ferry",
}

// consumerArgs checks the arguments of a basic.consume on queue name and
// returns the consumer's priority.
func consumerArgs(args message.Table, vhost, name string) (priority int, err error) {
	for _, f := range args {
		switch {
		case f.Key == "x-priority":
			p, ok := message.Int64(f.Value)
			if !ok {
				return 0, errPrecondition("invalid arg '%s' for queue '%s' in vhost '%s': {unacceptable_type,%s}",
					f.Key, name, vhost, message.TypeName(f.Value))
			}
			priority = int(max(math.MinInt, min(math.MaxInt, p)))
		case unsupportedConsumerArgs[f.Key] != "":
			return 0, errPrecondition("invalid arg '%s' for queue '%s' in vhost '%s': %s",
				f.Key, name, vhost, unsupportedConsumerArgs[f.Key])
		}
	}
	return priority, nil
}
