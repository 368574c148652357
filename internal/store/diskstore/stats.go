package diskstore

import (
	"time"

	"github.com/ferrymq/ferry/internal/hist"
)

// FsyncTimeLayout is the buckets of Stats.FsyncTime, in nanoseconds:
// 10µs doubling 20 times to about 5.2s, from a battery-backed cache to a
// disk in trouble.
var FsyncTimeLayout = hist.Layout{Base: int64(10 * time.Microsecond), N: 20}

// FsyncRecordsLayout is the buckets of Stats.FsyncRecords: 1, 2, 4, …
// 65536 records per fsync.
var FsyncRecordsLayout = hist.Layout{Base: 1, N: 17}

// Stats is the store as a whole, for admin's /metrics and overview.
type Stats struct {
	Bytes    int64 // on disk, over the open logs' segments, live or not
	Segments int   // segment files of the open logs
	Logs     int   // open logs
	// FsyncTime is how long each fsync of a segment took, and
	// FsyncRecords how many records it made durable (group commit: many
	// per fsync under load), over every log since Open.
	FsyncTime    hist.Counts
	FsyncRecords hist.Counts
	// Err is the first sticky error of an open log (by name order, so it
	// is stable between calls), nil while every log is healthy.
	Err error
}

// Stats sums the open logs. Every durable queue's log is open while the
// broker runs, so this is the whole store.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	logs := make([]*Log, 0, len(s.logs))
	for _, l := range s.logs {
		logs = append(logs, l)
	}
	s.mu.Unlock()
	st := Stats{Logs: len(logs), FsyncTime: s.fsyncTime.Snapshot(), FsyncRecords: s.fsyncRecords.Snapshot()}
	var errName string
	for _, l := range logs {
		ls := l.Stats()
		st.Bytes += ls.DiskBytes
		st.Segments += ls.Segments
		if ls.Err != nil && (st.Err == nil || l.name < errName) {
			st.Err, errName = ls.Err, l.name
		}
	}
	return st
}

// observeSync is every log's segment.Options.OnSync.
func (s *Store) observeSync(records int, took time.Duration) {
	s.fsyncTime.Observe(int64(took))
	s.fsyncRecords.Observe(int64(records))
}
