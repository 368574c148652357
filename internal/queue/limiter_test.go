package queue

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// consumeOpts registers a consumer on f's queue with o, recording its
// deliveries in f.got.
func (f *fixture) consumeOpts(o ConsumerOptions) *Consumer {
	f.t.Helper()
	o.Deliver = func(d Delivery) {
		f.gotMu.Lock()
		f.got = append(f.got, d)
		f.gotMu.Unlock()
	}
	c, err := f.q.Consume(o, f.tick())
	if err != nil {
		f.t.Fatalf("Consume(%q): %v", o.Tag, err)
	}
	return c
}

// wantStats checks ready and unacked counts of f's queue (and its
// invariants, through snapshot).
func (f *fixture) wantStats(what string, ready, unacked int) {
	f.t.Helper()
	f.q.snapshot()
	if s := f.q.Stats(f.now); s.Ready != ready || s.Unacked != unacked {
		f.t.Fatalf("%s: ready %d unacked %d, want %d and %d", what, s.Ready, s.Unacked, ready, unacked)
	}
}

func wantUsed(t *testing.T, l *Limiter, n int) {
	t.Helper()
	if got := l.Used(); got != n {
		t.Fatalf("limiter: %d credits used, want %d", got, n)
	}
}

// Two queues, one limiter of 3 (a channel with basic.qos global=3 that
// consumes from both): three hand-outs in all, the rest stays ready.
func TestLimiterSharedByTwoQueues(t *testing.T) {
	f1, f2 := newFixture(t), newFixture(t)
	l := NewLimiter(3)
	for range 5 {
		f1.publish("a")
		f2.publish("b")
	}
	f1.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
	f2.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Limiter: l})
	wantStrings(t, "queue 1", f1.takeGot(), []string{"a:1/1", "a:2/1", "a:3/1"})
	wantStrings(t, "queue 2", f2.takeGot(), nil)
	f1.wantStats("queue 1", 2, 3)
	f2.wantStats("queue 2", 5, 0)
	wantUsed(t, l, 3)
	// A publish does not get past it either.
	f2.publish("b")
	wantStrings(t, "queue 2 after a publish", f2.takeGot(), nil)
	f2.wantStats("queue 2 after a publish", 6, 0)
}

// An ack gives its credit back (the queue releases it once the ack is
// applied); the parked queues resume in the order they parked, the
// acking queue's own consumer first, as it asked again on the way.
func TestLimiterResumeAfterAck(t *testing.T) {
	f1, f2 := newFixture(t), newFixture(t)
	l := NewLimiter(2)
	for range 3 {
		f1.publish("a")
		f2.publish("b")
	}
	f1.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
	f2.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Limiter: l})
	wantStrings(t, "queue 1", f1.takeGot(), []string{"a:1/1", "a:2/1"})
	wantUsed(t, l, 2)
	f1.ack(1, 1)
	wantStrings(t, "queue 1 resumed first", f1.takeGot(), []string{"a:3/1"})
	wantStrings(t, "queue 2 parked again", f2.takeGot(), nil)
	f1.ack(1, 2)
	f1.ack(1, 3)
	wantStrings(t, "queue 2 resumed", f2.takeGot(), []string{"b:1/1", "b:2/1"})
	f1.wantStats("queue 1 drained", 0, 0)
	f2.wantStats("queue 2", 1, 2)
	wantUsed(t, l, 2)
}

// SetLimit applies at once: lowering stops hand-outs until enough
// credits are back, raising resumes at once, 0 lifts the bound.
func TestLimiterLoweringAndRaisingTheLimit(t *testing.T) {
	f := newFixture(t)
	l := NewLimiter(3)
	f.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1, Limiter: l})
	for range 10 {
		f.publish("m")
	}
	wantStrings(t, "limit 3", f.takeGot(), []string{"c:1/1", "c:2/1", "c:3/1"})
	l.SetLimit(1, f.tick())
	f.ack(1, 1)
	wantStrings(t, "2 out, limit 1", f.takeGot(), nil)
	f.ack(1, 2)
	wantStrings(t, "1 out, limit 1", f.takeGot(), nil)
	f.ack(1, 3)
	wantStrings(t, "none out, limit 1", f.takeGot(), []string{"c:4/1"})
	l.SetLimit(3, f.tick())
	wantStrings(t, "raised to 3", f.takeGot(), []string{"c:5/1", "c:6/1"})
	l.SetLimit(0, f.tick())
	wantStrings(t, "no limit", f.takeGot(), []string{"c:7/1", "c:8/1", "c:9/1", "c:10/1"})
	f.wantStats("no limit", 0, 7)
	wantUsed(t, l, 7)
}

