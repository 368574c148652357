package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInDeadlineOrderOnAdvance(t *testing.T) {
	start := time.Unix(1000, 0)
	c := NewFake(start)
	var got []string
	var seen []time.Time
	c.AfterFunc(3*time.Second, func() { got = append(got, "c"); seen = append(seen, c.Now()) })
	c.AfterFunc(1*time.Second, func() { got = append(got, "a"); seen = append(seen, c.Now()) })
	stopped := c.AfterFunc(2*time.Second, func() { got = append(got, "x") })
	c.AfterFunc(1*time.Second, func() { got = append(got, "b") })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	c.Advance(2 * time.Second)
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("after 2s fired %v, want [a b]", got)
	}
	if !seen[0].Equal(start.Add(time.Second)) {
		t.Fatalf("timer saw now=%v, want its deadline", seen[0])
	}
	c.Advance(time.Second)
	if len(got) != 3 || got[2] != "c" {
		t.Fatalf("after 3s fired %v, want [a b c]", got)
	}
	if !c.Now().Equal(start.Add(3*time.Second)) || c.Pending() != 0 {
		t.Fatalf("now=%v pending=%d", c.Now(), c.Pending())
	}
}

func TestFakeTimerScheduledByTimerFiresInSameAdvance(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	n := 0
	var tick func()
	tick = func() {
		n++
		if n < 5 {
			c.AfterFunc(time.Second, tick)
		}
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(10 * time.Second)
	if n != 5 {
		t.Fatalf("ticked %d times, want 5", n)
	}
}

func TestAtOnFake(t *testing.T) {
	c := NewFake(time.Unix(100, 0))
	fired := make(chan string, 3)
	At(c, time.Unix(105, 0), func() { fired <- "later" })
	At(c, time.Unix(100, 0), func() { fired <- "now" }) // already due: runs at once
	if got := <-fired; got != "now" {
		t.Fatalf("fired %q first", got)
	}
	if c.Pending() != 1 {
		t.Fatalf("pending %d, want 1", c.Pending())
	}
	c.Advance(5 * time.Second)
	if got := <-fired; got != "later" {
		t.Fatalf("fired %q", got)
	}
	tm := At(c, time.Unix(200, 0), func() { fired <- "stopped" })
	if !tm.Stop() || c.Pending() != 0 {
		t.Fatal("Stop did not cancel an At timer")
	}
}

func TestAtOnReal(t *testing.T) {
	fired := make(chan struct{})
	At(Real{}, time.Now().Add(-time.Second), func() { close(fired) }) // past: at once
	<-fired
}
