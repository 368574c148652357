package segment

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// syncLog records Options.OnSync calls.
type syncLog struct {
	mu    sync.Mutex
	batch []int // records per fsync, in order
}

func (s *syncLog) onSync(records int, took time.Duration) {
	if took < 0 {
		panic("negative fsync duration")
	}
	s.mu.Lock()
	s.batch = append(s.batch, records)
	s.mu.Unlock()
}

func (s *syncLog) take() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batch
	s.batch = nil
	return b
}

// TestOnSyncCountsRecordsPerFsync holds the flusher in its first write
// while 10 more records are appended: the first fsync covers 1 record,
// the second the 10 that waited.
func TestOnSyncCountsRecordsPerFsync(t *testing.T) {
	c := NewCrashFS()
	var sl syncLog
	l := openLog(t, testDir, Options{FS: c, Sync: SyncAlways, OnSync: sl.onSync})
	scanAll(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.OnOp(func(op, _ string) error {
		if op == OpWrite {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	})
	var wg sync.WaitGroup
	appendOne := func(p string) {
		wg.Add(1)
		if _, err := l.Append([]byte(p), func(err error) {
			defer wg.Done()
			if err != nil {
				t.Errorf("done %s: %v", p, err)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	appendOne("first")
	<-entered
	for i := range 10 {
		appendOne(fmt.Sprint("r", i))
	}
	close(release)
	wg.Wait()
	got := sl.take()
	if len(got) != 2 || got[0] != 1 || got[1] != 10 {
		t.Fatalf("records per fsync = %v, want [1 10]", got)
	}
}

// TestOnSyncAcrossSegments: when a batch spans segments, each segment's
// fsync reports its own records, and together they are every record.
func TestOnSyncAcrossSegments(t *testing.T) {
	c := NewCrashFS()
	var sl syncLog
	// Each 100-byte record fills most of a segment: one record each.
	l := openLog(t, testDir, Options{FS: c, Sync: SyncAlways, SegmentSize: HeaderSize + FrameHeaderSize + 100, OnSync: sl.onSync})
	scanAll(t, l)
	const n = 5
	for i := range n {
		errc := make(chan error, 1)
		if _, err := l.Append(make([]byte, 100), func(err error) { errc <- err }); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	got := sl.take()
	if len(got) != n {
		t.Fatalf("fsyncs reported = %v, want %d of 1 record", got, n)
	}
	for i, r := range got {
		if r != 1 {
			t.Errorf("fsync %d covered %d records, want 1", i, r)
		}
	}
}
