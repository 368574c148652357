package diskstore_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/storetest"
)

// quiet discards the logs of tests that do not look at them.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness runs the suite on stores made with opts; fsys, if not nil,
// makes a fresh FS for each store (and keeps it across restarts).
func harness(opts diskstore.Options, fsys func() segment.FS) storetest.Harness {
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	optsOf := map[store.Store]diskstore.Options{}
	return storetest.Harness{
		New: func(t *testing.T) store.Store {
			o := opts
			if fsys != nil {
				o.FS = fsys()
			}
			s, err := diskstore.Open(t.TempDir(), o)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			optsOf[s] = o
			return s
		},
		Restart: func(t *testing.T, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			o := optsOf[s]
			n, err := diskstore.Open(s.(*diskstore.Store).Dir(), o)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			optsOf[n] = o
			return n
		},
		Settle: func(t *testing.T, l store.Log) {
			if err := l.(*diskstore.Log).Compact(); err != nil {
				t.Fatalf("Compact: %v", err)
			}
		},
	}
}

// TestConformance runs the store suite on the disk engine: on real files
// with sync=always and small segments, and on CrashFS with tiny segments
// so that rotation, deletion and compaction happen all the time.
func TestConformance(t *testing.T) {
	t.Run("os-always-16k", func(t *testing.T) {
		storetest.Run(t, harness(diskstore.Options{SegmentSize: 16 << 10}, nil))
	})
	t.Run("crashfs-none-4k", func(t *testing.T) {
		storetest.Run(t, harness(diskstore.Options{SegmentSize: 4 << 10, Sync: segment.SyncNone},
			func() segment.FS { return segment.NewCrashFS() }))
	})
}
