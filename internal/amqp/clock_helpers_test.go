package amqp_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/clock"
)

// hangGuard bounds every wait of these tests. It is not a timing
// threshold: a correct broker answers at once, and the guard only turns
// a hang into a failure.
const hangGuard = 20 * time.Second

// epoch is the fake clock's start: a whole second, so x-death's time
// (whole seconds) can be compared exactly.
var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testClock is a clock.Fake that also tells the test which timers are
// pending, so a test advances only once the broker has armed the timer
// it means to fire (a queue's worker arms its timer on its own
// goroutine), and never has to sleep.
type testClock struct {
	*clock.Fake
	adv sync.Mutex // serializes Advance with arming a timer

	mu      sync.Mutex
	timers  map[*testTimer]bool // pending; guarded by mu
	changed chan struct{}       // closed and replaced when timers change; guarded by mu
}

type testTimer struct {
	c  *testClock
	at time.Time
	t  clock.Timer
}

func newTestClock() *testClock {
	return &testClock{Fake: clock.NewFake(epoch), timers: map[*testTimer]bool{}, changed: make(chan struct{})}
}

// changedLocked wakes waitTimer. mu held.
func (c *testClock) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// AfterFunc arms a fake timer and records its deadline. A timer already
// due runs at once, in its own goroutine, as the Clock contract says (a
// fake timer of 0 would otherwise wait for the next Advance).
func (c *testClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.adv.Lock()
	defer c.adv.Unlock()
	return c.arm(d, f)
}

// AfterFuncAt arms a timer for the instant at (clock.At uses it). The
// clock cannot move meanwhile: adv is held.
func (c *testClock) AfterFuncAt(at time.Time, f func()) clock.Timer {
	c.adv.Lock()
	defer c.adv.Unlock()
	return c.arm(at.Sub(c.Fake.Now()), f)
}

// arm is AfterFunc with adv held.
func (c *testClock) arm(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &testTimer{c: c, at: c.Fake.Now().Add(d)}
	if d <= 0 {
		go f()
		t.t = stoppedTimer{}
		return t
	}
	t.t = c.Fake.AfterFunc(d, func() {
		c.mu.Lock()
		if c.timers[t] {
			delete(c.timers, t)
			c.changedLocked()
		}
		c.mu.Unlock()
		f()
	})
	c.timers[t] = true
	c.changedLocked()
	return t
}

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }

func (t *testTimer) Stop() bool {
	ok := t.t.Stop()
	t.c.mu.Lock()
	if t.c.timers[t] {
		delete(t.c.timers, t)
		t.c.changedLocked()
	}
	t.c.mu.Unlock()
	return ok
}

// Advance moves the clock by d, firing the timers that fall due.
func (c *testClock) Advance(d time.Duration) {
	c.adv.Lock()
	defer c.adv.Unlock()
	c.Fake.Advance(d)
}

// waitTimer waits until a timer due exactly at at is pending: the broker
// has scheduled work for that instant.
func (c *testClock) waitTimer(t *testing.T, at time.Time) {
	t.Helper()
	guard := time.After(hangGuard)
	for {
		c.mu.Lock()
		for x := range c.timers {
			if x.at.Equal(at) {
				c.mu.Unlock()
				return
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-guard:
			t.Fatalf("no timer was armed for %v (clock at %v)", at, c.Now())
		}
	}
}

// startClock starts a node whose broker runs on a fake clock.
func startClock(t *testing.T) (*env, *testClock) {
	t.Helper()
	c := newTestClock()
	e := &env{t: t, dir: t.TempDir(), users: auth.Default(), clock: c}
	e.up()
	t.Cleanup(e.down)
	return e, c
}

// await waits for the next delivery.
func await(t *testing.T, deliveries <-chan amqp091.Delivery) amqp091.Delivery {
	t.Helper()
	select {
	case d, ok := <-deliveries:
		if !ok {
			t.Fatal("delivery channel closed")
		}
		return d
	case <-time.After(hangGuard):
		t.Fatal("no delivery")
	}
	panic("unreachable")
}

// none checks that no delivery has arrived in the client's channel. It
// is best-effort: amqp091-go hands deliveries over through a goroutine
// of its own, so one the server sent just before may not be there yet.
// Tests that must know also check the queue's counts in the broker
// (wantQueue) after a round trip.
func none(t *testing.T, deliveries <-chan amqp091.Delivery, what string) {
	t.Helper()
	select {
	case d := <-deliveries:
		t.Fatalf("%s: unexpected delivery %q", what, d.Body)
	default:
	}
}

// waitFor waits until cond holds: for effects of a queue's worker that
// no client sees (a message dropped, a queue deleted). It yields between
// tries rather than sleeping.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	guard := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(guard) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// consume starts a consumer with prefetch on a new channel.
func consume(t *testing.T, e *env, q string, prefetch int) (*amqp091.Channel, <-chan amqp091.Delivery) {
	t.Helper()
	_, ch := e.channel()
	if prefetch > 0 {
		must(t, ch.Qos(prefetch, 0, false))
	}
	ds, err := ch.Consume(q, "", false, false, false, false, nil)
	must(t, err)
	return ch, ds
}

func publishMsg(t *testing.T, ch *amqp091.Channel, exchange, key string, p amqp091.Publishing) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, false, false, p))
}

// declareArgs declares a transient queue with arguments.
func declareArgs(t *testing.T, ch *amqp091.Channel, name string, args amqp091.Table) {
	t.Helper()
	_, err := ch.QueueDeclare(name, false, false, false, false, args)
	must(t, err)
}
