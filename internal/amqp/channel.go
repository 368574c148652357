package amqp

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/queue"
)

// channel is one AMQP channel of a connection. Fields above mu belong to
// the reader goroutine; those below are shared with the writer and with
// the queues' and store's callbacks, and guarded by mu.
//
// basic.qos global=true is limiter, shared by the channel's consumers in
// every queue (queue.Limiter): the queues take a credit from it for each
// delivery to them, park consumers when none is left, and give the
// credit back when the delivery's lease ends, however it ends (ack,
// nack, reject, recover, teardown, a timeout), so the channel keeps no
// count. Lock order: a queue's lock, then channel.mu, then outbox.mu; a
// queue's lock, then the limiter's. The limiter's Release and SetLimit
// take queue locks, so they run with none of these held: SetLimit from
// the reader, Release from a queue command once it let its lock go.
type channel struct {
	c       *conn
	id      uint16
	owner   queue.Owner // holds this channel's leases in every queue
	logger  *slog.Logger
	limiter *queue.Limiter // basic.qos global=true; set at creation, safe for concurrent use

	// Reader goroutine only.
	closing    bool                  // channel.close sent, waiting for close-ok
	consumers  map[string]*consumer  // by consumer tag
	touched    map[*queue.Queue]qkey // queues that may hold our leases
	prefetch   int                   // basic.qos global=false: for consumers made from now on
	settled    []unackedEntry        // settle's result buffer, reused
	lastQueue  string                // the last queue declared, for methods naming ""
	confirming bool                  // confirm.select received
	publishSeq uint64                // last publish sequence number in confirm mode
	tx         *txState              // non-nil after tx.select
	content    *contentState         // a publish whose content is arriving
	qosView    atomic.Int64          // prefetch, for admin (introspect.go)

	mu       sync.Mutex
	closed   bool           // guarded by mu; torn down: callbacks drop what they bring
	pending  []outItem      // guarded by mu; for the writer, in order
	queued   bool           // guarded by mu; on the outbox's ready list
	nextTag  uint64         // guarded by mu; last delivery tag handed out
	unacked  unackedSet     // guarded by mu
	flowOff  bool           // guarded by mu; channel.flow active=false: hold deliveries
	confirms confirmTracker // guarded by mu
}

func newChannel(c *conn, id uint16) *channel {
	return &channel{
		c:         c,
		id:        id,
		owner:     queue.Owner(c.s.ownerSeq.Add(1)),
		logger:    c.logger.With(slog.Int("channel", int(id))),
		limiter:   queue.NewLimiter(0),
		consumers: map[string]*consumer{},
		touched:   map[*queue.Queue]qkey{},
		unacked:   newUnackedSet(),
		confirms:  newConfirmTracker(),
	}
}

// send queues a reply from the reader. The reader is throttled on these
// (waitSpace), so they are counted in the backlog.
func (ch *channel) send(m wire.Method) {
	ch.mu.Lock()
	ch.pushLocked(outItem{kind: itemMethod, method: m, cost: 64})
	ch.mu.Unlock()
}

// sendContent queues a reply with content (basic.return) from the reader.
func (ch *channel) sendContent(it outItem) {
	it.cost = int64(len(it.body)) + 256
	ch.mu.Lock()
	ch.pushLocked(it)
	ch.mu.Unlock()
}

// pushLocked appends it for the writer. ch.mu held.
func (ch *channel) pushLocked(it outItem) {
	if it.cost > 0 {
		ch.c.out.backlog.Add(it.cost)
	}
	ch.pending = append(ch.pending, it)
	ch.c.out.readyLocked(ch)
}

// take is the writer's: it moves what may be sent now from ch's list to
// dst. Deliveries wait while channel.flow is off; once one waits, later
// ones wait behind it, but method replies still go. (The global prefetch
// needs no holding here: the queues hand out no more than the limiter
// allows.)
func (ch *channel) take(dst []outItem) []outItem {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.queued = false
	keep := ch.pending[:0]
	held := false
	for _, it := range ch.pending {
		if it.kind == itemDeliver {
			if held || !ch.maySendLocked(&it) {
				held = true
				keep = append(keep, it)
				continue
			}
			if it.needsAck {
				ch.unacked.markSent(it.tag)
			}
		}
		dst = append(dst, it)
	}
	clear(ch.pending[len(keep):])
	ch.pending = keep
	return dst
}

// maySendLocked reports whether delivery it may go out now: flow stops
// deliveries, not get-ok answers. ch.mu held.
func (ch *channel) maySendLocked(it *outItem) bool {
	return !ch.flowOff || it.ctag == ""
}

// kickLocked puts ch back on the writer's list if it holds deliveries
// that may now be sendable. ch.mu held.
func (ch *channel) kickLocked() {
	if len(ch.pending) > 0 {
		ch.c.out.readyLocked(ch)
	}
}

