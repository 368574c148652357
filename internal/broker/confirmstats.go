package broker

import (
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/hist"
)

// ConfirmLatencyLayout is the buckets of PublishStats.ConfirmLatency, in
// nanoseconds: 10µs doubling 22 times to about 21s. A memory queue
// confirms in microseconds, a durable one after its group commit's fsync.
var ConfirmLatencyLayout = hist.Layout{Base: int64(10 * time.Microsecond), N: 22}

// PublishStats are the broker's own figures, over every queue.
type PublishStats struct {
	// ConfirmLatency is how long publishes waited from the publish call
	// (Route, Publish, PublishResult: AMQP and SQS alike) to their done
	// callback, by the broker's clock. Publishes routed to no queue and
	// those without a done are not counted; one routed to many queues
	// counts once, when the last has stored it.
	ConfirmLatency hist.Counts
}

// PublishStats returns the broker's publish figures so far.
func (b *Broker) PublishStats() PublishStats {
	return PublishStats{ConfirmLatency: b.confirms.Snapshot()}
}

// confirmTimer measures one publish's wait for its done. It is pooled
// with its bound func, as fanIn is, so that timing a publish allocates
// nothing: done runs once, and that run puts it back.
type confirmTimer struct {
	b     *Broker
	start time.Time
	done  func(error)
	bound func(error) // t.fire, made once per confirmTimer
}

// confirmTimerPool's New is set in init: fire puts to the pool, so a
// composite initializer would be an initialization cycle.
var confirmTimerPool sync.Pool

func init() {
	confirmTimerPool.New = func() any {
		t := new(confirmTimer)
		t.bound = t.fire
		return t
	}
}

// timeConfirm returns a done that records the time from start to its
// call in b's confirm histogram, then calls done.
func (b *Broker) timeConfirm(done func(error), start time.Time) func(error) {
	t := confirmTimerPool.Get().(*confirmTimer)
	t.b, t.start, t.done = b, start, done
	return t.bound
}

func (t *confirmTimer) fire(err error) {
	b, start, done := t.b, t.start, t.done
	t.b, t.done = nil, nil
	confirmTimerPool.Put(t)
	b.confirms.Observe(int64(b.clock.Now().Sub(start)))
	done(err)
}
