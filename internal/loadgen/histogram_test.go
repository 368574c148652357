package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// reference returns the value of rank ceil(p/100*n) in sorted, the
// definition Histogram.Percentile promises to approximate.
func reference(sorted []int64, p float64) int64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestHistogramPercentilesMatchSortedReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform small":   func() int64 { return rng.Int64N(200) },
		"uniform large":   func() int64 { return rng.Int64N(1e10) },
		"log-normal (µs)": func() int64 { return int64(math.Exp(rng.NormFloat64()*1.5 + 12)) },
		"exponential":     func() int64 { return int64(rng.ExpFloat64() * 2e6) },
		"with outliers": func() int64 {
			if rng.IntN(1000) == 0 {
				return rng.Int64N(math.MaxInt64)
			}
			return 1000 + rng.Int64N(100)
		},
	}
	percentiles := []float64{0, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 2, 7, 1000, 100_000} {
				var h Histogram
				vals := make([]int64, n)
				for i := range vals {
					vals[i] = gen()
					h.Record(vals[i])
				}
				slices.Sort(vals)
				if h.Count() != uint64(n) || h.Min() != vals[0] || h.Max() != vals[n-1] {
					t.Fatalf("n=%d: count/min/max = %d/%d/%d, want %d/%d/%d", n, h.Count(), h.Min(), h.Max(), n, vals[0], vals[n-1])
				}
				for _, p := range percentiles {
					want := reference(vals, p)
					got := h.Percentile(p)
					// A bucket is at most 1/128 of its values wide, and the
					// answer is the top of the bucket holding the true value.
					if got < want || float64(got-want) > float64(want)/subCount {
						t.Errorf("n=%d p%v = %d, want %d (+%d at most)", n, p, got, want, want/subCount)
					}
				}
			}
		})
	}
}

func TestHistogramBucketsTileTheRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(v int64) {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of [0,%d)", v, i, numBuckets)
		}
		high := bucketHigh(i)
		low := int64(0)
		if i > 0 {
			low = bucketHigh(i-1) + 1
		}
		if v < low || v > high {
			t.Fatalf("value %d in bucket %d = [%d,%d]", v, i, low, high)
		}
		if width := high - low; width > 0 && width > low/subCount {
			t.Fatalf("bucket %d = [%d,%d] is wider than 1/%d of its values", i, low, high, subCount)
		}
	}
	for v := range int64(4096) {
		check(v)
	}
	for range 100_000 {
		check(rng.Int64N(math.MaxInt64))
	}
	check(math.MaxInt64)
	if got := bucketHigh(numBuckets - 1); got != math.MaxInt64 {
		t.Fatalf("top bucket ends at %d, want MaxInt64", got)
	}
}

func TestHistogramMergeEqualsRecordingAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var a, b, all Histogram
	for i := range 10_000 {
		v := rng.Int64N(1e9)
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{}) // an empty one changes nothing
	if merged != all {
		t.Fatalf("merged histogram differs: count %d/%d min %d/%d max %d/%d", merged.Count(), all.Count(),
			merged.Min(), all.Min(), merged.Max(), all.Max())
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h Histogram
	if h.Percentile(50) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Fatalf("empty histogram: p50 %d mean %v max %d, want zeros", h.Percentile(50), h.Mean(), h.Max())
	}
	h.Record(-5) // a clock step backwards
	h.Record(10)
	if h.Min() != 0 || h.Percentile(50) != 0 || h.Percentile(100) != 10 || h.Mean() != 5 {
		t.Fatalf("min %d p50 %d p100 %d mean %v, want 0 0 10 5", h.Min(), h.Percentile(50), h.Percentile(100), h.Mean())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	v := int64(1)
	for b.Loop() {
		h.Record(v)
		v = (v*31 + 7) & (1<<40 - 1)
	}
}
