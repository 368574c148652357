// Package hist holds the fixed exponential-bucket histograms that the
// engine, the broker and the segment log keep as plain stats, for admin
// to turn into Prometheus histograms at scrape time (the lower packages
// never import Prometheus; see STYLE.md lesson 11).
//
// A Layout fixes the buckets once, as powers of two of a base value:
// bucket i holds the values in (Base·2^(i-1), Base·2^i], bucket 0 the
// values up to Base, and one more bucket those above Base·2^(N-1). Powers
// of two make Observe one division and a bits.Len64, with no search and
// no allocation, so it fits on a hot path such as the queue's ack. Values
// are int64 in the unit the caller chose (nanoseconds for durations,
// records for batch sizes); Bounds converts the upper bounds for display.
//
// Counts is not safe for concurrent use (the queue keeps one under its
// lock); Atomic is, for callbacks that run on many goroutines.
package hist

import (
	"math/bits"
	"sync/atomic"
)

// MaxBuckets bounds Layout.N, so that Counts is a fixed array: it copies
// with a Stats snapshot and costs no allocation.
const MaxBuckets = 32

// Layout is a histogram's buckets: N bounded ones, the first ending at
// Base, each next one twice as wide, plus the overflow bucket.
type Layout struct {
	Base int64 // upper bound of bucket 0; must be > 0
	N    int   // bounded buckets, 1..MaxBuckets
}

// Index is the bucket of v: 0..N-1, or N (overflow) above Base·2^(N-1).
// Values ≤ 0 go to bucket 0.
func (l Layout) Index(v int64) int {
	if v <= l.Base {
		return 0
	}
	i := bits.Len64(uint64((v - 1) / l.Base))
	return min(i, l.N)
}

// Upper is the upper bound of bounded bucket i (0 ≤ i < N).
func (l Layout) Upper(i int) int64 { return l.Base << i }

// Counts is a histogram's content. The zero value of a Counts made with
// a Layout (see New) is empty.
type Counts struct {
	Layout Layout
	// Buckets[i] counts the values of bucket i (not cumulative); index
	// Layout.N is the overflow bucket. Entries past it stay 0.
	Buckets [MaxBuckets + 1]uint64
	Count   uint64 // values observed
	Sum     int64  // their sum, in the layout's unit
}

// New returns an empty histogram with layout l.
func New(l Layout) Counts { return Counts{Layout: l} }

// Observe adds one value.
func (c *Counts) Observe(v int64) {
	c.Buckets[c.Layout.Index(v)]++
	c.Count++
	c.Sum += v
}

// Merge adds o, which must have the same layout, to c. A c with no
// layout yet takes o's, so that a zero Counts can sum several.
func (c *Counts) Merge(o Counts) {
	if c.Layout == (Layout{}) {
		c.Layout = o.Layout
	}
	if o.Layout != c.Layout {
		return
	}
	for i := range c.Buckets {
		c.Buckets[i] += o.Buckets[i]
	}
	c.Count += o.Count
	c.Sum += o.Sum
}

// Cumulative calls fn for each bounded bucket in order with its upper
// bound and the count of values at or below it, as Prometheus wants
// them; the overflow bucket is Count minus the last.
func (c *Counts) Cumulative(fn func(upper int64, count uint64)) {
	var n uint64
	for i := 0; i < c.Layout.N; i++ {
		n += c.Buckets[i]
		fn(c.Layout.Upper(i), n)
	}
}

// Atomic is a histogram that many goroutines may observe into at once.
type Atomic struct {
	layout  Layout
	buckets [MaxBuckets + 1]atomic.Uint64
	sum     atomic.Int64
}

// NewAtomic returns an empty concurrent histogram with layout l.
func NewAtomic(l Layout) *Atomic { return &Atomic{layout: l} }

// Observe adds one value.
func (a *Atomic) Observe(v int64) {
	a.buckets[a.layout.Index(v)].Add(1)
	a.sum.Add(v)
}

// Snapshot returns the counts so far. Count is the sum of the buckets
// read, so the snapshot is consistent with itself even while others
// observe (Sum may then be one value ahead or behind).
func (a *Atomic) Snapshot() Counts {
	c := Counts{Layout: a.layout, Sum: a.sum.Load()}
	for i := 0; i <= a.layout.N; i++ {
		c.Buckets[i] = a.buckets[i].Load()
		c.Count += c.Buckets[i]
	}
	return c
}
