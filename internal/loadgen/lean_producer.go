package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
)

// The lean producer has two goroutines: the producer's own, which
// publishes, and a reader, which handles what the broker sends back
// (confirms, returns, a close).
//
// Why two, rather than one goroutine that alternates reading and writing
// with read deadlines for the pacer: a goroutine blocked in a write can
// not read, so while a large batch goes out the broker's confirms and
// returns would pile up unread; with returns carrying whole bodies, the
// broker could block writing to us while we block writing to it. And the
// publishing side needs to wait on several things at once (room in the
// window, the pacer's next due time, stop, ctx, the reader ending), which
// a select does plainly. The cost of the second goroutine is one wake-up
// per read burst, not per message: the reader handles every frame that
// one read brought in (a multiple ack settles many messages at once),
// updates two atomic counters, and only then, when no whole frame is left
// buffered, drops a token in wake, a channel of capacity 1. The publisher
// never receives per message either: when the window has room for k
// messages (or k are due), it frames all k into one reused buffer and
// writes them with one Write.
//
// Ownership: the reader owns acked, returned, nReturned, nacked,
// confirmLat, ahead and ret until run has joined it (readerDone); the
// publisher owns the rest. They share only sentAt, published, inOrder and
// settledN, which are atomics, and wake and readerDone.
type leanProducer struct {
	frames *publishFrames
	out    []byte // the batch being written, reused

	published atomic.Uint64 // the last delivery tag written: stored before the write
	inOrder   atomic.Uint64 // every delivery tag up to this one is settled
	settledN  atomic.Uint64 // confirms received, acks and nacks
	closing   atomic.Bool   // connection.close is sent: the reader's end is expected

	ahead      []bool        // reader: tag%window settled, ahead of inOrder
	wake       chan struct{} // reader → publisher, capacity 1: something settled
	readerDone chan struct{} // closed when the reader returns
	readErr    error         // the reader's reason for ending; read after readerDone

	ackIn  wire.BasicAck  // reader: decoded into, reused
	nackIn wire.BasicNack // reader: decoded into, reused
	ret    content        // reader: the basic.return being read
}

