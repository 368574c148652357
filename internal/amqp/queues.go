package amqp

import (
	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/broker"
)

func (ch *channel) queueDeclare(m *wire.QueueDeclare) error {
	b, vhost := ch.c.s.broker, ch.c.vhost
	var name string
	var ready, consumers int
	if m.Passive {
		n, err := ch.queueName(m.Queue)
		if err != nil {
			return err
		}
		info, err := b.QueueInfo(vhost, n)
		if err != nil {
			return fromBroker(err)
		}
		if err := ch.checkExclusive(info); err != nil {
			return err
		}
		name, ready, consumers = n, info.Stats.Ready, info.Stats.Consumers
	} else {
		args, err := queueArgs(m.Arguments)
		if err != nil {
			return err
		}
		q, _, err := b.DeclareQueue(vhost, m.Queue, broker.QueueOptions{
			Durable: m.Durable, Exclusive: m.Exclusive, AutoDelete: m.AutoDelete, Args: args, Owner: ch.c.id,
		})
		if err != nil {
			return fromBroker(err)
		}
		st := q.Stats(b.Now())
		name, ready, consumers = q.Name(), st.Ready, st.Consumers
	}
	ch.lastQueue = name
	if !m.NoWait {
		ch.send(&wire.QueueDeclareOk{Queue: name, MessageCount: clampU32(ready), ConsumerCount: clampU32(consumers)})
	}
	return nil
}

func clampU32(n int) uint32 { return uint32(min(max(n, 0), 1<<32-1)) }

// queueAccess resolves a queue name for bind, unbind, purge and delete,
// refusing another connection's exclusive queue.
func (ch *channel) queueAccess(name string) (string, error) {
	n, err := ch.queueName(name)
	if err != nil {
		return "", err
	}
	info, err := ch.c.s.broker.QueueInfo(ch.c.vhost, n)
	if err != nil {
		return "", fromBroker(err)
	}
	return n, ch.checkExclusive(info)
}

func (ch *channel) queueBind(m *wire.QueueBind) error {
	name, err := ch.queueAccess(m.Queue)
	if err != nil {
		return err
	}
	if err := bindQueue(ch.c.s.broker, ch.c.vhost, name, m.Exchange, m.RoutingKey, m.Arguments); err != nil {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.QueueBindOk{})
	}
	return nil
}

func (ch *channel) queueUnbind(m *wire.QueueUnbind) error {
	name, err := ch.queueAccess(m.Queue)
	if err != nil {
		return err
	}
	if err := unbindQueue(ch.c.s.broker, ch.c.vhost, name, m.Exchange, m.RoutingKey, m.Arguments); err != nil {
		return fromBroker(err)
	}
	ch.send(&wire.QueueUnbindOk{})
	return nil
}

func (ch *channel) queuePurge(m *wire.QueuePurge) error {
	name, err := ch.queueName(m.Queue)
	if err != nil {
		return err
	}
	q, _, err := ch.openQueue(name)
	if err != nil {
		return err
	}
	n, err := q.Purge(ch.c.s.broker.Now())
	if err != nil {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.QueuePurgeOk{MessageCount: clampU32(n)})
	}
	return nil
}

// queueDelete deletes a queue; deleting one that does not exist succeeds
// with a count of 0, as in RabbitMQ. Consumers of the queue, on any
// connection of this server, are told with basic.cancel.
func (ch *channel) queueDelete(m *wire.QueueDelete) error {
	b, vhost := ch.c.s.broker, ch.c.vhost
	name, err := ch.queueName(m.Queue)
	if err != nil {
		return err
	}
	n := 0
	info, err := b.QueueInfo(vhost, name)
	switch {
	case err != nil && broker.CodeOf(err) == broker.NotFound:
	case err != nil:
		return fromBroker(err)
	default:
		if err := ch.checkExclusive(info); err != nil {
			return err
		}
		q, _ := b.Queue(vhost, name)
		n, err = b.DeleteQueue(vhost, name, m.IfUnused, m.IfEmpty)
		if err != nil && broker.CodeOf(err) != broker.NotFound {
			return fromBroker(err)
		}
		ch.c.s.queueDeleted(vhost, name, q)
	}
	if !m.NoWait {
		ch.send(&wire.QueueDeleteOk{MessageCount: clampU32(n)})
	}
	return nil
}
