package loadgen

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// producer publishes one producer's share of a run on its own connection
// and tracks, by sequence number, what the broker confirmed or returned.
//
// Everything below the connection fields is owned by the producer's
// goroutine while run is running and read by Run only after it returned,
// so none of it needs a lock. With amqp091, confirms and returns are
// handled on the same goroutine as publishes (between publishes, and while
// it waits for the window or the pacer), which is what keeps it lock-free.
// With the lean client a reader goroutine of the producer's own handles
// them, and owns the fields so marked until run has joined it
// (lean_producer.go).
type producer struct {
	id           uint32
	name         string
	cfg          *Config
	runID        uint64
	queue        string
	limited      bool   // whether quota applies
	quota        uint64 // messages to publish, if limited
	pace         pacer
	measureStart int64 // Unix ns; earlier publishes are warm-up
	counts       *counters

	sqs      sqsClient // SQS mode: set instead of the connection
	queueURL string

	conn     *amqp.Connection
	ch       *amqp.Channel
	confirms chan amqp.Confirmation // nil without confirms
	returns  chan amqp.Return       // set to nil once the library closes it
	closed   chan *amqp.Error

	lean *leanConn // the lean client's connection, instead of conn
	leanProducer

	sent         uint64 // publishes that went out; delivery tag = seq + 1
	sentMeasured uint64 // of those, sent after the warm-up
	settled      uint64 // confirms received, acks and nacks (amqp091)
	nacked       uint64 // lean: reader
	unconfirmed  uint64 // no confirm when the producer stopped waiting (drain timeout)
	acked        seqSet // lean: reader
	returned     seqSet // lean: reader
	nReturned    uint64 // lean: reader
	// sentAt is the publish time by delivery tag % window. The publishing
	// goroutine stores a slot before the message goes out and the one
	// that handles its confirm loads it, so with the lean client the two
	// are different goroutines: hence atomics.
	sentAt     []atomic.Int64
	confirmLat Histogram // lean: reader
	stoppedAt  time.Time // when the last publish went out
}

// open connects, puts the channel in confirm mode if asked, and registers
// for confirms and returns. Buffers hold a full window, so the library's
// reader never waits on this producer.
func (p *producer) open() error {
	if p.cfg.leanClient() {
		return p.openLean()
	}
	conn, ch, err := openChannel(p.cfg, p.name)
	if err != nil {
		return err
	}
	p.conn, p.ch = conn, ch
	p.closed = ch.NotifyClose(make(chan *amqp.Error, 1))
	p.returns = ch.NotifyReturn(make(chan amqp.Return, max(p.cfg.ConfirmWindow, 64)))
	if w := p.cfg.ConfirmWindow; w > 0 {
		if err := ch.Confirm(false); err != nil {
			return fmt.Errorf("%s: enable publisher confirms: %w", p.name, err)
		}
		p.confirms = ch.NotifyPublish(make(chan amqp.Confirmation, w))
		p.sentAt = make([]atomic.Int64, w)
	}
	return nil
}

// run publishes until the quota is out, stop closes or ctx ends, then
// waits (at most DrainTimeout) for the confirms still outstanding.
func (p *producer) run(ctx context.Context, stop <-chan struct{}) error {
	if p.sqs != nil {
		return p.runSQS(ctx, stop)
	}
	if p.lean != nil {
		return p.runLean(ctx, stop)
	}
	defer p.conn.Close()
	body := make([]byte, p.cfg.Size)
	msg := amqp.Publishing{Body: body, DeliveryMode: amqp.Transient}
	if p.cfg.Persistent {
		msg.DeliveryMode = amqp.Persistent
	}
	window := uint64(p.cfg.ConfirmWindow)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

publishing:
	for seq := uint64(0); !p.limited || seq < p.quota; seq++ {
		if isClosed(stop) || ctx.Err() != nil {
			break
		}
		if p.pace.rate > 0 {
			if d := time.Until(p.pace.due(seq)); d > 0 {
				timer.Reset(d)
				if ok, err := p.waitFor(ctx, timer.C, stop); err != nil || !ok {
					if err != nil {
						return err
					}
					break publishing
				}
			}
		}
		if window > 0 {
			for p.sent-p.settled >= window {
				ev, err := p.waitEvent(ctx, nil, stop)
				if err != nil {
					return err
				}
				if ev != evHandled {
					break publishing
				}
			}
			if err := p.poll(); err != nil {
				return err
			}
		}
		now := time.Now().UnixNano()
		header{RunID: p.runID, Producer: p.id, Seq: seq, SentNano: now}.put(body)
		if err := p.ch.PublishWithContext(ctx, "", p.queue, true, false, msg); err != nil {
			return fmt.Errorf("%s: publish message %d: %w", p.name, seq, err)
		}
		if window > 0 {
			p.sentAt[(seq+1)%window].Store(now)
		}
		p.sent++
		if now >= p.measureStart {
			p.sentMeasured++
		}
		p.counts.sent.Add(1)
	}
	p.stoppedAt = time.Now()
	return p.awaitConfirms(ctx)
}

