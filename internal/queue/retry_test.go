package queue

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// pq is a queue with a policy, on one engine, driven at explicit times
// (x.at sets the clock to t0 plus an offset). It counts Notify calls and
// records push deliveries.
type pq struct {
	t        *testing.T
	eng      engine
	st       store.Store
	log      *testLog
	q        *Queue
	p        Policy
	now      time.Time
	notified int
	got      []Delivery
}

func newPQ(t *testing.T, eng engine, p Policy) *pq {
	t.Helper()
	x := &pq{t: t, eng: eng, st: eng.open(t), p: p, now: t0}
	x.open()
	t.Cleanup(func() {
		x.q.Close()
		x.st.Close()
	})
	return x
}

func memPQ(t *testing.T, p Policy) *pq { t.Helper(); return newPQ(t, memEngine, p) }

func (x *pq) open() {
	x.t.Helper()
	l, err := x.st.Open("q")
	if err != nil {
		x.t.Fatalf("open log: %v", err)
	}
	x.log = &testLog{Log: l}
	x.q, err = Open(Options{Name: "q", Log: x.log, Now: x.now, Policy: x.p, Notify: func() { x.notified++ }})
	if err != nil {
		x.t.Fatalf("open queue: %v", err)
	}
}

// restart closes the queue and reopens it on the store a new process
// would find, at x.now.
func (x *pq) restart() {
	x.t.Helper()
	if err := x.q.Close(); err != nil {
		x.t.Fatalf("close: %v", err)
	}
	x.st = x.eng.restart(x.t, x.st)
	x.open()
}

func (x *pq) at(d time.Duration) time.Time { x.now = t0.Add(d); return x.now }

func (x *pq) pub(body string, o PublishOptions) PublishResult {
	x.t.Helper()
	r, err := x.q.PublishWith([]byte(body), o, x.now, nil)
	if err != nil {
		x.t.Fatalf("publish %q: %v", body, err)
	}
	return r
}

func (x *pq) get(owner Owner) (Delivery, bool) {
	x.t.Helper()
	d, ok, err := x.q.Get(owner, false, x.now)
	if err != nil {
		x.t.Fatalf("Get: %v", err)
	}
	return d, ok
}

// mustGet takes the next message and checks its ID and delivery count.
func (x *pq) mustGet(owner Owner, id uint64, n uint32) Delivery {
	x.t.Helper()
	d, ok := x.get(owner)
	if !ok || d.ID != id || d.Deliveries != n {
		x.t.Fatalf("at %v: Get = %d/%d (ok %v), want %d/%d", x.now.Sub(t0), d.ID, d.Deliveries, ok, id, n)
	}
	return d
}

// none checks that nothing is ready.
func (x *pq) none(owner Owner) {
	x.t.Helper()
	if d, ok := x.get(owner); ok {
		x.t.Fatalf("at %v: Get = %d/%d, want nothing", x.now.Sub(t0), d.ID, d.Deliveries)
	}
}

func (x *pq) ack(owner Owner, id uint64) {
	x.t.Helper()
	if err := x.q.Ack(owner, id, x.now, nil); err != nil {
		x.t.Fatalf("Ack(%d, %d): %v", owner, id, err)
	}
}

func (x *pq) nack(owner Owner, id uint64, requeue bool) {
	x.t.Helper()
	if err := x.q.Nack(owner, id, requeue, x.now); err != nil {
		x.t.Fatalf("Nack(%d, %d, %v): %v", owner, id, requeue, err)
	}
}

func (x *pq) tick() { x.q.Tick(x.now) }

// deadline is NextDeadline as an offset from t0, or -1 for none.
func (x *pq) deadline() time.Duration {
	at, ok := x.q.NextDeadline()
	if !ok {
		return -1
	}
	return at.Sub(t0)
}

func (x *pq) wantDeadline(want time.Duration) {
	x.t.Helper()
	if got := x.deadline(); got != want {
		x.t.Fatalf("at %v: NextDeadline = %v, want %v", x.now.Sub(t0), got, want)
	}
}

