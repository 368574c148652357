package segment

import (
	"fmt"
	"log/slog"
	"time"
)

// Options configure a Log. The zero value is usable: OS files, 64 MiB
// segments, SyncAlways.
type Options struct {
	FS          FS            // nil means OSFS
	SegmentSize int64         // rotate when the active segment would exceed this; default 64 MiB
	Sync        SyncMode      // default SyncAlways
	Interval    time.Duration // fsync period for SyncInterval; default 100ms
	// Base is called, under the writer's lock, when a new segment is
	// created; its result is stored in the segment's header and reported by
	// Segments. It must be quick and must not call into the Log. nil means 0.
	Base   func() uint64
	Logger *slog.Logger // nil means slog.Default()
	// OnSync, if not nil, is called on the flusher goroutine after each
	// fsync of a segment's records, with how many records it made durable
	// (0 for one that covered only a header) and how long it took, so that
	// a store can keep fsync stats without this package keeping any. It
	// must be quick: the next group commit waits for it.
	OnSync func(records int, took time.Duration)
	// Preallocate has the log make each next segment's file before it is
	// needed, so that the fsyncs of appends do not also write the file's
	// growing size (prealloc.go says why): it reuses the file of a removed
	// segment (recycle.go), or else writes one in full with zeros. It
	// costs a spare file of about SegmentSize per busy log (two for a
	// moment, when a removed segment's is kept while zeros are written).
	Preallocate bool

	// testTick, if set, replaces the SyncInterval ticker so tests can fire
	// interval fsyncs without waiting.
	testTick <-chan time.Time
	// testWaitPrepared makes a rotation wait for a preparer still at work
	// (prealloc.go), so that tests know which segments are preallocated.
	testWaitPrepared bool
	// testNoRecycle makes Remove delete files even with Preallocate, so
	// that a benchmark can set zero-filled files against reused ones.
	testNoRecycle bool
}

const (
	defaultSegmentSize = 64 << 20
	defaultInterval    = 100 * time.Millisecond
	// maxSegmentSize keeps every offset inside Pos.Off (uint32) even when
	// a segment holds one record bigger than SegmentSize.
	maxSegmentSize = 1 << 31
	minSegmentSize = HeaderSize + FrameHeaderSize
)

// withDefaults fills in defaults and rejects settings that cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.FS == nil {
		o.FS = OSFS
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = defaultSegmentSize
	}
	if o.SegmentSize < minSegmentSize || o.SegmentSize > maxSegmentSize {
		return o, fmt.Errorf("segment: SegmentSize %d out of range [%d, %d]", o.SegmentSize, minSegmentSize, maxSegmentSize)
	}
	switch o.Sync {
	case SyncAlways, SyncInterval, SyncNone:
	default:
		return o, fmt.Errorf("segment: unknown sync mode %d", int(o.Sync))
	}
	if o.Interval == 0 {
		o.Interval = defaultInterval
	}
	if o.Interval < 0 {
		return o, fmt.Errorf("segment: negative Interval %v", o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