// awaitConfirms waits for every outstanding confirm, for DrainTimeout at
// most, and counts the rest as unconfirmed.
func (p *producer) awaitConfirms(ctx context.Context) error {
	if p.confirms == nil {
		return p.poll()
	}
	deadline := time.NewTimer(p.cfg.DrainTimeout)
	defer deadline.Stop()
	for p.settled < p.sent {
		ev, err := p.waitEvent(ctx, deadline.C, nil)
		if err != nil {
			return err
		}
		if ev != evHandled {
			p.unconfirmed = p.sent - p.settled
			break
		}
	}
	// The broker sends basic.return before the basic.ack of the same
	// message, and the library hands the return over before it reads the
	// ack, so every return for a confirmed message is buffered by now.
	return p.poll()
}

// waitFor handles confirms and returns until timer fires (true), or stop
// closes or ctx ends (false).
func (p *producer) waitFor(ctx context.Context, timer <-chan time.Time, stop <-chan struct{}) (bool, error) {
	for {
		ev, err := p.waitEvent(ctx, timer, stop)
		if err != nil || ev == evStop {
			return false, err
		}
		if ev == evTimer {
			return true, nil
		}
	}
}

type event int

const (
	evHandled event = iota // a confirm or return was handled
	evTimer                // the timer fired
	evStop                 // stop closed or ctx ended
)

// waitEvent blocks until it has handled one confirm or return, or timer
// fires, or stop closes, or ctx ends. A nil timer or stop never fires.
func (p *producer) waitEvent(ctx context.Context, timer <-chan time.Time, stop <-chan struct{}) (event, error) {
	select {
	case c, ok := <-p.confirms:
		if !ok {
			return evStop, closeReason(p.name, p.closed)
		}
		p.onConfirm(c)
	case r, ok := <-p.returns:
		if !ok {
			p.returns = nil
			return evHandled, nil
		}
		p.onReturn(r)
	case <-timer:
		return evTimer, nil
	case <-stop:
		return evStop, nil
	case <-ctx.Done():
		return evStop, nil
	}
	return evHandled, nil
}

// poll handles the confirms and returns already waiting, without blocking.
func (p *producer) poll() error {
	for {
		select {
		case c, ok := <-p.confirms:
			if !ok {
				return closeReason(p.name, p.closed)
			}
			p.onConfirm(c)
		case r, ok := <-p.returns:
			if !ok {
				p.returns = nil
				continue
			}
			p.onReturn(r)
		default:
			return nil
		}
	}
}

// onConfirm records one confirm. The library delivers them one tag at a
// time, in order, even when the broker acks many at once.
func (p *producer) onConfirm(c amqp.Confirmation) {
	now := time.Now().UnixNano()
	p.settled++
	seq := c.DeliveryTag - 1
	if c.Ack {
		p.acked.add(seq)
		p.counts.confirmed.Add(1)
	} else {
		p.nacked++
	}
	if sent := p.sentAt[c.DeliveryTag%uint64(len(p.sentAt))].Load(); sent >= p.measureStart {
		p.confirmLat.Record(now - sent)
	}
}

// onReturn records a message the broker could not route (the queue was
// deleted under the run, say): it is confirmed but will never arrive.
func (p *producer) onReturn(r amqp.Return) { p.onReturnBody(r.Body) }

// onReturnBody records a returned message by its body (of which only the
// header is read).
func (p *producer) onReturnBody(body []byte) {
	h, err := parseHeader(body)
	if err != nil || h.RunID != p.runID || h.Producer != p.id {
		return
	}
	if !p.returned.add(h.Seq) {
		p.nReturned++
	}
}

// accepted returns the sequence numbers the broker took responsibility
// for: acked and not returned, or without confirms every one sent. Over
// SQS, the entries a batch's answer listed as successful.
func (p *producer) accepted() seqSet {
	if p.cfg.ConfirmWindow == 0 && p.sqs == nil {
		all := seqSet{}
		for seq := range p.sent {
			all.add(seq)
		}
		return all.without(&p.returned)
	}
	return p.acked.without(&p.returned)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
