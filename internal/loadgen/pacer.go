package loadgen

import "time"

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
