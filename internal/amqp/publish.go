package amqp

import (
	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// contentState is a basic.publish whose content header and body frames
// are arriving (spec 4.2.6: a content method is followed by one header
// frame and as many body frames as its body size needs).
//
// The body grows as its frames arrive; nothing is reserved for the size
// the header announces, which is only the client's word: a client that
// announced 128 MiB on every channel and sent nothing more would
// otherwise hold gigabytes of the server's memory for free. What has
// arrived counts against the connection's budget (connFlow.receiving,
// flow.go), so that one connection cannot hold more than its budget in
// bodies it has not finished, whatever its channel count.
type contentState struct {
	pub    *wire.BasicPublish
	header bool // the header has arrived
	props  message.Properties
	size   uint64 // announced by the header
	body   []byte // what has arrived; at most twice its length is allocated
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
	} else {
		if uint64(len(cs.body))+uint64(len(f.Payload)) > cs.size {
			return errUnexpectedFrame("content body of more than the %d bytes its header announced on channel %d", cs.size, ch.id)
		}
		if err := ch.admitBody(len(f.Payload)); err != nil {
			return err
		}
		cs.body = appendBody(cs.body, f.Payload, cs.size)
	}
	if uint64(len(cs.body)) < cs.size {
		return nil
	}
	ch.content = nil
	// From here the message counts as unstored (published admits it)
	// instead of as being received.
	ch.c.flow.receiving -= int64(len(cs.body))
	msg := &message.Message{Exchange: cs.pub.Exchange, RoutingKey: cs.pub.RoutingKey, Properties: cs.props, Body: cs.body}
	return ch.published(msg, cs.pub.Mandatory)
}

// appendBody appends a body frame's payload to body, which will hold
// size bytes when complete. Growth doubles, so a body costs a logarithmic
// number of copies and never more than twice what has arrived, and stops
// at size, so a complete body wastes nothing. (payload is the frame
// reader's buffer, reused for the next frame: it must be copied.)
func appendBody(body, payload []byte, size uint64) []byte {
	need := len(body) + len(payload)
	if need > cap(body) {
		grown := make([]byte, len(body), int(min(uint64(max(need, 2*cap(body))), size)))
		copy(grown, body)
		body = grown
	}
	return append(body, payload...)
}

// admitBody counts n more bytes of the body arriving on ch against the
// connection's budget, or refuses them.
//
// The reader cannot wait for room here as it does for the store (flow.go):
// the frames that would finish the other bodies, and so free it, are
// behind this one on the same socket. So while the other bodies being
// received on the connection hold the whole limit, a frame that adds to
// this one is refused with 406 and its partial body dropped; one body
// may pass the limit, as the one message that crosses the budget may in
// flow.go, so a message larger than the limit still goes through when it
// is the only one being received, as it always is from a client that
// sends one message at a time. A connection thus holds at most the limit
// plus one message in bodies it has not finished.
//
// The limit is the larger of the byte budget (MaxUnstoredBytes, 8 MiB by
// default) and the largest message allowed (128 MiB by default): clients
// such as amqp091-go interleave the body frames of publishes made at the
// same time on different channels of one connection, and a few large
// messages at once must not fail. Memory the client holds this way is
// memory it sent, byte for byte, so the memory alarm, which stops
// reading publishing connections, bounds it across connections.
func (ch *channel) admitBody(n int) error {
	f, limit := &ch.c.flow, max(ch.c.s.cfg.Flow.MaxUnstoredBytes, int64(ch.c.s.cfg.MaxMessageSize))
	had := int64(len(ch.content.body))
	if others := f.receiving - had; others >= limit {
		ch.content = nil
		f.receiving -= had
		return errPrecondition("bodies of other publishes still arriving on this connection hold %d bytes, "+
			"the most it may hold (the larger of MaxUnstoredBytes and the max message size) is %d; send large messages one at a time", others, limit)
	}
	f.receiving += int64(n)
	return nil
}

// published handles a complete message from the client.
func (ch *channel) published(msg *message.Message, mandatory bool) error {
	ch.c.s.stats.published.Add(1)
	if msg.Properties.Has(message.FlagUserID) && msg.Properties.UserID != ch.c.user {
		return errPrecondition("user_id property set to '%s' but authenticated user was '%s'", msg.Properties.UserID, ch.c.user)
	}
	if ch.tx != nil {
		return ch.txPublish(msg, mandatory)
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
		ch.returnUnroutable(msg)
	}
	return n, nil
}

// returnUnroutable sends msg back with basic.return 312 NO_ROUTE.
func (ch *channel) returnUnroutable(msg *message.Message) {
	ch.sendContent(outItem{kind: itemContent, method: &wire.BasicReturn{
		ReplyCode: wire.NoRoute, ReplyText: "NO_ROUTE", Exchange: msg.Exchange, RoutingKey: msg.RoutingKey,
	}, props: &msg.Properties, body: msg.Body})
}
