package loadgen

import (
	"fmt"
	"strconv"
	"time"
)

// Human-readable units for the summary. JSON output keeps raw numbers.

// fmtCount writes n with thousands separators: 1234567 → "1,234,567".
func fmtCount(n uint64) string {
	s := strconv.FormatUint(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// fmtRate writes a per-second rate as a whole count with separators.
func fmtRate(r float64) string { return fmtCount(uint64(r + 0.5)) }

// fmtLatency writes d with three significant digits in the unit that
// suits it: 850ns, 12.3µs, 1.25ms, 2.50s.
func fmtLatency(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	default:
		return sig3(d.Seconds()) + "s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// fmtBytes writes a size in binary units: 512 B, 1 KiB, 1.5 MiB.
func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', -1, 64) + " KiB"
	default:
		return strconv.Itoa(n) + " B"
	}
}

// plural writes "1 producer" or "4 producers".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