// A limit set while 5 messages are out (a qos sent after consuming)
// counts them: other consumers, without the limiter, get the rest.
func TestLimiterCountsWhatIsAlreadyOut(t *testing.T) {
	f := newFixture(t)
	l := NewLimiter(0)
	f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
	for range 5 {
		f.publish("m")
	}
	f.takeGot()
	l.SetLimit(1, f.tick())
	f.consume("b", 2, 0, false)
	for range 4 {
		f.publish("m")
	}
	wantStrings(t, "after the limit", f.takeGot(), []string{"b:6/1", "b:7/1", "b:8/1", "b:9/1"})
}

// Prefetch and limiter both apply: the lower bound wins.
func TestLimiterAndPrefetch(t *testing.T) {
	f := newFixture(t)
	l := NewLimiter(3)
	for range 10 {
		f.publish("m")
	}
	f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Prefetch: 1, Limiter: l})
	f.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Prefetch: 1, Limiter: l})
	wantStrings(t, "prefetch 1 each, limit 3", f.takeGot(), []string{"a:1/1", "b:2/1"})
	f.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1, Prefetch: 5, Limiter: l})
	wantStrings(t, "prefetch 5, limit 3", f.takeGot(), []string{"c:3/1"})
	f.wantStats("both", 7, 3)
	f.ack(1, 1)
	// a's prefetch allows one again, but a came up while the limiter
	// had nothing left and lost its turn to c, parked before it.
	wantStrings(t, "after one ack", f.takeGot(), []string{"c:4/1"})
	f.wantStats("after one ack", 6, 3)
}

// No-ack consumers and Get take no credits.
func TestLimiterIgnoresNoAckAndGet(t *testing.T) {
	f := newFixture(t)
	l := NewLimiter(1)
	for range 4 {
		f.publish("m")
	}
	if _, ok := f.get(1, false); !ok {
		t.Fatal("get found nothing")
	}
	f.consumeOpts(ConsumerOptions{Tag: "n", Owner: 1, NoAck: true, Limiter: l})
	wantStrings(t, "no-ack", f.takeGot(), []string{"n:2/1", "n:3/1", "n:4/1"})
	wantUsed(t, l, 0)
}

// A consumer cancelled while parked is forgotten: the credits released
// go to the other queue's consumer; and a cancelled consumer's messages
// keep their credits until their leases end (here the channel's close),
// as RabbitMQ counts them until they are settled.
func TestLimiterCancelReturnsCredits(t *testing.T) {
	f1, f2 := newFixture(t), newFixture(t)
	l := NewLimiter(2)
	for range 4 {
		f1.publish("a")
		f2.publish("b")
	}
	a := f1.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
	b := f2.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Limiter: l})
	wantStrings(t, "queue 1", f1.takeGot(), []string{"a:1/1", "a:2/1"})
	f1.q.Cancel(a, f1.tick())
	wantUsed(t, l, 2)
	// The channel goes away: its leases return, and with them their
	// credits.
	if n := f1.q.Release(1, f1.tick()); n != 2 {
		t.Fatalf("Release returned %d leases, want 2", n)
	}
	wantStrings(t, "queue 2 resumed", f2.takeGot(), []string{"b:1/1", "b:2/1"})
	wantStrings(t, "queue 1 cancelled", f1.takeGot(), nil)
	f1.wantStats("queue 1", 4, 0)
	// b is parked again; cancelling it leaves nothing to resume.
	f2.q.Cancel(b, f2.tick())
	f2.ack(1, 1)
	f2.wantStats("queue 2", 2, 1)
	wantStrings(t, "queue 2 cancelled", f2.takeGot(), nil)
	// A consumer that comes later takes what is free at once.
	f1.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1, Limiter: l})
	wantStrings(t, "new consumer", f1.takeGot(), []string{"c:1/2"})
	wantUsed(t, l, 2)
}

