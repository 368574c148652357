package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestPacerDueTimesDoNotDrift(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	p := pacer{start: start, rate: 3}
	for n, want := range map[uint64]time.Duration{
		0: 0, 1: 333_333_333, 3: time.Second, 300: 100 * time.Second, 3_000_000: 1_000_000 * time.Second,
	} {
		if got := p.due(n).Sub(start); got != want {
			t.Errorf("rate 3: due(%d) = start+%v, want start+%v", n, got, want)
		}
	}
	// After a billion messages at an awkward rate the schedule is still
	// where n/rate puts it: each due time is computed, not accumulated.
	p = pacer{start: start, rate: 7}
	const n = 1_000_000_000
	want := time.Duration(n/7)*time.Second + time.Duration(n%7)*time.Second/7
	if got := p.due(n).Sub(start); got-want > time.Microsecond || want-got > time.Microsecond {
		t.Errorf("rate 7: due(%d) = start+%v, want start+%v", uint64(n), got, want)
	}
	prev := p.due(0)
	for i := range uint64(10_000) {
		if d := p.due(i); d.Before(prev) {
			t.Fatalf("due(%d) = %v is before due(%d) = %v", i, d, i-1, prev)
		}
		prev = p.due(i)
	}
}

func TestPacerUnlimited(t *testing.T) {
	start := time.Unix(5, 0)
	if got := (pacer{start: start}).due(1_000_000); !got.Equal(start) {
		t.Fatalf("rate 0: due = %v, want start (no waiting)", got)
	}
}

// count is how many messages are due: message n is due at due(n), so at
// exactly that instant n+1 are.
func TestPacerCount(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	p := pacer{start: start, rate: 3}
	for at, want := range map[time.Duration]uint64{
		-time.Second: 0, 0: 1, 333_333_332: 1, 333_333_333: 2, time.Second - 1: 3, time.Second: 4, 100 * time.Second: 301,
	} {
		if got := p.count(start.Add(at)); got != want {
			t.Errorf("rate 3: count(start+%v) = %d, want %d", at, got, want)
		}
	}
	for i := range uint64(10_000) {
		p := pacer{start: start, rate: 7}
		if got := p.count(p.due(i)); got != i+1 {
			t.Fatalf("rate 7: count(due(%d)) = %d, want %d", i, got, i+1)
		}
	}
	if got := (pacer{start: start}).count(start); got != math.MaxUint64 {
		t.Errorf("rate 0: count = %d, want every message", got)
	}
}
