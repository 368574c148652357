package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
)

// The lean consumer is one goroutine that reads frames through the
// connection's bufio.Reader, assembles each delivery (basic.deliver, its
// content header, its body frames), records it, and appends the ack it
// makes due to the connection's wire.Writer. The acks go out in one write
// whenever the next frame is not already whole in the read buffer, that
// is before any read that could block: an ack is never held back past the
// end of the burst that made it due, so the broker's prefetch never waits
// on us, and a burst of deliveries costs one write for all its acks.
//
// A goroutine blocked in a read does not see stop or ctx; a second, idle
// goroutine waits for them and sets a read deadline in the past, which
// ends the wait. leanConn.next waits for whole frames with Peek, so the
// deadline never cuts a frame in half, and the consumer can still ack what
// it has handled and close cleanly.

// leanConsumer is the lean client's part of a consumer, owned by the
// consumer's goroutine.
type leanConsumer struct {
	msg    content       // the delivery being read
	tag    uint64        // its delivery tag
	ackOut wire.BasicAck // encoded from, reused
}

// openLean connects, sets the prefetch and starts consuming (manual acks
// unless AutoAck), as open does with amqp091.
func (c *consumer) openLean() error {
	lc, err := dialLean(c.cfg, c.name)
	if err != nil {
		return err
	}
	c.lean = lc
	if c.cfg.Prefetch > 0 && !c.cfg.AutoAck {
		if err := lc.call(leanChannel, &wire.BasicQos{PrefetchCount: uint16(c.cfg.Prefetch)}, &wire.BasicQosOk{}); err != nil {
			return fmt.Errorf("%s: set prefetch %d: %w", c.name, c.cfg.Prefetch, err)
		}
	}
	req := &wire.BasicConsume{Queue: c.queue, ConsumerTag: c.name, NoAck: c.cfg.AutoAck}
	if err := lc.call(leanChannel, req, &wire.BasicConsumeOk{}); err != nil {
		return fmt.Errorf("%s: consume from %q: %w", c.name, c.queue, err)
	}
	return nil
}

// runLean is run on the lean client. On stop it acknowledges what it has
// handled and closes the connection, so that deliveries it had not handled
// go back to the queue; when ctx ends it just closes.
func (c *consumer) runLean(ctx context.Context, stop <-chan struct{}) error {
	lc := c.lean
	var stopping atomic.Bool
	woken, done := make(chan struct{}), make(chan struct{})
	defer func() { close(done); <-woken }() // no goroutine outlives run
	go func() {
		defer close(woken)
		select {
		case <-stop:
		case <-ctx.Done():
		case <-done:
			return
		}
		stopping.Store(true)
		_ = lc.nc.SetReadDeadline(time.Now())
	}()
	err := c.leanLoop(&stopping)
	if err != nil || ctx.Err() != nil {
		_ = lc.nc.Close()
		if ctx.Err() != nil {
			return nil // cancelled: the connection was closed under us; Run reports why
		}
		return err
	}
	<-woken // its deadline is set: the close below sets its own after it
	return c.leanStop()
}

// leanLoop handles frames until stopping is set (then it returns nil) or
// something fails.
func (c *consumer) leanLoop(stopping *atomic.Bool) error {
	lc := c.lean
	for {
		if !lc.frameBuffered() {
			if lc.w.Buffered() > 0 {
				if err := lc.w.Flush(); err != nil {
					return fmt.Errorf("%s: ack deliveries up to %d: %w", c.name, c.lastTag, err)
				}
			}
			if stopping.Load() {
				return nil
			}
		}
		f, err := lc.next()
		if err != nil {
			if stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("%s: %w", c.name, describeReadErr(err))
		}
		done := false
		switch f.Type {
		case wire.FrameMethod:
			err = c.leanMethod(f)
		case wire.FrameHeader:
			done, err = c.msg.onHeader(f.Payload)
		case wire.FrameBody:
			done, err = c.msg.onBody(f.Payload)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if done {
			if err := c.leanDelivered(); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
		}
	}
}

// leanMethod handles one method frame: a delivery starts, or the broker
// cancels the consumer or closes.
func (c *consumer) leanMethod(f wire.Frame) error {
	class, method, args, err := methodOf(f)
	if err != nil {
		return err
	}
	if c.msg.pending() {
		return fmt.Errorf("%s inside a delivery's content: %w", methodName(f.Payload), errContentOrder)
	}
	switch methodKey(class, method) {
	case methodKey(wire.ClassBasic, wire.MethodBasicDeliver):
		if c.tag, err = deliveryTag(args); err != nil {
			return err
		}
		return c.msg.begin()
	case methodKey(wire.ClassBasic, wire.MethodBasicCancel):
		// RabbitMQ's consumer cancel notification: the queue is gone.
		return fmt.Errorf("the broker cancelled the consumer: was queue %q deleted?", c.queue)
	case methodKey(wire.ClassConnection, wire.MethodConnectionBlocked), methodKey(wire.ClassConnection, wire.MethodConnectionUnblocked):
		return nil
	}
	if err := c.lean.brokerClose(f.Channel, class, method, args); err != nil {
		return err
	}
	return fmt.Errorf("unexpected %s from the broker", methodName(f.Payload))
}

// leanDelivered records the delivery just read and appends its ack when
// one is due: one per delivery with AckEvery 1, else a multiple ack every
// AckEvery deliveries.
func (c *consumer) leanDelivered() error {
	h, err := parseHeader(c.msg.headBytes())
	c.record(time.Now(), h, err)
	if c.cfg.AutoAck {
		return nil
	}
	c.unacked++
	c.lastTag = c.tag
	if c.unacked < c.cfg.AckEvery {
		return nil
	}
	c.ackOut = wire.BasicAck{DeliveryTag: c.lastTag, Multiple: c.cfg.AckEvery > 1}
	if err := c.lean.w.WriteMethod(leanChannel, &c.ackOut); err != nil {
		return fmt.Errorf("ack delivery %d: %w", c.lastTag, err)
	}
	c.unacked = 0
	return nil
}

// leanStop acknowledges, in one multiple ack, the deliveries handled since
// the last ack, and closes the connection cleanly: the broker has the ack
// before it answers close-ok.
func (c *consumer) leanStop() error {
	lc := c.lean
	defer lc.nc.Close()
	if !c.cfg.AutoAck && c.unacked > 0 {
		c.ackOut = wire.BasicAck{DeliveryTag: c.lastTag, Multiple: true}
		if err := lc.send(leanChannel, &c.ackOut); err != nil {
			return fmt.Errorf("%s: ack deliveries up to %d: %w", c.name, c.lastTag, err)
		}
		c.unacked = 0
	}
	lc.close()
	return nil
}
