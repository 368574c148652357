package segment

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// confirmations records which records were confirmed, checking each one
// when its done runs: the fsync that covers it must already have happened.
type confirmations struct {
	t  *testing.T
	c  *CrashFS
	wg sync.WaitGroup

	mu   sync.Mutex
	recs []rec // confirmed, in confirmation order
}

// append appends p with a checking done callback.
func (cf *confirmations) append(l *Log, p []byte) error {
	posCh := make(chan Pos, 1) // done may run before Append returns
	cf.wg.Add(1)
	pos, err := l.Append(p, func(err error) {
		defer cf.wg.Done()
		pos := <-posCh
		if err != nil {
			cf.t.Errorf("done %v: %v", pos, err)
			return
		}
		synced, serr := cf.c.SyncedSize(segPath(pos.Seg))
		if end := int64(pos.Off) + FrameHeaderSize + int64(len(p)); serr != nil || synced < end {
			cf.t.Errorf("done(nil) for %v ending at %d, but only %d bytes synced (%v)", pos, end, synced, serr)
		}
		cf.mu.Lock()
		cf.recs = append(cf.recs, rec{pos, p})
		cf.mu.Unlock()
	})
	if err != nil {
		cf.wg.Done() // done is not called when Append fails
		return err
	}
	posCh <- pos
	return nil
}

// TestGroupCommitSharesFsync holds the flusher in its first write while
// 64 goroutines append 1,280 more records: once released, it needs one
// fsync for the first batch and one for all the rest.
func TestGroupCommitSharesFsync(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c, Sync: SyncAlways})
	scanAll(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.OnOp(func(op, _ string) error {
		if op == OpWrite {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	})
	cf := &confirmations{t: t, c: c}
	if err := cf.append(l, []byte("first")); err != nil {
		t.Fatal(err)
	}
	<-entered
	const appenders, each = 64, 20
	var appends sync.WaitGroup
	for g := range appenders {
		appends.Add(1)
		go func() {
			defer appends.Done()
			for i := range each {
				if err := cf.append(l, []byte(fmt.Sprintf("g%d-i%d", g, i))); err != nil {
					t.Errorf("Append: %v", err)
				}
			}
		}()
	}
	appends.Wait()
	close(release)
	cf.wg.Wait()
	records := 1 + appenders*each
	if len(cf.recs) != records {
		t.Fatalf("%d records confirmed, want %d", len(cf.recs), records)
	}
	if syncs := c.Count(OpSync); syncs > 2 {
		t.Fatalf("%d fsyncs for %d records; want 2 (the held batch, then all the rest)", syncs, records)
	}
}

// TestGroupCommitConfirmedAfterFsync runs concurrent appenders that each
// wait for done before appending again, across rotations. Every done(nil)
// must find its record already synced, and after a power cut every
// confirmed record is there.
func TestGroupCommitConfirmedAfterFsync(t *testing.T) {
	c := NewCrashFS()
	opts := Options{FS: c, Sync: SyncAlways, SegmentSize: 8 << 10}
	l := openLog(t, testDir, opts)
	scanAll(t, l)
	cf := &confirmations{t: t, c: c}
	const appenders, each = 32, 40
	var wg sync.WaitGroup
	for g := range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var one sync.WaitGroup
				one.Add(1)
				p := []byte(fmt.Sprintf("appender %d record %d", g, i))
				if err := cf.append(l, p); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				// A second waiter, called after the record's own done (in
				// append order), tells this appender it may go on.
				if _, err := l.Append(nil, func(error) { one.Done() }); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				one.Wait()
			}
		}()
	}
	wg.Wait()
	cf.wg.Wait()
	if t.Failed() {
		return
	}
	if len(cf.recs) != appenders*each {
		t.Fatalf("%d records confirmed, want %d", len(cf.recs), appenders*each)
	}
	if len(l.Segments()) < 2 {
		t.Fatalf("no rotation happened; the test wants some")
	}
	c.Crash()
	l.Close() // fails: its handles died with the "power"
	l2 := openLog(t, testDir, opts)
	got := map[Pos][]byte{}
	for _, r := range scanAll(t, l2) {
		got[r.pos] = r.payload
	}
	for _, r := range cf.recs {
		if !bytes.Equal(got[r.pos], r.payload) {
			t.Fatalf("confirmed record %v lost in the crash", r.pos)
		}
	}
}
