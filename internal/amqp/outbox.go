package amqp

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// maxBacklog is how many bytes of the reader's replies may wait for the
// writer before the reader stops reading frames (STYLE lesson 7: a
// bounded queue between reader and writer).
const maxBacklog = 1 << 20

// flushAt is how much the writer buffers before it writes mid-batch.
const flushAt = 256 << 10

// itemKind says how the writer encodes an outItem.
type itemKind uint8

const (
	itemMethod  itemKind = iota + 1 // a method without content
	itemContent                     // a method with props and body (basic.return)
	itemDeliver                     // basic.deliver or basic.get-ok of a stored message
)

// outItem is one thing for the writer to send on a channel.
type outItem struct {
	kind   itemKind
	method wire.Method         // itemMethod, itemContent
	props  *message.Properties // itemContent
	body   []byte              // itemContent

	// itemDeliver: data is the message's stored form, decoded by the
	// writer; ctag is "" for a get-ok, which carries msgCount instead.
	data        []byte
	ctag        string
	tag         uint64
	msgCount    uint32
	redelivered bool
	needsAck    bool

	cost int64 // bytes counted in outbox.backlog (reader-made items only)
}

// outbox is what waits for a connection's writer: frames for channel 0,
// and the channels whose lists have something.
type outbox struct {
	mu    sync.Mutex
	ctrl  []outItem  // guarded by mu; channel 0
	ready []*channel // guarded by mu; each at most once (channel.queued)
	// last holds connection.close and close-ok: they go out after
	// whatever the channels had queued (a basic.return of a publish made
	// before the close must reach the client before close-ok, as from
	// RabbitMQ). Guarded by mu.
	last     []outItem
	finished bool // guarded by mu; the reader is done: write what is left and stop

	wake    chan struct{} // capacity 1: something was queued
	space   chan struct{} // capacity 1: the backlog shrank
	backlog atomic.Int64  // bytes of reader-made items not yet written
}

