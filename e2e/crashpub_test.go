package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// errConnLost: the publisher's connection went away (in a crash round,
// because the node was killed).
var errConnLost = errors.New("connection lost")

// confirmWindow bounds a publisher's unconfirmed messages. The confirms
// channel holds a whole window, so amqp091-go's reader never waits on us.
const confirmWindow = 32

// publisher is one confirm-mode publisher's ledger across rounds: what it
// sent, what the broker confirmed, and what is still owed. A message not
// confirmed when its connection died is published again, under the same
// key, in the next round, as an at-least-once publisher does; that is
// the only way a key may end up in the queue twice.
//
// The fields are owned by the goroutine running run during a round, and
// by the test between rounds (wg.Wait orders the two), so need no lock.
type publisher struct {
	id        int
	next      uint64            // next fresh sequence number
	sent      map[uint64]int    // times each sequence number was published
	confirmed map[uint64]bool   // acked by the broker, in any round
	pending   map[uint64]bool   // published, not confirmed: owed again
	nacks     int               // basic.nack confirms received
	published int               // publishes that went out, repeats included
	perRound  []int             // confirms received in each round
	tags      map[uint64]uint64 // delivery tag → sequence number, this round
}

func newPublisher(id int) *publisher {
	return &publisher{id: id, sent: map[uint64]int{}, confirmed: map[uint64]bool{}, pending: map[uint64]bool{}}
}

// pubSession is a publisher's connection for one round.
type pubSession struct {
	conn     *amqp.Connection
	ch       *amqp.Channel
	confirms chan amqp.Confirmation
}

// openPubSession connects to n and puts a channel in confirm mode. The
// test opens every session before any publisher starts, so an early kill
// never meets a publisher that has not connected yet.
func openPubSession(t *testing.T, n *node) *pubSession {
	t.Helper()
	conn := n.dial(t)
	ch, err := conn.Channel()
	must(t, err)
	_, err = ch.QueueDeclare(crashQueue, true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	return &pubSession{conn: conn, ch: ch, confirms: ch.NotifyPublish(make(chan amqp.Confirmation, confirmWindow+1))}
}

// run publishes on s: first what is owed from earlier rounds, then, if
// fresh, new sequence numbers without end. It returns nil once nothing is
// owed and nothing is in flight (only without fresh), errConnLost when
// the connection dies, and another error if the broker misbehaves. Every
// ack calls onAck, which is how the test decides when to kill the node.
func (p *publisher) run(s *pubSession, fresh bool, onAck func()) error {
	owed := slices.Sorted(func(yield func(uint64) bool) {
		for seq := range p.pending {
			if !yield(seq) {
				return
			}
		}
	})
	p.tags = map[uint64]uint64{}
	p.perRound = append(p.perRound, 0)
	for {
		more := fresh || len(owed) > 0
		if !more && len(p.tags) == 0 {
			return nil
		}
		if !more || len(p.tags) >= confirmWindow {
			c, ok := <-s.confirms
			if !ok {
				return errConnLost
			}
			if err := p.settle(c, onAck); err != nil {
				return err
			}
			continue
		}
		select { // take confirms that are in before publishing more
		case c, ok := <-s.confirms:
			if !ok {
				return errConnLost
			}
			if err := p.settle(c, onAck); err != nil {
				return err
			}
			continue
		default:
		}
		var seq uint64
		if len(owed) > 0 {
			seq, owed = owed[0], owed[1:]
		} else {
			seq = p.next
			p.next++
		}
		p.tags[s.ch.GetNextPublishSeqNo()] = seq
		p.pending[seq] = true
		p.sent[seq]++
		p.published++
		err := s.ch.PublishWithContext(context.Background(), "", crashQueue, false, false,
			crashPublishing(msgKey{p.id, seq}))
		if err != nil {
			// The connection is gone. Confirms that arrived before it
			// went are still in the channel, which amqp091-go closes on
			// shutdown: take them all, they are real.
			for c := range s.confirms {
				if err := p.settle(c, onAck); err != nil {
					return err
				}
			}
			return errConnLost
		}
	}
}

// settle records one confirm. An ack settles the message for good; a nack
// leaves it owed.
func (p *publisher) settle(c amqp.Confirmation, onAck func()) error {
	seq, ok := p.tags[c.DeliveryTag]
	if !ok {
		return fmt.Errorf("publisher %d: confirm for unknown delivery tag %d", p.id, c.DeliveryTag)
	}
	delete(p.tags, c.DeliveryTag)
	if !c.Ack {
		p.nacks++
		return nil
	}
	p.confirmed[seq] = true
	delete(p.pending, seq)
	p.perRound[len(p.perRound)-1]++
	onAck()
	return nil
}
