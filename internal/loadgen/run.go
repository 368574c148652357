package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Run performs one load run against the broker at cfg.URL, writes the
// result to w (a summary, or JSON with cfg.JSON) and returns it. It stops
// by itself: after Warmup+Duration (or Count messages), a wait for
// confirms and a drain, each bounded by DrainTimeout. Cancelling ctx ends
// it early, closing every connection.
//
// An error from any producer or consumer ends the run; Run then still
// returns (and writes) what was measured, with the error. If it fails
// before the first message (no broker, a bad queue), it writes nothing.
func Run(ctx context.Context, cfg Config, w io.Writer) (Result, error) {
	if cfg.IsSQS() && cfg.URL == DefaultURL {
		cfg.URL = DefaultSQSURL
	}
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	defer tuneGC()()
	r := &runner{cfg: cfg, log: cfg.logger(), runID: rand.Uint64(), begin: time.Now()}
	res, err := r.run(ctx)
	if r.measureStart.IsZero() {
		return res, err // it failed before the first message: nothing to show
	}
	if werr := Write(w, res, cfg.JSON); werr != nil {
		err = errors.Join(err, fmt.Errorf("loadgen: write result: %w", werr))
	}
	return res, err
}

// runner holds one run's parts. Its fields are set up before the
// producer and consumer goroutines start and read after they end.
type runner struct {
	cfg          Config
	log          *slog.Logger
	runID        uint64
	begin        time.Time
	queue        string
	queueURL     string // SQS mode: the queue's URL
	counts       counters
	ledger       *ledger
	producers    []*producer
	consumers    []*consumer
	measureStart time.Time // zero until the producers and consumers start
}

func (r *runner) run(parent context.Context) (res Result, err error) {
	cfg := &r.cfg
	r.ledger = newLedger(cfg.Producers)
	setup := r.setupAMQP
	if cfg.IsSQS() {
		setup = r.setupSQS
	}
	queue, teardown, err := setup(parent)
	if err != nil {
		return r.result(0, false), fmt.Errorf("loadgen: %w", err)
	}
	r.queue = queue
	defer func() {
		r.closeAll()
		err = errors.Join(err, teardown())
	}()

	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	if err := r.openAll(); err != nil {
		return r.result(0, false), fmt.Errorf("loadgen: %w", err)
	}
	// A publish blocked on a full socket does not watch ctx; closing the
	// connections is what unblocks it.
	defer context.AfterFunc(ctx, r.closeAll)()
	r.log.Info("load run starting", "protocol", cfg.Protocol, "client", cfg.client(), "queue", queue, "producers", cfg.Producers, "consumers", cfg.Consumers,
		"size", cfg.Size, "confirm", cfg.ConfirmWindow, "rate", cfg.Rate, "duration", cfg.Duration, "count", cfg.Count)

	t0 := time.Now()
	r.measureStart = t0.Add(cfg.Warmup)
	stopPublish := make(chan struct{})
	if cfg.Duration > 0 {
		defer time.AfterFunc(time.Until(r.measureStart.Add(cfg.Duration)), func() { close(stopPublish) }).Stop()
	}
	stopConsume := make(chan struct{})
	var consuming, publishing sync.WaitGroup
	for _, c := range r.consumers {
		c.measureStart = r.measureStart.UnixNano()
		consuming.Go(func() {
			if err := c.run(ctx, stopConsume); err != nil {
				cancel(err)
			}
		})
	}
	for i, p := range r.producers {
		p.measureStart = r.measureStart.UnixNano()
		p.pace = pacer{start: t0, rate: cfg.Rate / float64(cfg.Producers)}
		p.limited, p.quota = cfg.Count > 0, share(cfg.Count, cfg.Producers, i)
		publishing.Go(func() {
			if err := p.run(ctx, stopPublish); err != nil {
				cancel(err)
			}
		})
	}
	stopProgress := r.startProgress(ctx)
	publishing.Wait()

	drainStart := time.Now()
	drained := false
	switch {
	case len(r.producers) == 0:
		// Consumers only: they take what is there for the run's length.
		select {
		case <-stopPublish:
		case <-ctx.Done():
		}
	case len(r.consumers) > 0 && ctx.Err() == nil:
		drained = r.drain(ctx)
	}
	drain := time.Since(drainStart)
	close(stopConsume)
	consuming.Wait()
	stopProgress()

	res = r.result(drain, drained)
	if !drained && res.LossChecked && ctx.Err() == nil {
		r.log.Warn("drain timed out: messages the broker accepted were not consumed in time",
			"lost", res.Lost, "timeout", cfg.DrainTimeout)
	}
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("loadgen: run ended early: %w", err)
	}
	return res, nil
}

