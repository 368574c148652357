package loadgen

import (
	"os"
	"runtime/debug"
)

// loadGCPercent is the garbage collector's target while a run goes on,
// unless GOGC says otherwise. The tool's live heap is a few megabytes
// (ledgers, histograms, buffers), so at Go's default of 100 it collected
// many times a second and spent a tenth of its CPU marking, on the same
// cores as the broker it measures. Four times the default trades some
// tens of megabytes for most of that.
const loadGCPercent = 400

// tuneGC sets loadGCPercent for a run and returns what puts the setting
// back. With GOGC set, the user's choice stands.
func tuneGC() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(loadGCPercent)
	return func() { debug.SetGCPercent(old) }
}
