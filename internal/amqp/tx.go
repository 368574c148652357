package amqp

import (
	"sync"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
)

// Transactions (tx class): after tx.select, publishes, acks, nacks and
// rejects are held on the channel and applied at tx.commit, in order;
// tx.rollback drops them. commit-ok is sent once every message of the
// transaction is durable in its queues.
//
// Checked when held. What can be checked is checked when an operation
// is held, as RabbitMQ does, so that the client hears of its mistake at
// once and a commit does not stop half-way on it, with the operations
// before the bad one applied and those after it not:
//
//   - a publish to an exchange that does not exist is refused with 404
//     NOT_FOUND, to an internal one with 403 ACCESS_REFUSED (and a
//     user_id that is not the connection's user with 406, as outside a
//     transaction);
//   - an ack, nack or reject must name deliveries that are unacked and
//     not already settled by an operation held in the same transaction,
//     else 406 unknown delivery tag. multiple with tag 0 settles the
//     deliveries sent so far, not those sent before the commit.
//
// An operation that was valid when held is applied at commit even if
// things changed meanwhile: a publish whose exchange was deleted since
// is unroutable (returned if mandatory), and an ack of deliveries that
// basic.recover released since is skipped. So a commit fails only when
// the store fails, or on a message property the broker refuses (a
// malformed expiration), which the broker offers no way to check before
// routing. There is no rollback of what a commit has applied.
//
// Bound. Held publishes are bodies in the server's memory that only the
// client can free, by committing or rolling back. A connection's
// transactions together may hold at most FlowConfig.MaxHeldTxMessages
// publishes (default 262,144) and MaxHeldTxBytes of their bodies
// (default 256 MiB; the one message that crosses it is taken, so any
// message allowed at all can be published in a transaction). RabbitMQ
// has no such bound, only its memory alarm; these are far above what
// batch loaders commit at once, and keep one connection from taking the
// node's memory. The reader cannot wait for room, as it does for the
// store, since only the client could make it; a publish past the bound
// is refused with 406 PRECONDITION_FAILED naming the limit, which
// closes the channel and drops its transaction.

type txKind uint8

const (
	txPublish txKind = iota + 1
	txAck
	txNack
)

// txOp is one held operation.
type txOp struct {
	kind      txKind
	msg       *message.Message // txPublish
	mandatory bool             // txPublish
	tag       uint64           // txAck, txNack; never 0 with multiple
	multiple  bool
	requeue   bool // txNack
}

// txState is a transactional channel's held operations (reader only).
type txState struct {
	ops   []txOp
	msgs  int   // publishes in ops
	bytes int64 // their bodies
	// The deliveries that held acks and nacks settle: every tag up to
	// settledTo (multiple), and those in settled.
	settledTo uint64
	settled   map[uint64]bool
}

// settles reports whether a held ack or nack settles delivery tag.
func (tx *txState) settles(tag uint64) bool {
	return tag <= tx.settledTo || tx.settled[tag]
}

func (ch *channel) txSelect() error {
	if ch.confirming {
		return errPrecondition("cannot switch from confirm to tx mode")
	}
	if ch.tx == nil {
		ch.tx = &txState{}
	}
	ch.send(&wire.TxSelectOk{})
	return nil
}

// txPublish holds a publish after checking its exchange and the
// connection's bound on held publishes.
func (ch *channel) txPublish(msg *message.Message, mandatory bool) error {
	if err := checkPublish(ch.c.s.broker, ch.c.vhost, msg.Exchange); err != nil {
		return fromBroker(err)
	}
	c, cfg := ch.c, &ch.c.s.cfg.Flow
	switch {
	case c.flow.txMsgs >= cfg.MaxHeldTxMessages:
		return errPrecondition("uncommitted transactions on this connection hold %d messages, "+
			"its limit (MaxHeldTxMessages); commit in smaller batches", c.flow.txMsgs)
	case c.flow.txBytes >= cfg.MaxHeldTxBytes:
		return errPrecondition("uncommitted transactions on this connection hold %d bytes of messages, "+
			"its limit (MaxHeldTxBytes) is %d; commit in smaller batches", c.flow.txBytes, cfg.MaxHeldTxBytes)
	}
	size := int64(len(msg.Body))
	ch.tx.ops = append(ch.tx.ops, txOp{kind: txPublish, msg: msg, mandatory: mandatory})
	ch.tx.msgs++
	ch.tx.bytes += size
	c.flow.txMsgs++
	c.flow.txBytes += size
	return nil
}

