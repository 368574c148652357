package amqp

// This file is the only place that calls the broker's exchange API, so
// that the rest of the front end reads as if it were one call each.

import (
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
)

// routeMessage routes m; from names the publishing connection, for
// message history.
func routeMessage(b *broker.Broker, vhost string, m *message.Message, from string, done func(error)) (int, error) {
	return b.RouteWith(vhost, m, broker.RouteOptions{Publisher: from}, done)
}

func declareExchange(b *broker.Broker, vhost, name, kind string, durable, autoDelete, internal bool, args message.Table) error {
	return b.DeclareExchange(vhost, name, broker.ExchangeOptions{
		Kind: kind, Durable: durable, AutoDelete: autoDelete, Internal: internal, Args: args,
	})
}

func exchangeExists(b *broker.Broker, vhost, name string) error {
	return b.ExchangeExists(vhost, name)
}

func checkPublish(b *broker.Broker, vhost, exchange string) error {
	return b.CheckPublish(vhost, exchange)
}

func deleteExchange(b *broker.Broker, vhost, name string, ifUnused bool) error {
	return b.DeleteExchange(vhost, name, ifUnused)
}

func bindQueue(b *broker.Broker, vhost, queue, exchange, key string, args message.Table) error {
	return b.BindQueue(vhost, queue, exchange, key, args)
}

func unbindQueue(b *broker.Broker, vhost, queue, exchange, key string, args message.Table) error {
	return b.UnbindQueue(vhost, queue, exchange, key, args)
}

func bindExchange(b *broker.Broker, vhost, dst, src, key string, args message.Table) error {
	return b.BindExchange(vhost, dst, src, key, args)
}

func unbindExchange(b *broker.Broker, vhost, dst, src, key string, args message.Table) error {
	return b.UnbindExchange(vhost, dst, src, key, args)
}
