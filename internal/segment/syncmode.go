package segment

import "fmt"

// SyncMode says when an appended record counts as done.
type SyncMode int

const (
	// SyncAlways reports a record done after an fsync (fdatasync) covers
	// it: it survives a power cut. Many records share one fsync. The
	// default, and what DESIGN.md promises for confirmed messages.
	SyncAlways SyncMode = iota
	// SyncInterval reports a record done once write(2) has handed it to
	// the OS (it survives a crash of the process, not of the machine) and
	// fsyncs every Options.Interval.
	SyncInterval
	// SyncNone reports a record done after write(2) and fsyncs only when a
	// segment is sealed, on Sync and on Close.
	SyncNone
)

// ParseSyncMode parses the names used in Ferry's configuration: "always",
// "interval" and "none".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "interval":
		return SyncInterval, nil
	case "none":
		return SyncNone, nil
	}
	return 0, fmt.Errorf("segment: unknown sync mode %q (want always, interval or none)", s)
}

// String returns the name ParseSyncMode accepts.
func (m SyncMode) String() string {
	switch m {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}
