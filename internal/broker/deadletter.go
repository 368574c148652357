package broker

import (
	"log/slog"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Dead letters. A message dies in its queue (queue.Reason); the queue's
// worker takes it and, following the queue's rules:
//
//   - with x-dead-letter-exchange set, records the death in x-death (as
//     RabbitMQ does, xdeath.go) and publishes it to that exchange with
//     x-dead-letter-routing-key, or its own routing key;
//   - out of deliveries with no exchange set, moves it to "<queue>.dlq",
//     declared on first use with the queue's durability, unless the queue
//     says x-dead-letter-drop: a message is never dropped silently for
//     failing too often;
//   - otherwise (rejected, expired or pushed out, with no exchange set)
//     drops it, as RabbitMQ does.
//
// The source queue forgets the message only once every target queue has
// stored it (worker.settle): a crash in between brings it back to the
// source, never loses it. A dead letter that would close a cycle with no
// rejection in it is not delivered to that queue, as in RabbitMQ.

// DLQSuffix names the queue a message that runs out of deliveries goes to
// when its queue has no dead-letter exchange.
const DLQSuffix = ".dlq"

// deadLetterTaken sends dead message m of e to its target and settles it
// in e when the target has it.
func (b *Broker) deadLetterTaken(e *entry, m queue.DeadMessage) {
	msg, err := message.Decode(m.Data)
	if err != nil {
		b.logger.Error("cannot decode a dead message; dropped", slog.String("queue", e.def.Name),
			slog.Uint64("id", m.ID), slog.Any("err", err))
		e.w.settle(m.ID, nil)
		return
	}
	id := m.ID
	if !b.deadLetterOf(e, id, msg, m.Reason, m.Group, m.At, func(err error) { e.w.settle(id, err) }) {
		e.w.settle(id, nil)
	}
}

// deadLetter publishes msg, which died in e for reason at time at, to
// e's dead-letter target; done runs when every target queue has it. It
// returns false, and done does not run, when the rules say to drop it.
func (b *Broker) deadLetter(e *entry, msg *message.Message, reason queue.Reason, group string, at time.Time, done func(error)) bool {
	return b.deadLetterOf(e, 0, msg, reason, group, at, done)
}

// deadLetterOf is deadLetter of message id of e (0: a message that never
// entered e), which it reports to e's observers as dead_lettered.
func (b *Broker) deadLetterOf(e *entry, id uint64, msg *message.Message, reason queue.Reason, group string, at time.Time, done func(error)) bool {
	r := e.rules.Load()
	vh := e.def.VHost
	var exchange, key string
	switch {
	case r.HasDLX:
		exchange, key = r.DeadLetterExchange, msg.RoutingKey
		if r.HasDLKey {
			key = r.DeadLetterKey
		}
	case reason == queue.ReasonDeliveryLimit && !r.DropOnLimit:
		name, err := b.autoDLQ(e)
		if err != nil {
			b.logger.Error("cannot declare the dead-letter queue; message stays in its queue",
				slog.String("queue", e.def.Name), slog.Any("err", err))
			done(err)
			return true
		}
		exchange, key = "", name
	default:
		b.deadDropped.Add(1)
		b.emitDeadLettered(e, id, msg, reason, "dropped: the queue has no dead-letter target")
		return false
	}
	// Told before the target's published event, so a history that follows
	// the message reads in order.
	switch {
	case e.watchers.Load() == nil: // nobody listens: build no text
	case exchange == "":
		b.emitDeadLettered(e, id, msg, reason, "to queue '"+key+"'")
	default:
		b.emitDeadLettered(e, id, msg, reason, "to exchange '"+exchange+"' with routing key '"+key+"'")
	}
	recordDeath(msg, e.def.Name, reason.String(), at)
	msg.Exchange, msg.RoutingKey = exchange, key
	skip := func(t *entry) bool {
		if isDeathCycle(msg, t.def.Name) {
			b.logger.Warn("dead-letter cycle: message not delivered to a queue it died in before",
				slog.String("vhost", vh), slog.String("queue", t.def.Name))
			return true
		}
		return false
	}
	mo := msgOptions{group: group, from: e.def.Name,
		detail: "dead-lettered from queue '" + e.def.Name + "' (" + reason.String() + ")"}
	n, err := b.route(vh, msg, &mo, skip, done)
	if err != nil {
		// The exchange is gone: RabbitMQ drops such dead letters too.
		b.logger.Warn("dead-letter exchange not found; message dropped", slog.String("vhost", vh),
			slog.String("queue", e.def.Name), slog.String("exchange", exchange), slog.Any("err", err))
		b.deadDropped.Add(1)
		return false
	}
	if n == 0 {
		b.deadDropped.Add(1) // unroutable dead letters are dropped, as in RabbitMQ; route has run done
	}
	return true
}

// autoDLQ returns the name of e's automatic dead-letter queue, declaring
// it the first time.
func (b *Broker) autoDLQ(e *entry) (string, error) {
	name := e.def.Name + DLQSuffix
	if _, err := b.lookup(e.def.VHost, name); err == nil {
		return name, nil
	}
	_, created, err := b.DeclareQueue(e.def.VHost, name, QueueOptions{Durable: e.def.Durable && !e.def.Exclusive})
	if err != nil {
		return "", err
	}
	if created {
		b.logger.Warn("a message ran out of deliveries and its queue has no dead-letter exchange: "+
			"declared a dead-letter queue for it (set x-dead-letter-exchange, or x-dead-letter-drop to drop instead)",
			slog.String("vhost", e.def.VHost), slog.String("queue", e.def.Name), slog.String("dlq", name))
	}
	return name, nil
}

// emitDeadLettered tells e's observers that message id left e as a dead
// letter for reason, going where detail says. id 0 never entered e.
func (b *Broker) emitDeadLettered(e *entry, id uint64, msg *message.Message, reason queue.Reason, detail string) {
	if id == 0 || e.watchers.Load() == nil {
		return
	}
	ev := MessageEvent{Event: EventDeadLettered, ID: id, At: b.clock.Now(), Reason: reason.String(), Detail: detail}
	if msg.Properties.Has(message.FlagMessageID) {
		ev.MessageID = msg.Properties.MessageID
	}
	b.emit(e, &ev)
}