// bury takes every dead message, settles it, and describes each as
// "id:reason/deliveries:body".
func (x *pq) bury() []string {
	x.t.Helper()
	var s []string
	for _, m := range x.q.TakeDead(1 << 20) {
		s = append(s, fmt.Sprintf("%d:%s/%d:%s", m.ID, m.Reason, m.Deliveries, m.Data))
		if err := x.q.DeadLettered(m.ID, x.now, nil); err != nil {
			x.t.Fatalf("DeadLettered(%d): %v", m.ID, err)
		}
	}
	return s
}

func (x *pq) stats() Stats { return x.q.Stats(x.now) }

func (x *pq) consume(tag string, owner Owner, prefetch int, onTimeout func()) *Consumer {
	x.t.Helper()
	c, err := x.q.Consume(ConsumerOptions{Tag: tag, Owner: owner, Prefetch: prefetch, OnTimeout: onTimeout,
		Deliver: func(d Delivery) { x.got = append(x.got, d) }}, x.now)
	if err != nil {
		x.t.Fatalf("Consume(%q): %v", tag, err)
	}
	return c
}

// takeGot returns the push deliveries since the last call, as "tag:id/n".
func (x *pq) takeGot() []string {
	var s []string
	for _, d := range x.got {
		s = append(s, fmt.Sprintf("%s:%d/%d", d.Consumer, d.ID, d.Deliveries))
	}
	x.got = nil
	return s
}

func TestBackoffDelayNoJitter(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name string
		b    Backoff
		n    uint32
		want time.Duration
	}{
		{"zero backoff", Backoff{}, 3, 0},
		{"attempt 0", Backoff{Initial: s}, 0, 0},
		{"negative initial", Backoff{Initial: -s}, 2, 0},
		{"first", Backoff{Initial: s, Multiplier: 2}, 1, s},
		{"second", Backoff{Initial: s, Multiplier: 2}, 2, 2 * s},
		{"fourth", Backoff{Initial: s, Multiplier: 2}, 4, 8 * s},
		{"default multiplier is 2", Backoff{Initial: s}, 3, 4 * s},
		{"multiplier below 1 is 2", Backoff{Initial: s, Multiplier: 0.5}, 3, 4 * s},
		{"multiplier 1 is constant", Backoff{Initial: s, Multiplier: 1}, 7, s},
		{"multiplier 3", Backoff{Initial: s, Multiplier: 3}, 3, 9 * s},
		{"multiplier 1.5", Backoff{Initial: 2 * s, Multiplier: 1.5}, 3, 4500 * time.Millisecond},
		{"capped", Backoff{Initial: s, Max: 10 * s}, 5, 10 * s},
		{"cap not reached", Backoff{Initial: s, Max: 10 * s}, 4, 8 * s},
		{"far past the cap", Backoff{Initial: s, Max: 10 * s}, 1000, 10 * s},
		{"max below initial", Backoff{Initial: 5 * s, Max: 2 * s}, 1, 2 * s},
	} {
		if got := tc.b.Delay(42, tc.n); got != tc.want {
			t.Errorf("%s: %+v.Delay(42, %d) = %v, want %v", tc.name, tc.b, tc.n, got, tc.want)
		}
	}
	// Uncapped and huge: no overflow, stays positive and bounded.
	for _, n := range []uint32{64, 200, math.MaxUint32} {
		d := Backoff{Initial: time.Hour}.Delay(1, n)
		if d <= 0 || d > 1<<62 {
			t.Errorf("uncapped Delay(1, %d) = %v, want in (0, 2^62]", n, d)
		}
	}
}

