package loadgen

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer takes deliveries on its own connection, checks each against the
// ledger and records its end-to-end latency.
//
// The fields below the connection are owned by the consumer's goroutine
// while run is running and read by Run only after it returned.
type consumer struct {
	name         string
	cfg          *Config
	runID        uint64
	queue        string
	ledger       *ledger
	measureStart int64 // Unix ns; messages sent before it are warm-up
	counts       *counters

	sqs      sqsClient // SQS mode: set instead of the connection
	queueURL string

	conn       *amqp.Connection
	ch         *amqp.Channel
	deliveries <-chan amqp.Delivery
	closed     chan *amqp.Error

	lean *leanConn // the lean client's connection, instead of conn
	leanConsumer

	consumed uint64 // deliveries of this run's messages, duplicates included
	measured uint64 // of those, received after the warm-up
	dups     uint64
	foreign  uint64 // deliveries of other runs' or other clients' messages
	latency  Histogram
	lastAt   time.Time // receive time of the last message of this run
	unacked  int       // deliveries not yet acknowledged (manual acks)
	lastTag  uint64
}

// open connects, sets the prefetch and starts consuming, so the consumer
// is ready before the first message is published.
func (c *consumer) open() error {
	if c.cfg.leanClient() {
		return c.openLean()
	}
	conn, ch, err := openChannel(c.cfg, c.name)
	if err != nil {
		return err
	}
	c.conn, c.ch = conn, ch
	c.closed = ch.NotifyClose(make(chan *amqp.Error, 1))
	if c.cfg.Prefetch > 0 && !c.cfg.AutoAck {
		if err := ch.Qos(c.cfg.Prefetch, 0, false); err != nil {
			return fmt.Errorf("%s: set prefetch %d: %w", c.name, c.cfg.Prefetch, err)
		}
	}
	c.deliveries, err = ch.Consume(c.queue, c.name, c.cfg.AutoAck, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("%s: consume from %q: %w", c.name, c.queue, err)
	}
	return nil
}

// run handles deliveries until stop closes or ctx ends, then acknowledges
// what it has handled and closes its connection; deliveries it had not
// handled go back to the queue.
func (c *consumer) run(ctx context.Context, stop <-chan struct{}) error {
	if c.sqs != nil {
		return c.runSQS(ctx, stop)
	}
	if c.lean != nil {
		return c.runLean(ctx, stop)
	}
	defer c.conn.Close()
	for {
		select {
		case d, ok := <-c.deliveries:
			if !ok {
				return closeReason(c.name, c.closed)
			}
			if err := c.handle(d); err != nil {
				return err
			}
		case <-stop:
			return c.ackPending()
		case <-ctx.Done():
			return nil
		}
	}
}

// handle checks and records one delivery and acknowledges it when due.
func (c *consumer) handle(d amqp.Delivery) error {
	h, err := parseHeader(d.Body)
	c.record(time.Now(), h, err)
	if c.cfg.AutoAck {
		return nil
	}
	c.unacked++
	c.lastTag = d.DeliveryTag
	if c.unacked >= c.cfg.AckEvery {
		if err := c.ch.Ack(c.lastTag, c.cfg.AckEvery > 1); err != nil {
			return fmt.Errorf("%s: ack delivery %d: %w", c.name, c.lastTag, err)
		}
		c.unacked = 0
	}
	return nil
}

// record checks one message (its header, or why it has none) against the
// ledger and records its latency.
func (c *consumer) record(now time.Time, h header, err error) {
	ours := err == nil && h.RunID == c.runID
	if ours {
		dup, known := c.ledger.observe(h.Producer, h.Seq)
		ours = known
		if dup {
			c.dups++
		}
	}
	if !ours {
		c.foreign++
		return
	}
	c.consumed++
	c.counts.consumed.Add(1)
	c.lastAt = now
	ns := now.UnixNano()
	if ns >= c.measureStart {
		c.measured++
	}
	if h.SentNano >= c.measureStart {
		c.latency.Record(ns - h.SentNano)
	}
}

// ackPending acknowledges, in one multiple ack, the deliveries handled
// since the last ack, so the queue is left without them.
func (c *consumer) ackPending() error {
	if c.cfg.AutoAck || c.unacked == 0 {
		return nil
	}
	if err := c.ch.Ack(c.lastTag, true); err != nil {
		return fmt.Errorf("%s: ack deliveries up to %d: %w", c.name, c.lastTag, err)
	}
	c.unacked = 0
	return nil
}
