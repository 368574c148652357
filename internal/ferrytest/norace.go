//go:build !race

package ferrytest

// RaceEnabled reports whether this binary was built with -race.
const RaceEnabled = false
