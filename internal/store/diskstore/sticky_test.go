package diskstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// TestStickyError injects a write or fsync failure and checks that the
// Append that hit it and every later one fail with it in done, that
// Stats().Err reports it, that the error names the queue, and that what
// was confirmed before is still there after a reopen.
func TestStickyError(t *testing.T) {
	for _, op := range []string{segment.OpSync, segment.OpWrite} {
		t.Run(op, func(t *testing.T) {
			cfs := segment.NewCrashFS()
			opts := diskstore.Options{FS: cfs, Logger: quiet}
			s, err := diskstore.Open("/data", opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.Open("orders")
			if err != nil {
				t.Fatal(err)
			}
			for id := uint64(1); id <= 5; id++ {
				if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, 64)}); err != nil {
					t.Fatal(err)
				}
			}
			cfs.FailAfter(op, 1)
			err = appendWait(l, store.Record{Kind: store.Enqueue, ID: 6, Data: body(6, 64)})
			if !errors.Is(err, segment.ErrInjected) || !strings.Contains(err.Error(), `"orders"`) {
				t.Fatalf("append hitting the %s error: %v; want ErrInjected naming the queue", op, err)
			}
			// FailAfter fails one call only: later ones fail because the
			// error is sticky.
			for _, r := range []store.Record{{Kind: store.Enqueue, ID: 7}, {Kind: store.Ack, ID: 1}} {
				if err := appendWait(l, r); !errors.Is(err, segment.ErrInjected) {
					t.Fatalf("append after the %s error: %v; want the same error", op, err)
				}
			}
			if st := l.Stats(); !errors.Is(st.Err, segment.ErrInjected) {
				t.Fatalf("Stats().Err = %v, want ErrInjected", st.Err)
			}
			if err := l.(*diskstore.Log).Err(); !errors.Is(err, segment.ErrInjected) {
				t.Fatalf("Err() = %v, want ErrInjected", err)
			}
			if err := s.Close(); !errors.Is(err, segment.ErrInjected) {
				t.Fatalf("Close = %v, want the sticky error", err)
			}

			s, err = diskstore.Open("/data", opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			l, err = s.Open("orders")
			if err != nil {
				t.Fatal(err)
			}
			ids := replayIDs(t, l)
			if len(ids) < 5 || ids[4] != 5 || ids[0] != 1 {
				t.Fatalf("after reopen: ids %v, want 1..5 (and maybe 6)", ids)
			}
			if st := l.Stats(); st.Err != nil {
				t.Fatalf("reopened log has error %v", st.Err)
			}
		})
	}
}
