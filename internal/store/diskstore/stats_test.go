package diskstore_test

import (
	"errors"
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// TestStoreStats: the store sums its logs' segments and bytes, counts
// every fsync with the records it covered, and reports a log's sticky
// error.
func TestStoreStats(t *testing.T) {
	cfs := segment.NewCrashFS()
	s, err := diskstore.Open("/data", diskstore.Options{FS: cfs, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Stats(); st.Logs != 0 || st.Segments != 0 || st.Bytes != 0 || st.FsyncRecords.Count != 0 || st.Err != nil {
		t.Fatalf("empty store: %+v", st)
	}
	var want int64
	for _, c := range []struct {
		name string
		n    int
	}{{"a", 3}, {"b", 2}} {
		l, err := s.Open(c.name)
		if err != nil {
			t.Fatal(err)
		}
		for id := 1; id <= c.n; id++ {
			// One at a time: each append is its own group commit.
			if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: uint64(id), Data: body(uint64(id), 64)}); err != nil {
				t.Fatal(err)
			}
		}
		want += l.Stats().DiskBytes
	}
	st := s.Stats()
	if st.Logs != 2 || st.Segments != 2 || st.Bytes != want || st.Bytes <= 5*64 {
		t.Errorf("logs %d segments %d bytes %d; want 2, 2 and %d (> 320)", st.Logs, st.Segments, st.Bytes, want)
	}
	if r := st.FsyncRecords; r.Count != 5 || r.Sum != 5 || r.Buckets[0] != 5 || r.Layout != diskstore.FsyncRecordsLayout {
		t.Errorf("records per fsync: count %d sum %d bucket[≤1] %d; want 5, 5, 5", r.Count, r.Sum, r.Buckets[0])
	}
	if d := st.FsyncTime; d.Count != 5 || d.Layout != diskstore.FsyncTimeLayout {
		t.Errorf("fsync durations counted %d, want 5", d.Count)
	}

	cfs.FailAfter(segment.OpSync, 1)
	l, _ := s.Open("b")
	if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: 3, Data: body(3, 64)}); !errors.Is(err, segment.ErrInjected) {
		t.Fatalf("append on a failing disk: %v", err)
	}
	if st := s.Stats(); !errors.Is(st.Err, segment.ErrInjected) || st.FsyncRecords.Count != 5 {
		t.Errorf("after a failed fsync: Err %v, fsyncs %d; want ErrInjected and still 5", st.Err, st.FsyncRecords.Count)
	}
}
