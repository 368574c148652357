package loadgen

import (
	"math"
	"time"
)

// pacer spreads messages evenly at a fixed rate. Each message has an
// absolute due time, start + n/rate, rather than "the last send plus an
// interval", so sleeping too long or sending late never adds up to drift:
// a producer that falls behind sends at once until it is back on schedule.
type pacer struct {
	start time.Time
	rate  float64 // messages per second; 0 means no pacing
}

// due returns when message n (from 0) should be sent. The product is
// computed from n each time, so rounding does not accumulate either.
func (p pacer) due(n uint64) time.Time {
	if p.rate <= 0 {
		return p.start
	}
	return p.start.Add(time.Duration(float64(n) * float64(time.Second) / p.rate))
}

// count returns how many messages are due by now: the n with due(n-1) <=
// now < due(n). Without pacing every message is due.
func (p pacer) count(now time.Time) uint64 {
	if p.rate <= 0 {
		return math.MaxUint64
	}
	if now.Before(p.start) {
		return 0
	}
	// The estimate is off by one at most through rounding; due decides.
	n := uint64(now.Sub(p.start).Seconds()*p.rate) + 1
	for n > 0 && p.due(n-1).After(now) {
		n--
	}
	for !p.due(n).After(now) {
		n++
	}
	return n
}