func TestBackoffDelayJitter(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name   string
		jitter Jitter
		lo     func(base time.Duration) time.Duration
	}{
		{"full", JitterFull, func(time.Duration) time.Duration { return 0 }},
		{"equal", JitterEqual, func(base time.Duration) time.Duration { return base / 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Backoff{Initial: s, Max: 20 * s, Jitter: tc.jitter}
			plain := Backoff{Initial: s, Max: 20 * s}
			distinct := map[time.Duration]bool{}
			for id := uint64(1); id <= 500; id++ {
				for n := uint32(1); n <= 8; n++ {
					base := plain.Delay(id, n)
					d := b.Delay(id, n)
					if d < tc.lo(base) || d > base {
						t.Fatalf("Delay(%d, %d) = %v, want in [%v, %v]", id, n, d, tc.lo(base), base)
					}
					if d > 20*s {
						t.Fatalf("Delay(%d, %d) = %v, above Max", id, n, d)
					}
					if again := b.Delay(id, n); again != d {
						t.Fatalf("Delay(%d, %d) = %v then %v: not deterministic", id, n, d, again)
					}
					if n == 1 {
						distinct[d] = true
					}
				}
			}
			if len(distinct) < 400 {
				t.Fatalf("first delays of 500 messages took %d distinct values: jitter does not spread", len(distinct))
			}
			var sum time.Duration
			for id := uint64(1); id <= 1000; id++ {
				sum += b.Delay(id, 1)
			}
			mean := sum / 1000
			wantMean := (tc.lo(s) + s) / 2
			if diff := mean - wantMean; diff < -s/10 || diff > s/10 {
				t.Fatalf("mean first delay = %v, want about %v", mean, wantMean)
			}
		})
	}
	if Backoff(Backoff{Initial: time.Second, Jitter: JitterFull}).Delay(7, 0) != 0 {
		t.Fatal("jittered Delay(_, 0) != 0")
	}
}

func TestRetryDelayAfterNack(t *testing.T) {
	x := memPQ(t, Policy{Retry: Backoff{Initial: 10 * time.Second, Max: 25 * time.Second}})
	id := x.pub("a", PublishOptions{}).ID
	x.pub("b", PublishOptions{})
	x.mustGet(1, id, 1)
	x.nack(1, id, true)
	if s := x.stats(); s.Delayed != 1 || s.Ready != 1 || s.Retried != 1 || s.Requeued != 1 || s.DelayedBytes != 1 {
		t.Fatalf("after nack: Stats = %+v, want 1 delayed (1 byte), 1 ready, 1 retried, 1 requeued", s)
	}
	x.wantDeadline(10 * time.Second)
	x.mustGet(1, 2, 1) // b is not held back by a's retry
	x.at(10*time.Second - 1)
	x.tick()
	x.none(1)
	x.at(10 * time.Second)
	x.tick()
	x.mustGet(1, id, 2)
	x.nack(1, id, true) // second failure: 20s
	x.wantDeadline(30 * time.Second)
	x.at(30 * time.Second)
	x.tick()
	x.mustGet(1, id, 3)
	x.nack(1, id, true) // third: 40s capped at 25s
	x.wantDeadline(55 * time.Second)
	x.at(55 * time.Second)
	x.none(1) // not before a Tick
}

func TestRetryNoDelayIsImmediate(t *testing.T) {
	x := memPQ(t, Policy{})
	id := x.pub("a", PublishOptions{}).ID
	x.mustGet(1, id, 1)
	x.nack(1, id, true)
	x.mustGet(2, id, 2)
	if s := x.stats(); s.Retried != 0 || s.Delayed != 0 {
		t.Fatalf("Stats = %+v, want nothing retried or delayed", s)
	}
	x.wantDeadline(-1)
}

