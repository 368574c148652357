// Package clock gives the broker its sense of time as a value it is handed,
// never one it reads behind the engine's back.
//
// The queue engine takes "now" as an argument to every command, so that the
// same commands give the same state on every replica and in every test.
// Only the layer that drives timers (the broker) holds a Clock: the real one
// in production, Fake in tests, where timers fire on Advance and no test
// needs to sleep.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and runs functions later.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the function from running; it reports whether it did.
	Stop() bool
}

// At runs f once c reaches at, or at once (in its own goroutine) if it
// already has. Scheduling by deadline rather than by duration matters for
// a Fake: between reading Now and asking for a duration, a test may have
// advanced the clock, and a timer computed from the old now would wait
// for one more Advance.
func At(c Clock, at time.Time, f func()) Timer {
	if a, ok := c.(interface {
		AfterFuncAt(time.Time, func()) Timer
	}); ok {
		return a.AfterFuncAt(at, f)
	}
	return c.AfterFunc(at.Sub(c.Now()), f)
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a Clock that moves only when told to. Timers due at or before the
// new time fire, in deadline order, during Advance, on the caller's
// goroutine, so a test knows they ran when Advance returns.
type Fake struct {
	mu     sync.Mutex
	now    time.Time    // guarded by mu
	timers []*fakeTimer // guarded by mu
	seq    uint64       // guarded by mu; orders timers with equal deadlines
}

// NewFake returns a Fake set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for d after the fake now.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// AfterFuncAt schedules f for the fake time at; if the clock is already
// there, f runs at once in its own goroutine, as a real timer would.
func (c *Fake) AfterFuncAt(at time.Time, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: at, seq: c.seq, f: f}
	if !at.After(c.now) {
		go f()
		return t // Stop finds nothing to stop, as for a fired timer
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d and runs every timer that fell due.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool {
			a, b := c.timers[i], c.timers[j]
			if !a.at.Equal(b.at) {
				return a.at.Before(b.at)
			}
			return a.seq < b.seq
		})
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending reports how many timers are waiting.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	c   *Fake
	at  time.Time
	seq uint64
	f   func()
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, o := range t.c.timers {
		if o == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}
