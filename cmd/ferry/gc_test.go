package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/ferrymq/ferry/internal/config"
)

// TestTuneGC: serve runs at GOGC 400 with a soft memory limit at the
// memory high watermark, unless GOGC or GOMEMLIMIT say otherwise.
func TestTuneGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
	cfg := config.Default()
	cfg.MemoryHighWatermark = config.MemoryWatermark{Bytes: 1 << 30}

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneGC(cfg)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 1<<30 {
		t.Errorf("memory limit %d, want the watermark %d", got, 1<<30)
	}

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "2GiB")
	if attrs := tuneGC(cfg); len(attrs) != 0 {
		t.Errorf("with GOGC and GOMEMLIMIT set, tuneGC changed %v", attrs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set by the environment was overridden: %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set by the environment was overridden: %d", got)
	}
}