// notifyCancel tells the client that consumer tag was cancelled by the
// server (its queue was deleted), if the client asked to hear of it.
// Any goroutine may call it.
func (ch *channel) notifyCancel(tag string) {
	if !ch.c.cancelNotify {
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.closed {
		ch.pushLocked(outItem{kind: itemMethod, method: &wire.BasicCancel{ConsumerTag: tag, NoWait: true}})
	}
}

// handle runs one method on the channel.
func (ch *channel) handle(m wire.Method) error {
	if ch.closing {
		// After channel.close only close-ok and close count (spec 2.2.4).
		switch m.(type) {
		case *wire.ChannelCloseOk:
			delete(ch.c.channels, ch.id)
		case *wire.ChannelClose:
			ch.send(&wire.ChannelCloseOk{})
			delete(ch.c.channels, ch.id)
		}
		return nil
	}
	if ch.content != nil {
		return errUnexpectedFrame("expected content header for basic.publish on channel %d, got %s", ch.id, m.Name())
	}
	switch m := m.(type) {
	case *wire.ChannelOpen:
		return errChannel("second 'channel.open' seen on channel %d", ch.id)
	case *wire.ChannelClose:
		ch.teardown()
		delete(ch.c.channels, ch.id)
		ch.send(&wire.ChannelCloseOk{})
	case *wire.ChannelCloseOk:
		// Not expected outside closing; harmless.
	case *wire.ChannelFlow:
		ch.mu.Lock()
		ch.flowOff = !m.Active
		ch.kickLocked()
		ch.mu.Unlock()
		ch.send(&wire.ChannelFlowOk{Active: m.Active})
	case *wire.ChannelFlowOk:
		// We never ask clients to stop; ignore.
	case *wire.AccessRequest:
		ch.send(&wire.AccessRequestOk{Ticket: 1}) // obsolete; RabbitMQ answers it too
	case *wire.ExchangeDeclare:
		return ch.exchangeDeclare(m)
	case *wire.ExchangeDelete:
		return ch.exchangeDelete(m)
	case *wire.ExchangeBind:
		return ch.exchangeBind(m)
	case *wire.ExchangeUnbind:
		return ch.exchangeUnbind(m)
	case *wire.QueueDeclare:
		return ch.queueDeclare(m)
	case *wire.QueueBind:
		return ch.queueBind(m)
	case *wire.QueueUnbind:
		return ch.queueUnbind(m)
	case *wire.QueuePurge:
		return ch.queuePurge(m)
	case *wire.QueueDelete:
		return ch.queueDelete(m)
	case *wire.BasicQos:
		return ch.basicQos(m)
	case *wire.BasicConsume:
		return ch.basicConsume(m)
	case *wire.BasicCancel:
		return ch.basicCancel(m)
	case *wire.BasicPublish:
		return ch.basicPublish(m)
	case *wire.BasicGet:
		return ch.basicGet(m)
	case *wire.BasicAck:
		return ch.basicAck(m.DeliveryTag, m.Multiple)
	case *wire.BasicNack:
		return ch.basicNack(m.DeliveryTag, m.Multiple, m.Requeue)
	case *wire.BasicReject:
		return ch.basicNack(m.DeliveryTag, false, m.Requeue)
	case *wire.BasicRecover:
		if err := ch.basicRecover(m.Requeue); err != nil {
			return err
		}
		ch.send(&wire.BasicRecoverOk{})
	case *wire.BasicRecoverAsync:
		return ch.basicRecover(m.Requeue)
	case *wire.ConfirmSelect:
		return ch.confirmSelect(m)
	case *wire.TxSelect:
		return ch.txSelect()
	case *wire.TxCommit:
		return ch.txCommit()
	case *wire.TxRollback:
		return ch.txRollback()
	default:
		return errCommandInvalid("%s is not a request a client may send", m.Name())
	}
	return nil
}

// closeWithError raises a soft error: the channel is torn down now and
// channel.close sent; the reader then waits for close-ok.
func (ch *channel) closeWithError(e *amqpError) {
	ch.logger.Info("closing channel on error", slog.Int("code", int(e.code)), slog.String("text", e.text))
	ch.teardown()
	ch.closing = true
	ch.send(&wire.ChannelClose{ReplyCode: e.code, ReplyText: replyText(e.code, e.text), ClassID: e.classID, MethodID: e.methodID})
}

// teardown ends what the channel holds in the broker: its consumers are
// cancelled (then auto-delete queues without consumers go), and every
// message leased to it is released, ready again with its delivery count
// raised (the queues give their limiter credits back). Held deliveries
// are dropped: they are among the released.
func (ch *channel) teardown() {
	ch.mu.Lock()
	if ch.closed {
		ch.mu.Unlock()
		return
	}
	ch.closed = true
	keep := ch.pending[:0]
	for _, it := range ch.pending {
		if it.kind != itemDeliver {
			keep = append(keep, it)
		}
	}
	clear(ch.pending[len(keep):])
	ch.pending = keep
	ch.unacked = newUnackedSet()
	ch.mu.Unlock()

	now := ch.c.s.broker.Now()
	for tag, k := range ch.consumers {
		ch.cancelConsumer(k, now)
		delete(ch.consumers, tag)
	}
	for q := range ch.touched {
		q.Release(ch.owner, now)
	}
	ch.touched = nil
	// The connection's counts of what its channels hold (flow.go) drop
	// this channel's share. teardown runs on the reader, their owner.
	if ch.content != nil {
		ch.c.flow.receiving -= int64(len(ch.content.body))
		ch.content = nil
	}
	if ch.tx != nil {
		ch.dropHeld()
		ch.tx = nil
	}
	ch.c.s.stats.channels.Add(-1)
}