// txSettle holds an ack or nack after checking its tag, so that a bad
// tag fails at once, as in RabbitMQ; a tag an operation already held in
// the transaction settles is as unknown as one settled outside it.
func (ch *channel) txSettle(op txOp) error {
	tx := ch.tx
	if op.multiple && op.tag == 0 {
		last, ok := ch.lastUnsettled()
		if !ok {
			return nil // nothing to settle, which is no error
		}
		op.tag = last
	} else {
		if err := ch.checkTag(op.tag, op.multiple); err != nil {
			return err
		}
		if tx.settles(op.tag) {
			return errUnknownDeliveryTag(op.tag)
		}
	}
	if op.multiple {
		tx.settledTo = op.tag
	} else {
		if tx.settled == nil {
			tx.settled = map[uint64]bool{}
		}
		tx.settled[op.tag] = true
	}
	tx.ops = append(tx.ops, op)
	return nil
}

// lastUnsettled returns the highest tag of a sent, unacked delivery that
// no held operation settles: what an ack of multiple with tag 0 covers.
func (ch *channel) lastUnsettled() (uint64, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for i := len(ch.unacked.tags) - 1; i >= 0; i-- {
		tag := ch.unacked.tags[i]
		if tag <= ch.tx.settledTo {
			break
		}
		if e, ok := ch.unacked.m[tag]; ok && e.sent && !ch.tx.settled[tag] {
			return tag, true
		}
	}
	return 0, false
}

// dropHeld empties the transaction and gives its publishes back to the
// connection's bound.
func (ch *channel) dropHeld() {
	tx := ch.tx
	ch.c.flow.txMsgs -= tx.msgs
	ch.c.flow.txBytes -= tx.bytes
	*tx = txState{}
}

func (ch *channel) txCommit() error {
	if ch.tx == nil {
		return errPrecondition("channel is not transactional")
	}
	ops := ch.tx.ops
	ch.dropHeld()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error // first storage error; guarded by mu
	)
	for _, op := range ops {
		var err error
		switch op.kind {
		case txPublish:
			wg.Add(1)
			var once sync.Once
			done := func(e error) {
				once.Do(func() {
					if e != nil {
						mu.Lock()
						failed = e
						mu.Unlock()
					}
					wg.Done()
				})
			}
			var n int
			n, err = ch.routeHeld(op.msg, op.mandatory, done)
			if err != nil || n == 0 {
				done(nil) // the broker will not call it, or may not
			}
		case txAck:
			if ch.checkTag(op.tag, op.multiple) != nil {
				continue // released since it was held (basic.recover): nothing to settle
			}
			err = ch.ack(op.tag, op.multiple)
		case txNack:
			if ch.checkTag(op.tag, op.multiple) != nil {
				continue
			}
			err = ch.nack(op.tag, op.multiple, op.requeue)
		}
		if err != nil {
			wg.Wait()
			return err
		}
	}
	wg.Wait() // every done runs: the store calls it with nil or its error
	if failed != nil {
		return fromBroker(failed)
	}
	ch.send(&wire.TxCommitOk{})
	return nil
}

// routeHeld routes a publish held by a transaction. Its exchange was
// checked when it was held; one deleted since (or redeclared internal)
// makes the message unroutable instead of failing the commit half-way.
func (ch *channel) routeHeld(msg *message.Message, mandatory bool, done func(error)) (int, error) {
	n, err := routeMessage(ch.c.s.broker, ch.c.vhost, msg, ch.c.displayName(), done)
	if err != nil {
		switch broker.CodeOf(err) {
		case broker.NotFound, broker.AccessRefused:
			n, err = 0, nil
		default:
			return 0, fromBroker(err)
		}
	}
	if n == 0 && mandatory {
		ch.returnUnroutable(msg)
	}
	return n, nil
}

func (ch *channel) txRollback() error {
	if ch.tx == nil {
		return errPrecondition("channel is not transactional")
	}
	ch.dropHeld()
	ch.send(&wire.TxRollbackOk{})
	return nil
}
