package main

import (
	"os"
	"runtime/debug"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/config"
)

// gcPercent is the GOGC a node runs with unless GOGC is set. A broker's
// heap is mostly short-lived request and frame buffers over a small live
// set (bodies stay on disk), so the default of 100 collects far more
// often than memory needs.
const gcPercent = 400

// tuneGC sets the collector for serve: GOGC gcPercent and, unless
// GOMEMLIMIT is set, a soft memory limit at the memory high watermark, so
// that the larger GOGC never lets garbage alone push the heap to the level
// where the alarm blocks publishers; near it the collector runs as often
// as it must. The runtime has read GOGC and GOMEMLIMIT from the process's
// environment already, so those win. It returns the attributes to log.
func tuneGC(cfg config.Config) []any {
	var attrs []any
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		attrs = append(attrs, "gogc", gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := cfg.MemoryHighWatermark.Bytes
		if limit == 0 && cfg.MemoryHighWatermark.Percent > 0 {
			if total, err := amqp.MemoryLimit(); err == nil {
				limit = int64(float64(total) * min(cfg.MemoryHighWatermark.Percent/100, 1))
			}
		}
		if limit > 0 {
			debug.SetMemoryLimit(limit)
			attrs = append(attrs, "gomemlimit", limit)
		}
	}
	return attrs
}
