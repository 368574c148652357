package loadgen

import (
	"fmt"
	"time"
)

// result gathers what the producers and consumers counted into a Result.
// It must run after their goroutines ended (or before they started).
func (r *runner) result(drain time.Duration, drained bool) Result {
	cfg := r.cfg
	cfg.URL = cfg.RedactedURL()
	res := Result{
		Scenario: cfg.Scenario, Broker: cfg.Broker, Queue: r.queue,
		RunID: fmt.Sprintf("%016x", r.runID), Client: cfg.client(), Config: cfg,
		LossChecked: len(r.producers) > 0 && len(r.consumers) > 0,
		Drained:     drained, Drain: drain, Elapsed: time.Since(r.begin),
	}
	var confirmLat, latency Histogram
	var sentMeasured, consumedMeasured uint64
	var publishEnd, lastDelivery time.Time
	for _, p := range r.producers {
		res.Sent += p.sent
		res.Confirmed += p.acked.len()
		res.Nacked += p.nacked
		res.Returned += p.nReturned
		res.Unconfirmed += p.unconfirmed
		sentMeasured += p.sentMeasured
		confirmLat.Merge(&p.confirmLat)
		if p.stoppedAt.After(publishEnd) {
			publishEnd = p.stoppedAt
		}
	}
	for _, c := range r.consumers {
		res.Consumed += c.consumed
		res.Foreign += c.foreign
		consumedMeasured += c.measured
		latency.Merge(&c.latency)
		if c.lastAt.After(lastDelivery) {
			lastDelivery = c.lastAt
		}
	}
	if r.ledger != nil {
		res.Duplicates = r.ledger.duplicates()
		if res.LossChecked {
			res.Lost = r.ledger.missing(r.accepted())
		}
	}
	res.Publish = throughputOf(sentMeasured, sub(publishEnd, r.measureStart), cfg.Size)
	res.Consume = throughputOf(consumedMeasured, sub(lastDelivery, r.measureStart), cfg.Size)
	res.Latency = latencyOf(&latency)
	res.ConfirmLatency = latencyOf(&confirmLat)
	return res
}

// sub returns a-b, or 0 if either is unset.
func sub(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return a.Sub(b)
}
