package loadgen

import (
	"context"
	"time"
)

// startProgress logs the rates of the last interval every cfg.Interval
// until the returned stop function is called. It reads only the shared
// atomic counters, never a producer's or consumer's own fields.
func (r *runner) startProgress(ctx context.Context) (stop func()) {
	if r.cfg.Interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(r.cfg.Interval)
		defer tick.Stop()
		last, lastAt := r.snapshot(), time.Now()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				cur := r.snapshot()
				secs := now.Sub(lastAt).Seconds()
				rate := func(a, b uint64) int64 { return int64(float64(a-b) / secs) }
				r.log.Info("progress",
					"elapsed", now.Sub(r.begin).Round(time.Second),
					"sent/s", rate(cur.sent, last.sent),
					"confirmed/s", rate(cur.confirmed, last.confirmed),
					"consumed/s", rate(cur.consumed, last.consumed),
					"consumed", cur.consumed)
				last, lastAt = cur, now
			}
		}
	}()
	return func() { close(done); <-exited }
}

type snapshot struct{ sent, confirmed, consumed uint64 }

func (r *runner) snapshot() snapshot {
	return snapshot{r.counts.sent.Load(), r.counts.confirmed.Load(), r.counts.consumed.Load()}
}