// TestMaxDeliveries: every kind of failed return counts against the
// limit, and the delivery that reaches it dies when it fails.
func TestMaxDeliveries(t *testing.T) {
	fail := map[string]func(x *pq, id uint64){
		"nack requeue": func(x *pq, id uint64) { x.nack(1, id, true) },
		"release":      func(x *pq, id uint64) { x.q.Release(1, x.now) },
		"visibility 0": func(x *pq, id uint64) {
			if err := x.q.ChangeVisibility(1, id, 0, x.now); err != nil {
				x.t.Fatal(err)
			}
		},
		"lease timeout": func(x *pq, id uint64) { x.at(x.now.Sub(t0) + time.Minute); x.tick() },
	}
	for name, f := range fail {
		t.Run(name, func(t *testing.T) {
			x := memPQ(t, Policy{MaxDeliveries: 3, LeaseTimeout: time.Minute})
			id := x.pub("a", PublishOptions{}).ID
			before := 0
			for n := uint32(1); n <= 3; n++ {
				x.mustGet(1, id, n)
				before = x.notified // leases with a timeout notify too
				f(x, id)
			}
			x.none(1)
			s := x.stats()
			if s.Dead != 1 || s.DeadLettered[ReasonDeliveryLimit] != 1 || s.Requeued != 2 || s.Ready != 0 || s.Unacked != 0 {
				t.Fatalf("Stats = %+v, want 1 dead of delivery_limit, 2 requeued", s)
			}
			if x.notified == before {
				t.Fatal("a death did not call Notify")
			}
			wantStrings(t, "dead", x.bury(), []string{"1:delivery_limit/3:a"})
			if s := x.stats(); s.Dead != 0 {
				t.Fatalf("after DeadLettered: Dead = %d", s.Dead)
			}
		})
	}
}

// TestMaxDeliveriesNotOnClose: a restart is not a failed delivery.
func TestMaxDeliveriesNotOnClose(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			x := newPQ(t, eng, Policy{MaxDeliveries: 1})
			id := x.pub("a", PublishOptions{}).ID
			x.mustGet(1, id, 1)
			x.restart()
			x.mustGet(1, id, 2) // came back redelivered, not dead
			x.nack(1, id, true) // a real failure at 2 ≥ 1: dies
			wantStrings(t, "dead", x.bury(), []string{"1:delivery_limit/2:a"})
		})
	}
}

// TestRetryDelayedSurvivesRestart: a message waiting out a retry delay
// is still delayed after a restart, until the same due time, with its
// delivery count.
func TestRetryDelayedSurvivesRestart(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			x := newPQ(t, eng, Policy{Retry: Backoff{Initial: time.Minute}})
			a := x.pub("a", PublishOptions{}).ID
			b := x.pub("b", PublishOptions{}).ID
			x.at(time.Second)
			x.mustGet(1, a, 1)
			x.mustGet(1, b, 1)
			x.nack(1, b, true) // due at 61s
			x.at(2 * time.Second)
			x.nack(1, a, true) // due at 62s
			x.at(10 * time.Second)
			x.restart()
			x.none(1)
			if s := x.stats(); s.Delayed != 2 {
				t.Fatalf("after restart: Delayed = %d, want 2", s.Delayed)
			}
			x.wantDeadline(61 * time.Second)
			x.at(61 * time.Second)
			x.tick()
			x.mustGet(1, b, 2)
			x.none(1)
			x.at(62 * time.Second)
			x.tick()
			x.mustGet(1, a, 2)
			// Reopening after the due time finds it ready at once.
			x.nack(1, a, true) // second failure: 2 minutes, due at 182s
			x.at(500 * time.Second)
			x.restart()
			x.mustGet(1, a, 3)
		})
	}
}

func TestNackWithoutRequeueIgnoresRetry(t *testing.T) {
	x := memPQ(t, Policy{Retry: Backoff{Initial: time.Minute}, MaxDeliveries: 5})
	id := x.pub("a", PublishOptions{}).ID
	x.mustGet(1, id, 1)
	x.nack(1, id, false)
	wantStrings(t, "dead", x.bury(), []string{"1:rejected/1:a"})
	if s := x.stats(); s.Rejected != 1 || s.DeadLettered[ReasonRejected] != 1 || s.Delayed != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	if err := x.q.Nack(1, id, true, x.now); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("second nack: %v, want ErrUnknownDelivery", err)
	}
}