// setupAMQP declares the run's queue on a connection of its own, and
// returns its name and the teardown that deletes it (if the run owns it)
// and closes that connection.
func (r *runner) setupAMQP(context.Context) (string, func() error, error) {
	if r.cfg.leanClient() {
		return r.setupLean()
	}
	setupConn, setupCh, err := openChannel(&r.cfg, "setup")
	if err != nil {
		return "", nil, err
	}
	queue, owned, err := declareQueue(setupCh, &r.cfg, r.runID)
	if err != nil {
		_ = setupConn.Close()
		return "", nil, err
	}
	teardown := func() error {
		defer setupConn.Close()
		if owned {
			return deleteQueue(setupCh, queue)
		}
		return nil
	}
	return queue, teardown, nil
}

// setupLean is setupAMQP on the lean client.
func (r *runner) setupLean() (string, func() error, error) {
	c, err := dialLean(&r.cfg, "setup")
	if err != nil {
		return "", nil, err
	}
	queue, owned, err := declareQueueLean(c, &r.cfg, r.runID)
	if err != nil {
		c.close()
		return "", nil, err
	}
	teardown := func() error {
		defer c.close()
		if owned {
			return deleteQueueLean(c, queue)
		}
		return nil
	}
	return queue, teardown, nil
}

// openAll connects the consumers first, so that they are consuming before
// the first message is published.
func (r *runner) openAll() error {
	for i := range r.cfg.Consumers {
		c := &consumer{name: fmt.Sprintf("consumer %d", i), cfg: &r.cfg, runID: r.runID,
			queue: r.queue, ledger: r.ledger, counts: &r.counts}
		r.consumers = append(r.consumers, c)
		if err := r.open(&c.sqs, &c.queueURL, c.open); err != nil {
			return err
		}
	}
	for i := range r.cfg.Producers {
		p := &producer{id: uint32(i), name: fmt.Sprintf("producer %d", i), cfg: &r.cfg, runID: r.runID,
			queue: r.queue, counts: &r.counts}
		r.producers = append(r.producers, p)
		if err := r.open(&p.sqs, &p.queueURL, p.open); err != nil {
			return err
		}
	}
	return nil
}

// open connects one producer or consumer: over AMQP with openAMQP, over
// SQS by giving it a client of its own and the queue's URL.
func (r *runner) open(client *sqsClient, queueURL *string, openAMQP func() error) error {
	if !r.cfg.IsSQS() {
		return openAMQP()
	}
	c, err := newSQSClient(&r.cfg)
	if err != nil {
		return err
	}
	*client, *queueURL = c, r.queueURL
	return nil
}

// closeAll closes every producer and consumer connection. Closing one
// twice is harmless. Lean connections are closed at the socket: this is
// the way out when the run is cancelled, and it unblocks any read or
// write the goroutines are in.
func (r *runner) closeAll() {
	for _, p := range r.producers {
		if p.conn != nil {
			_ = p.conn.Close()
		}
		if p.lean != nil {
			_ = p.lean.nc.Close()
		}
	}
	for _, c := range r.consumers {
		if c.conn != nil {
			_ = c.conn.Close()
		}
		if c.lean != nil {
			_ = c.lean.nc.Close()
		}
	}
}

// drain waits until the consumers have seen every message the broker
// accepted, for DrainTimeout at most, and reports whether they did. It
// wakes on the ledger's progress signal, not on a timer.
func (r *runner) drain(ctx context.Context) bool {
	accepted := r.accepted()
	var expect uint64
	for i := range accepted {
		expect += accepted[i].len()
	}
	deadline := time.NewTimer(r.cfg.DrainTimeout)
	defer deadline.Stop()
	for {
		// The count is a cheap first test; the exact one guards against
		// consumed messages that were not accepted (nacked, unconfirmed).
		if r.ledger.unique.Load() >= expect && r.ledger.missing(accepted) == 0 {
			return true
		}
		select {
		case <-r.ledger.progress:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (r *runner) accepted() []seqSet {
	sets := make([]seqSet, len(r.producers))
	for i, p := range r.producers {
		sets[i] = p.accepted()
	}
	return sets
}

// share returns producer i's part of total messages: an even split, the
// first producers taking one more each for the remainder.
func share(total uint64, producers, i int) uint64 {
	n := total / uint64(producers)
	if uint64(i) < total%uint64(producers) {
		n++
	}
	return n
}
