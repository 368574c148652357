package amqp

import (
	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// contentState is a basic.publish whose content header and body frames
// are arriving (spec 4.2.6: a content method is followed by one header
// frame and as many body frames as its body size needs).
type contentState struct {
	pub    *wire.BasicPublish
	header bool // the header has arrived
	props  message.Properties
	size   uint64
	body   []byte
}

func (ch *channel) basicPublish(m *wire.BasicPublish) error {
	if m.Immediate {
		// RabbitMQ 3.0 dropped immediate; it is a connection error there.
		return errNotImplemented("immediate=true")
	}
	ch.content = &contentState{pub: m}
	ch.c.flow.publisher.Store(true) // resource alarms hold this connection from now on
	return nil
}

// handleContent takes a content header or body frame.
func (ch *channel) handleContent(f wire.Frame) error {
	if ch.closing {
		return nil // the rest of a publish refused by the channel error
	}
	cs := ch.content
	switch {
	case cs == nil:
		return errUnexpectedFrame("%s on channel %d without a content method", f, ch.id)
	case f.Type == wire.FrameHeader && cs.header:
		return errUnexpectedFrame("second content header for basic.publish on channel %d", ch.id)
	case f.Type == wire.FrameBody && !cs.header:
		return errUnexpectedFrame("content body before the content header on channel %d", ch.id)
	}
	if f.Type == wire.FrameHeader {
		var h wire.ContentHeader
		if err := h.Read(f.Payload); err != nil {
			return fromWire(err)
		}
		if h.BodySize > ch.c.s.cfg.MaxMessageSize {
			ch.content = nil
			return errPrecondition("message size %d is larger than configured max size %d", h.BodySize, ch.c.s.cfg.MaxMessageSize)
		}
		cs.header, cs.props, cs.size = true, h.Properties, h.BodySize
		cs.body = make([]byte, 0, h.BodySize)
	} else {
		if uint64(len(cs.body))+uint64(len(f.Payload)) > cs.size {
			return errUnexpectedFrame("content body of more than the %d bytes its header announced on channel %d", cs.size, ch.id)
		}
		cs.body = append(cs.body, f.Payload...)
	}
	if uint64(len(cs.body)) < cs.size {
		return nil
	}
	ch.content = nil
	msg := &message.Message{Exchange: cs.pub.Exchange, RoutingKey: cs.pub.RoutingKey, Properties: cs.props, Body: cs.body}
	return ch.published(msg, cs.pub.Mandatory)
}

// published handles a complete message from the client.
func (ch *channel) published(msg *message.Message, mandatory bool) error {
	ch.c.s.stats.published.Add(1)
	if msg.Properties.Has(message.FlagUserID) && msg.Properties.UserID != ch.c.user {
		return errPrecondition("user_id property set to '%s' but authenticated user was '%s'", msg.Properties.UserID, ch.c.user)
	}
	if ch.tx != nil {
		ch.tx.ops = append(ch.tx.ops, txOp{kind: txPublish, msg: msg, mandatory: mandatory})
		return nil
	}
	// The ticket counts the message against the connection's budget
	// until the broker says it is stored (flow.go).
	size := int64(len(msg.Body))
	if !ch.confirming {
		t := ch.c.flow.admit(size, nil)
		n, err := ch.route(msg, mandatory, t.done)
		if err != nil || n == 0 {
			t.free() // the broker runs no done on error, and may not for no queue
		}
		return err
	}
	ch.publishSeq++
	w := &confirmWait{ch: ch, seq: ch.publishSeq}
	w.pending.Store(2)
	t := ch.c.flow.admit(size, w.stored)
	n, err := ch.route(msg, mandatory, t.done)
	if err != nil {
		t.free()
		return err // the channel closes; its confirms no longer matter
	}
	if n == 0 {
		t.done(nil) // nothing to wait for; ignored if the broker called it
	}
	w.arrive() // the reader's part is done: any basic.return is queued
	return nil
}

// route hands msg to the broker and returns how many queues took it.
// done, if not nil, runs when the message is durable in every one of
// them (whether it runs when there were none is the broker's choice, so
// callers must tolerate both). An unroutable mandatory message comes
// back as basic.return 312 NO_ROUTE.
func (ch *channel) route(msg *message.Message, mandatory bool, done func(error)) (int, error) {
	n, err := routeMessage(ch.c.s.broker, ch.c.vhost, msg, ch.c.displayName(), done)
	if err != nil {
		return 0, fromBroker(err)
	}
	if n == 0 && mandatory {
		ch.sendContent(outItem{kind: itemContent, method: &wire.BasicReturn{
			ReplyCode: wire.NoRoute, ReplyText: "NO_ROUTE", Exchange: msg.Exchange, RoutingKey: msg.RoutingKey,
		}, props: &msg.Properties, body: msg.Body})
	}
	return n, nil
}
