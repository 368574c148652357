package loadgen

import (
	"context"
	"fmt"
	"time"
)

// setupSQS creates the run's queue with CreateQueue and returns its name
// and the teardown that deletes it, if the run owns it.
func (r *runner) setupSQS(ctx context.Context) (string, func() error, error) {
	client, err := newSQSClient(&r.cfg)
	if err != nil {
		return "", nil, err
	}
	name, owned := sqsQueueName(&r.cfg, r.runID)
	queueURL, err := client.createQueue(ctx, name)
	if err != nil {
		return "", nil, fmt.Errorf("create queue %q at %s: %w", name, r.cfg.RedactedURL(), err)
	}
	r.queueURL = queueURL
	teardown := func() error {
		if !owned {
			return nil
		}
		// Delete even when the run was cancelled, as the AMQP path does.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := client.deleteQueue(dctx, queueURL); err != nil {
			return fmt.Errorf("delete queue %q: %w", name, err)
		}
		return nil
	}
	return name, teardown, nil
}

// runSQS sends the producer's share with SendMessageBatch, one batch at a
// time, until the quota is out, stop closes or ctx ends. A batch's answer
// is its confirm: the entries it lists as successful are accepted, the
// others nacked; confirm latency is the batch's round trip. With a rate, a
// batch holds only the messages already due, so pacing stays per message.
func (p *producer) runSQS(ctx context.Context, stop <-chan struct{}) error {
	buf := newSQSBody(p.cfg.Size)
	size := uint64(sqsBatchLen(p.cfg))
	bodies := make([]string, 0, size)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

sending:
	for seq := uint64(0); !p.limited || seq < p.quota; {
		if isClosed(stop) || ctx.Err() != nil {
			break
		}
		n := size
		if p.limited {
			n = min(n, p.quota-seq)
		}
		if p.pace.rate > 0 {
			if d := time.Until(p.pace.due(seq)); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-stop:
					break sending
				case <-ctx.Done():
					break sending
				}
			}
			now, due := time.Now(), uint64(1)
			for due < n && !p.pace.due(seq+due).After(now) {
				due++
			}
			n = due
		}
		sentAt := time.Now().UnixNano()
		bodies = bodies[:0]
		for i := range n {
			bodies = append(bodies, encodeSQSBody(buf, header{RunID: p.runID, Producer: p.id, Seq: seq + i, SentNano: sentAt}))
		}
		ok, err := p.sqs.sendBatch(ctx, p.queueURL, bodies)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("%s: send messages %d to %d: %w", p.name, seq, seq+n-1, err)
		}
		answered := time.Now().UnixNano()
		for i := range n {
			p.settled++
			if ok[i] {
				p.acked.add(seq + i)
				p.counts.confirmed.Add(1)
			} else {
				p.nacked++
			}
			if sentAt >= p.measureStart {
				p.confirmLat.Record(answered - sentAt)
			}
		}
		p.sent += n
		if sentAt >= p.measureStart {
			p.sentMeasured += n
		}
		p.counts.sent.Add(n)
		seq += n
	}
	p.stoppedAt = time.Now()
	return nil
}

// runSQS long-polls with ReceiveMessage until stop closes or ctx ends,
// records what it got and deletes it with DeleteMessageBatch before it
// polls again. A poll still waiting when stop closes is abandoned: by then
// the run has every message it waits for, and anything else stays queued.
func (c *consumer) runSQS(ctx context.Context, stop <-chan struct{}) error {
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-pollCtx.Done():
		}
	}()
	size := sqsBatchLen(c.cfg)
	handles := make([]string, 0, size)
	for {
		if isClosed(stop) || ctx.Err() != nil {
			return nil
		}
		msgs, err := c.sqs.receive(pollCtx, c.queueURL, size, c.cfg.WaitSeconds)
		if err != nil {
			if pollCtx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: receive: %w", c.name, err)
		}
		now := time.Now()
		handles = handles[:0]
		for _, m := range msgs {
			h, err := parseSQSBody(m.body)
			c.record(now, h, err)
			handles = append(handles, m.receiptHandle)
		}
		if len(handles) == 0 {
			continue
		}
		// The deletes use ctx, not pollCtx: what was received is deleted
		// even when stop closed meanwhile.
		failed, err := c.sqs.deleteBatch(ctx, c.queueURL, handles)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: delete %d messages: %w", c.name, len(handles), err)
		}
		if failed > 0 {
			return fmt.Errorf("%s: delete: %d of %d entries failed", c.name, failed, len(handles))
		}
	}
}
