package hist

import (
	"sync"
	"testing"
)

func TestIndex(t *testing.T) {
	l := Layout{Base: 100, N: 4} // (..100] (100,200] (200,400] (400,800] (800..)
	for _, c := range []struct {
		v    int64
		want int
	}{{-5, 0}, {0, 0}, {1, 0}, {100, 0}, {101, 1}, {200, 1}, {201, 2}, {400, 2}, {401, 3}, {800, 3}, {801, 4}, {1 << 40, 4}} {
		if got := l.Index(c.v); got != c.want {
			t.Errorf("Index(%d) = %d, want %d", c.v, got, c.want)
		}
	}
	if l.Upper(0) != 100 || l.Upper(3) != 800 {
		t.Errorf("Upper = %d, %d", l.Upper(0), l.Upper(3))
	}
}

func TestCountsAndCumulative(t *testing.T) {
	c := New(Layout{Base: 1, N: 3}) // ≤1 ≤2 ≤4 >4
	for _, v := range []int64{1, 1, 2, 3, 4, 9} {
		c.Observe(v)
	}
	if c.Count != 6 || c.Sum != 20 {
		t.Fatalf("count %d sum %d, want 6 and 20", c.Count, c.Sum)
	}
	var got []uint64
	c.Cumulative(func(_ int64, n uint64) { got = append(got, n) })
	if len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 5 {
		t.Errorf("cumulative = %v, want [2 3 5]", got)
	}
	var sum Counts
	sum.Merge(c)
	sum.Merge(c)
	if sum.Count != 12 || sum.Buckets[3] != 2 || sum.Layout != c.Layout {
		t.Errorf("merged = %+v", sum)
	}
	other := New(Layout{Base: 2, N: 3})
	other.Observe(1)
	sum.Merge(other) // another layout is not mixed in
	if sum.Count != 12 {
		t.Errorf("merge of another layout changed the sum: %d", sum.Count)
	}
}

func TestAtomicConcurrent(t *testing.T) {
	a := NewAtomic(Layout{Base: 10, N: 2})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				a.Observe(int64(g*10 + i%3))
			}
		}()
	}
	wg.Wait()
	s := a.Snapshot()
	if s.Count != 4000 {
		t.Fatalf("count = %d, want 4000", s.Count)
	}
	// g=0: 0..2 → bucket 0; g=1: 10..12 → 0 or 1; g=2: 20..22 → 1 or 2; g=3: 30..32 → 2.
	if s.Buckets[0]+s.Buckets[1]+s.Buckets[2] != 4000 || s.Buckets[2] == 0 {
		t.Errorf("buckets = %v", s.Buckets[:3])
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	c := New(Layout{Base: 1000, N: 20})
	a := NewAtomic(Layout{Base: 1000, N: 20})
	if n := testing.AllocsPerRun(100, func() { c.Observe(12345); a.Observe(12345) }); n != 0 {
		t.Errorf("Observe allocates %.1f times", n)
	}
}