func (o *outbox) init() {
	o.wake = make(chan struct{}, 1)
	o.space = make(chan struct{}, 1)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// sendCtrl queues a channel-0 method from the reader.
func (o *outbox) sendCtrl(m wire.Method) {
	o.mu.Lock()
	o.ctrl = append(o.ctrl, outItem{kind: itemMethod, method: m})
	o.mu.Unlock()
	signal(o.wake)
}

// sendLast queues connection.close or close-ok from the reader, to go
// out after every frame the channels queued before it.
func (o *outbox) sendLast(m wire.Method) {
	o.mu.Lock()
	o.last = append(o.last, outItem{kind: itemMethod, method: m})
	o.mu.Unlock()
	signal(o.wake)
}

// readyLocked puts ch on the writer's list. ch.mu held.
func (o *outbox) readyLocked(ch *channel) {
	if ch.queued {
		return
	}
	ch.queued = true
	o.mu.Lock()
	o.ready = append(o.ready, ch)
	o.mu.Unlock()
	signal(o.wake)
}

// finish tells the writer to send what is queued and stop.
func (o *outbox) finish() {
	o.mu.Lock()
	o.finished = true
	o.mu.Unlock()
	signal(o.wake)
}

// waitSpace blocks the reader while its replies fill the backlog; it
// returns false if the writer stopped.
func (c *conn) waitSpace() bool {
	for c.out.backlog.Load() > maxBacklog {
		select {
		case <-c.out.space:
		case <-c.writerDone:
			return false
		}
	}
	return true
}

// writeLoop is the writer goroutine: it sends queued frames, one flush
// per batch, and a heartbeat when nothing else was sent for half the
// heartbeat interval. On a write error it closes the socket, which ends
// the reader too.
func (c *conn) writeLoop(w *wire.Writer) {
	defer close(c.writerDone)
	var tick <-chan time.Time
	if c.heartbeat > 0 {
		t := time.NewTicker(c.heartbeat / 2)
		defer t.Stop()
		tick = t.C
	}
	wrote := false // since the last tick
	var items []outItem
	var scratch deliverScratch
	for {
		select {
		case <-c.out.wake:
		case <-tick:
			if !wrote {
				w.WriteHeartbeat()
				if err := w.Flush(); err != nil {
					c.writeFailed(err)
					return
				}
			}
			wrote = false
			continue
		}
		for {
			c.out.mu.Lock()
			items = append(items[:0], c.out.ctrl...)
			clear(c.out.ctrl)
			c.out.ctrl = c.out.ctrl[:0]
			ctrlN := len(items)
			ready := c.out.ready
			c.out.ready = nil
			last := c.out.last
			c.out.last = nil
			finished := c.out.finished
			c.out.mu.Unlock()

			var err error
			for i := range items[:ctrlN] {
				err = c.writeItem(w, 0, &items[i], &scratch)
			}
			for _, ch := range ready {
				if err != nil {
					break
				}
				items = ch.take(items[:0])
				for i := range items {
					if err = c.writeItem(w, ch.id, &items[i], &scratch); err != nil {
						break
					}
					if w.Buffered() >= flushAt {
						if err = w.Flush(); err != nil {
							break
						}
					}
				}
			}
			for i := range last {
				if err != nil {
					break
				}
				err = c.writeItem(w, 0, &last[i], &scratch)
			}
			clear(items)
			if err == nil {
				err = w.Flush()
			}
			if err != nil {
				c.writeFailed(err)
				return
			}
			wrote = true
			signal(c.out.space)
			if finished {
				return
			}
			if len(ready) == 0 && ctrlN == 0 && len(last) == 0 {
				break
			}
		}
	}
}

// writeFailed ends the connection after a write error.
func (c *conn) writeFailed(err error) {
	c.logger.Debug("write failed; closing", slog.Any("err", err))
	c.nc.Close()
}

// deliverScratch is reused by the writer for every delivery.
type deliverScratch struct {
	msg     message.Message
	deliver wire.BasicDeliver
	getOk   wire.BasicGetOk
}

// writeItem encodes one item. Encoding errors that concern only the item
// (a stored message that does not decode, a frame too large) are logged
// and the item dropped; only socket errors are returned.
func (c *conn) writeItem(w *wire.Writer, chID uint16, it *outItem, s *deliverScratch) error {
	var err error
	switch it.kind {
	case itemMethod:
		err = w.WriteMethod(chID, it.method)
	case itemContent:
		err = w.WriteContent(chID, it.method, it.props, it.body)
	case itemDeliver:
		if derr := message.DecodeInto(it.data, &s.msg); derr != nil {
			c.logger.Error("stored message does not decode; not sent", slog.Uint64("tag", it.tag), slog.Any("err", derr))
			break
		}
		var m wire.Method
		if it.ctag != "" {
			s.deliver = wire.BasicDeliver{ConsumerTag: it.ctag, DeliveryTag: it.tag, Redelivered: it.redelivered,
				Exchange: s.msg.Exchange, RoutingKey: s.msg.RoutingKey}
			m = &s.deliver
		} else {
			s.getOk = wire.BasicGetOk{DeliveryTag: it.tag, Redelivered: it.redelivered,
				Exchange: s.msg.Exchange, RoutingKey: s.msg.RoutingKey, MessageCount: it.msgCount}
			m = &s.getOk
		}
		err = w.WriteContent(chID, m, &s.msg.Properties, s.msg.Body)
		c.s.stats.delivered.Add(1)
	}
	if it.cost > 0 {
		c.out.backlog.Add(-it.cost)
	}
	if err != nil {
		if ferr := w.Flush(); ferr != nil {
			return ferr
		}
		c.logger.Error("frame not sent", slog.Uint64("channel", uint64(chID)), slog.Any("err", err))
	}
	return nil
}
