package loadgen

import (
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
