package amqp

import (
	"sync"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// Transactions (tx class): after tx.select, publishes, acks, nacks and
// rejects are held on the channel and applied at tx.commit, in order;
// tx.rollback drops them. commit-ok is sent once every message of the
// transaction is durable in its queues. As in RabbitMQ, a transaction is
// atomic for one queue only in the sense that its operations are applied
// together; there is no rollback of what commit has applied.

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
	tag       uint64           // txAck, txNack
	multiple  bool
	requeue   bool // txNack
}

// txState is a transactional channel's held operations (reader only).
type txState struct {
	ops []txOp
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

// txSettle holds an ack or nack after checking its tag, so that a bad
// tag fails at once, as in RabbitMQ.
func (ch *channel) txSettle(op txOp) error {
	if err := ch.checkTag(op.tag, op.multiple); err != nil {
		return err
	}
	ch.tx.ops = append(ch.tx.ops, op)
	return nil
}

func (ch *channel) txCommit() error {
	if ch.tx == nil {
		return errPrecondition("channel is not transactional")
	}
	ops := ch.tx.ops
	ch.tx.ops = nil
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
			n, err = ch.route(op.msg, op.mandatory, done)
			if err != nil || n == 0 {
				done(nil) // the broker will not call it, or may not
			}
		case txAck:
			err = ch.ack(op.tag, op.multiple)
		case txNack:
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

func (ch *channel) txRollback() error {
	if ch.tx == nil {
		return errPrecondition("channel is not transactional")
	}
	ch.tx.ops = nil
	ch.send(&wire.TxRollbackOk{})
	return nil
}