// Parking and resuming is a state change like the others: the same
// commands on two queues give the same state.
func TestLimiterDeterministic(t *testing.T) {
	run := func() snap {
		f := newFixture(t)
		l := NewLimiter(2)
		f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
		f.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Limiter: l, Priority: 1})
		f.consume("c", 2, 1, false)
		for range 6 {
			f.publish("m")
		}
		f.ack(1, 1)
		l.SetLimit(4, f.tick())
		return f.q.snapshot()
	}
	s1, s2 := run(), run()
	byTag := map[string]int{}
	for _, l := range s1.leases {
		byTag[l.tag]++
	}
	if byTag["b"] != 4 || byTag["c"] != 1 || len(s1.ready) != 0 {
		t.Fatalf("state: leases by consumer %v, %d ready; want b:4 c:1, none ready", byTag, len(s1.ready))
	}
	if len(s1.leases) != len(s2.leases) || s1.withCredit != s2.withCredit {
		t.Fatalf("runs differ:\n%+v\n%+v", s1, s2)
	}
	for i := range s1.leases {
		if s1.leases[i] != s2.leases[i] {
			t.Fatalf("lease %d: %+v vs %+v", i, s1.leases[i], s2.leases[i])
		}
	}
}

// Two queues share a limiter of 1 while their messages are published,
// acked and released concurrently, each queue by goroutines of its own
// (run it with -race): every message is delivered, and no more than one
// is out at any time. A stress test, not a proof: a lost wake-up (a take
// that parks as a Release frees the credit without seeing it, which the
// order of maybeParked and used in limiter.go rules out) stalls the test
// only if it happens after the last publish.
func TestLimiterUnderConcurrentPublishAckRelease(t *testing.T) {
	const perQueue = 3000
	l := NewLimiter(1)
	var out, most atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 {
		f := newFixture(t)
		ids := make(chan uint64, perQueue) // Deliver must not block
		owner := Owner(i + 1)
		_, err := f.q.Consume(ConsumerOptions{Tag: "c", Owner: owner, Limiter: l, Deliver: func(d Delivery) {
			n := out.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			ids <- d.ID
		}}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range perQueue {
				if _, err := f.q.Publish([]byte("m"), f.now, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range perQueue {
				id := <-ids
				out.Add(-1)
				if err := f.q.Ack(owner, id, f.now, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if m := most.Load(); m > 1 {
		t.Fatalf("%d deliveries out at once, limit 1", m)
	}
	wantUsed(t, l, 0)
}

// Leases the queue ends by itself give their credits back too, also
// when their consumer was cancelled before: a consumer timeout, and the
// queue's close (a deleted queue). Only the queue sees those ends.
func TestLimiterCreditBackWhenTheQueueEndsALease(t *testing.T) {
	f := newFixture(t)
	f.q.SetPolicy(Policy{ConsumerTimeout: 10 * time.Second}, f.now)
	l := NewLimiter(1)
	a := f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Limiter: l})
	f.publish("m")
	wantStrings(t, "a", f.takeGot(), []string{"a:1/1"})
	f.q.Cancel(a, f.tick())
	f.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Limiter: l})
	f.publish("m")
	wantStrings(t, "b parked", f.takeGot(), nil)
	wantUsed(t, l, 1)
	f.now = f.now.Add(time.Minute)
	f.q.Tick(f.now)
	wantStrings(t, "after a's lease timed out", f.takeGot(), []string{"b:1/2"})
	wantUsed(t, l, 1)

	// b's lease ends with its queue; a consumer of another queue on the
	// same limiter, parked meanwhile, resumes.
	g := newFixture(t)
	g.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1, Limiter: l})
	g.publish("n")
	wantStrings(t, "c parked", g.takeGot(), nil)
	if err := f.q.Close(); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "after the first queue closed", g.takeGot(), []string{"c:1/1"})
	wantUsed(t, l, 1)
}
