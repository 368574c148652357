package loadgen

import (
	"math"
	"math/bits"
)

// Histogram counts non-negative int64 values (nanoseconds, here) in
// log-linear buckets, in the manner of HdrHistogram: values below 2^subBits
// get a bucket each; above that, every power-of-two range is split into
// 2^subBits equal buckets. A bucket is then never wider than 1/128 of the
// values in it, so a percentile read back is within 0.8% of the true one,
// over the whole int64 range, in a fixed 58 KiB and with no allocation per
// value.
//
// A Histogram is not safe for concurrent use: each producer and consumer
// owns one and Run merges them at the end, so the hot path takes no lock.
type Histogram struct {
	counts   [numBuckets]uint64
	total    uint64
	min, max int64
	sum      float64 // for the mean; float64 so that it cannot overflow
}

const (
	subBits    = 7
	subCount   = 1 << subBits // buckets per power of two
	numBuckets = (64 - subBits) * subCount
)

// bucketOf returns the index of the bucket holding v (v >= 0).
//
// For v < subCount the index is v itself. Otherwise, with m the position of
// v's highest set bit, v is shifted right by m-subBits so that it falls in
// [subCount, 2*subCount), and the shift picks the group of buckets. For a
// shift of 0 that gives indexes subCount..2*subCount-1, which are again v
// itself, so the exact range and the first log range join up.
func bucketOf(v int64) int {
	u := uint64(v)
	if u < subCount {
		return int(u)
	}
	shift := bits.Len64(u) - 1 - subBits
	return (shift+1)*subCount + int(u>>uint(shift)) - subCount
}

// bucketHigh returns the largest value that lands in bucket i.
func bucketHigh(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	shift := uint(i/subCount - 1)
	sub := uint64(i%subCount + subCount)
	// The top bucket ends at (2^8<<55)-1 = MaxInt64, so this cannot overflow.
	return int64((sub+1)<<shift - 1)
}

// Record adds one value; negative values (a clock step) count as 0.
func (h *Histogram) Record(v int64) {
	v = max(v, 0)
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest value recorded, exactly (0 if none).
func (h *Histogram) Max() int64 { return h.max }

// Min returns the smallest value recorded, exactly (0 if none).
func (h *Histogram) Min() int64 { return h.min }

// Mean returns the average of the values recorded (0 if none).
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Percentile returns the value below or at which p percent of the values
// lie (0 <= p <= 100): the value of rank ceil(p/100*count) in sorted order,
// read as the top of its bucket and kept within the exact min and max. It
// returns 0 for an empty histogram.
func (h *Histogram) Percentile(p float64) int64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(max(bucketHigh(i), h.min), h.max)
		}
	}
	return h.max // not reached: the counts add up to total
}
