package amqp

import (
	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/broker"
)

// Exchange methods are translated one to one; the broker checks names,
// kinds and equivalence, and errors.go maps what it says.

func (ch *channel) exchangeDeclare(m *wire.ExchangeDeclare) error {
	b, vhost := ch.c.s.broker, ch.c.vhost
	var err error
	if m.Passive {
		err = exchangeExists(b, vhost, m.Exchange)
	} else {
		err = declareExchange(b, vhost, m.Exchange, m.Type, m.Durable, m.AutoDelete, m.Internal, m.Arguments)
	}
	if err != nil {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeDeclareOk{})
	}
	return nil
}

// exchangeDelete answers delete-ok for an exchange that does not exist,
// as RabbitMQ has since 3.2 (deletes are idempotent, like queue.delete),
// so that cleanup code can run twice.
func (ch *channel) exchangeDelete(m *wire.ExchangeDelete) error {
	if err := deleteExchange(ch.c.s.broker, ch.c.vhost, m.Exchange, m.IfUnused); err != nil && broker.CodeOf(err) != broker.NotFound {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeDeleteOk{})
	}
	return nil
}

func (ch *channel) exchangeBind(m *wire.ExchangeBind) error {
	if err := bindExchange(ch.c.s.broker, ch.c.vhost, m.Destination, m.Source, m.RoutingKey, m.Arguments); err != nil {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeBindOk{})
	}
	return nil
}

func (ch *channel) exchangeUnbind(m *wire.ExchangeUnbind) error {
	if err := unbindExchange(ch.c.s.broker, ch.c.vhost, m.Destination, m.Source, m.RoutingKey, m.Arguments); err != nil {
		return fromBroker(err)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeUnbindOk{})
	}
	return nil
}