// openLean connects and puts the channel in confirm mode if asked. The
// reader starts in runLean, once the run has set measureStart.
func (p *producer) openLean() error {
	c, err := dialLean(p.cfg, p.name)
	if err != nil {
		return err
	}
	p.lean = c
	if w := p.cfg.ConfirmWindow; w > 0 {
		if err := c.call(leanChannel, &wire.ConfirmSelect{}, &wire.ConfirmSelectOk{}); err != nil {
			return fmt.Errorf("%s: enable publisher confirms: %w", p.name, err)
		}
		p.sentAt = make([]atomic.Int64, w)
		p.ahead = make([]bool, w)
	}
	p.frames, err = newPublishFrames(p.queue, p.cfg.Size, p.cfg.Persistent, c.frameMax)
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// errReaderEnded stands for the reader's own error, which runLean reports
// once it has joined the reader.
var errReaderEnded = errors.New("the connection's reader ended")

// runLean is run on the lean client: publish, wait for the confirms still
// outstanding (DrainTimeout at most), close, and join the reader.
func (p *producer) runLean(ctx context.Context, stop <-chan struct{}) error {
	p.wake = make(chan struct{}, 1)
	p.readerDone = make(chan struct{})
	go p.leanRead()

	werr := p.leanPublish(ctx, stop)
	p.stoppedAt = time.Now()
	if werr == nil {
		werr = p.leanAwaitConfirms(ctx)
	}
	p.leanClose()
	if p.cfg.ConfirmWindow > 0 {
		p.unconfirmed = p.sent - p.settledN.Load()
	}
	switch {
	case ctx.Err() != nil:
		return nil // cancelled: the connection was closed under us; Run reports why
	case p.readErr != nil:
		return fmt.Errorf("%s: %w", p.name, p.readErr) // the broker's reason beats a failed write
	case werr != nil && !errors.Is(werr, errReaderEnded):
		return fmt.Errorf("%s: %w", p.name, werr)
	}
	return nil
}

// leanPublish publishes until the quota is out, stop closes or ctx ends.
// Each round sends as many messages as may go now, in one write: room in
// the confirm window, messages the pacer has due, the quota left, and
// maxBatchBytes bound it. When none may go, it waits for the reader's
// token, the pacer's next due time, stop or ctx.
func (p *producer) leanPublish(ctx context.Context, stop <-chan struct{}) error {
	window := uint64(p.cfg.ConfirmWindow)
	limit := p.frames.batchLimit()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for !p.limited || p.sent < p.quota {
		if isClosed(stop) || ctx.Err() != nil {
			return nil
		}
		if isClosed(p.readerDone) {
			return errReaderEnded
		}
		k := limit
		if p.limited {
			k = min(k, p.quota-p.sent)
		}
		room := true
		if window > 0 {
			free := window - (p.sent - p.inOrder.Load())
			k = min(k, free)
			room = free > 0
		}
		now := time.Now()
		if p.pace.rate > 0 {
			if due := p.pace.count(now); due > p.sent {
				k = min(k, due-p.sent)
			} else {
				k = 0
			}
		}
		if k > 0 {
			if err := p.leanWrite(k, now.UnixNano()); err != nil {
				return err
			}
			continue
		}
		var due <-chan time.Time
		if p.pace.rate > 0 && room {
			timer.Reset(p.pace.due(p.sent).Sub(now))
			due = timer.C
		}
		select {
		case <-p.wake:
		case <-due:
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-p.readerDone:
			return errReaderEnded
		}
		timer.Stop()
	}
	return nil
}

// leanWrite frames messages sent .. sent+k-1, stamped with now, into the
// batch buffer and writes them with one Write.
func (p *producer) leanWrite(k uint64, now int64) error {
	out := p.out[:0]
	window := uint64(len(p.sentAt))
	for seq := p.sent; seq < p.sent+k; seq++ {
		out = p.frames.append(out, header{RunID: p.runID, Producer: p.id, Seq: seq, SentNano: now})
		if window > 0 {
			p.sentAt[(seq+1)%window].Store(now)
		}
	}
	p.out = out
	// Before the write: the reader may see the confirm as soon as it is out.
	p.published.Store(p.sent + k)
	if _, err := p.lean.nc.Write(out); err != nil {
		return fmt.Errorf("publish messages %d to %d: %w", p.sent, p.sent+k-1, err)
	}
	p.sent += k
	if now >= p.measureStart {
		p.sentMeasured += k
	}
	p.counts.sent.Add(k)
	return nil
}

// leanAwaitConfirms waits until every message sent is confirmed, for
// DrainTimeout at most; runLean counts the rest as unconfirmed.
func (p *producer) leanAwaitConfirms(ctx context.Context) error {
	if p.cfg.ConfirmWindow == 0 {
		return nil // returns are all read before connection.close-ok
	}
	deadline := time.NewTimer(p.cfg.DrainTimeout)
	defer deadline.Stop()
	for p.settledN.Load() < p.sent {
		select {
		case <-p.wake:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		case <-p.readerDone:
			return errReaderEnded
		}
	}
	return nil
}

// leanClose closes the channel unless the reader has ended; the reader,
// on channel.close-ok, closes the connection. leanClose waits for it to
// see connection.close-ok (leanCloseTimeout at most), closes the socket
// and joins the reader.
//
// Closing the channel first is what makes every basic.return count even
// without confirms, whatever the broker: channel.close-ok comes after
// everything the channel had queued for us, returns included, while the
// spec does not order connection.close-ok after other channels' frames
// (Ferry's writer sent channel 0's frames first until it was fixed).
func (p *producer) leanClose() {
	if !isClosed(p.readerDone) {
		p.closing.Store(true)
		if p.lean.sendNow(leanChannel, &wire.ChannelClose{ReplyCode: wire.ReplySuccess, ReplyText: "ferry-bench done"}) == nil {
			t := time.NewTimer(leanCloseTimeout)
			select {
			case <-p.readerDone:
			case <-t.C:
			}
			t.Stop()
		}
	}
	_ = p.lean.nc.Close()
	<-p.readerDone
}

// leanRead is the reader goroutine: it handles frames until the broker
// closes, the connection fails, or close-ok answers our close.
func (p *producer) leanRead() {
	defer close(p.readerDone)
	c := p.lean
	settled := false // since the last token
	for {
		if settled && !c.frameBuffered() {
			select {
			case p.wake <- struct{}{}:
			default:
			}
			settled = false
		}
		f, err := c.next()
		if err != nil {
			if !p.closing.Load() {
				p.readErr = describeReadErr(err)
			}
			return
		}
		done := false
		switch f.Type {
		case wire.FrameMethod:
			var s, end bool
			s, end, err = p.leanMethod(f)
			if end || err != nil {
				var be *brokerError
				if err != nil && (!p.closing.Load() || errors.As(err, &be) && be.scope == "channel") {
					p.readErr = err
				}
				return
			}
			settled = settled || s
		case wire.FrameHeader:
			done, err = p.ret.onHeader(f.Payload)
		case wire.FrameBody:
			done, err = p.ret.onBody(f.Payload)
		}
		if err != nil {
			p.readErr = err
			return
		}
		if done {
			p.onReturnBody(p.ret.headBytes())
		}
	}
}

func methodKey(class, method uint16) uint32 { return uint32(class)<<16 | uint32(method) }

// leanMethod handles one method frame from the broker. It reports whether
// confirms were settled, and whether the reader is done (close-ok to our
// close, or a close of the broker's, which err then describes).
func (p *producer) leanMethod(f wire.Frame) (settled, end bool, err error) {
	class, method, args, err := methodOf(f)
	if err != nil {
		return false, true, err
	}
	if p.ret.pending() {
		return false, true, fmt.Errorf("%s inside a basic.return's content: %w", methodName(f.Payload), errContentOrder)
	}
	switch methodKey(class, method) {
	case methodKey(wire.ClassBasic, wire.MethodBasicAck):
		if err := p.ackIn.Read(args); err != nil {
			return false, true, err
		}
		return true, false, p.settle(p.ackIn.DeliveryTag, p.ackIn.Multiple, true)
	case methodKey(wire.ClassBasic, wire.MethodBasicNack):
		if err := p.nackIn.Read(args); err != nil {
			return false, true, err
		}
		return true, false, p.settle(p.nackIn.DeliveryTag, p.nackIn.Multiple, false)
	case methodKey(wire.ClassBasic, wire.MethodBasicReturn):
		var m wire.BasicReturn // rare: allocating is fine
		if err := m.Read(args); err != nil {
			return false, true, err
		}
		return false, false, p.ret.begin()
	case methodKey(wire.ClassChannel, wire.MethodChannelCloseOk):
		if p.closing.Load() {
			err := p.lean.sendNow(0, &wire.ConnectionClose{ReplyCode: wire.ReplySuccess, ReplyText: "ferry-bench done"})
			return false, err != nil, err
		}
	case methodKey(wire.ClassConnection, wire.MethodConnectionCloseOk):
		if p.closing.Load() {
			return false, true, nil
		}
	case methodKey(wire.ClassConnection, wire.MethodConnectionBlocked), methodKey(wire.ClassConnection, wire.MethodConnectionUnblocked):
		return false, false, nil // not asked for; the broker then just stops reading
	}
	if err := p.lean.brokerClose(f.Channel, class, method, args); err != nil {
		return false, true, err
	}
	return false, true, fmt.Errorf("unexpected %s from the broker", methodName(f.Payload))
}

// settle records the broker's ack or nack of delivery tag tag and, with
// multiple, of every earlier tag not yet settled. Each tag counts once.
// Confirms may come out of order (RabbitMQ confirms messages routed to
// different queues independently; multiple covers only what is still
// open), so tags settled beyond the first open one are marked in ahead
// until the gap closes; inOrder, what the window is measured from, moves
// only over settled tags. The window keeps every open tag within
// inOrder+1 .. inOrder+window, so ahead (one slot per tag % window) never
// holds two of them.
func (p *producer) settle(tag uint64, multiple, ack bool) error {
	w := uint64(len(p.ahead))
	if w == 0 {
		return fmt.Errorf("a confirm for delivery tag %d without confirm.select", tag)
	}
	if published := p.published.Load(); tag == 0 || tag > published {
		return fmt.Errorf("the broker confirmed delivery tag %d, but %d were published", tag, published)
	}
	base := p.inOrder.Load() + 1 // the first open tag; only this goroutine moves it
	if tag < base {
		return nil // settled already: a repeat
	}
	lo := tag
	if multiple {
		lo = base
	}
	now := time.Now().UnixNano()
	var n, acks uint64
	for t := lo; t <= tag; t++ {
		if p.ahead[t%w] {
			continue
		}
		p.ahead[t%w] = true
		n++
		if ack {
			p.acked.add(t - 1)
			acks++
		} else {
			p.nacked++
		}
		if sent := p.sentAt[t%w].Load(); sent >= p.measureStart {
			p.confirmLat.Record(now - sent)
		}
	}
	for p.ahead[base%w] {
		p.ahead[base%w] = false
		base++
	}
	p.inOrder.Store(base - 1)
	p.settledN.Add(n)
	p.counts.confirmed.Add(acks)
	return nil
}
