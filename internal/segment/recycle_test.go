package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestFrameSalt: a version 2 frame checks out only in its own segment. In
// a later one it is an earlier life of a recycled file (errRecycled), as
// is a version 1 frame; in an earlier one, or in a version 1 segment, it
// is plain corruption.
func TestFrameSalt(t *testing.T) {
	payload := []byte("a record")
	check := func(fr []byte, in header) error {
		return checkFrame(fr, fr[FrameHeaderSize:], in.Seq, in.salt())
	}
	v2 := func(seq uint64) header { return header{Seq: seq, Version: 2} }
	cases := []struct {
		name      string
		written   header
		readIn    header
		ok, stale bool
	}{
		{"own segment", v2(9), v2(9), true, false},
		{"earlier segment", v2(3), v2(9), false, true},
		{"version 1 frame", header{Seq: 3, Version: 1}, v2(9), false, true},
		{"later segment", v2(12), v2(9), false, false},
		{"in a version 1 segment", v2(3), header{Seq: 9, Version: 1}, false, false},
		{"version 1 in version 1", header{Seq: 3, Version: 1}, header{Seq: 9, Version: 1}, true, false},
	}
	for _, tc := range cases {
		err := check(frameIn(tc.written, payload), tc.readIn)
		if (err == nil) != tc.ok || errors.Is(err, errRecycled) != tc.stale || (err != nil && !errors.Is(err, ErrCorrupt)) {
			t.Errorf("%s: %v, want ok %v, recycled %v", tc.name, err, tc.ok, tc.stale)
		}
	}
	// Salts differ for every pair of numbers below 2^32 apart; spot-check
	// neighbours and the inverse.
	for seq := uint64(1); seq < 1<<16; seq++ {
		s := v2(seq).salt()
		if s == v2(seq+1).salt() || s*saltInv != uint32(seq) {
			t.Fatalf("salt of %d: %#x (inverse gives %d)", seq, s, s*saltInv)
		}
	}
}

// recycleLog opens a log with Preallocate on c, 4 KiB segments, and
// fills it with n records of 100 bytes.
func recycleLog(t *testing.T, c *CrashFS, logs *logCapture, n int) (*Log, []rec) {
	t.Helper()
	opts := Options{FS: c.Life(), SegmentSize: 4096, Sync: SyncAlways, Preallocate: true, testWaitPrepared: true, Logger: logs.logger()}
	l, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	scanAll(t, l)
	return l, preallocRecords(t, l, 0, n)
}

// dropOldest removes the oldest segment and its records from recs.
func dropOldest(t *testing.T, l *Log, recs []rec) []rec {
	t.Helper()
	seq := l.Segments()[0].Seq
	if err := l.Remove(seq); err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(recs, func(r rec) bool { return r.pos.Seg == seq })
}

// TestRecycle follows a removed segment's file into its next life: Remove
// keeps it under recycleName with its header zeroed, the next rotation
// renames it into place instead of writing a file of zeros, the new
// segment's records read back though old ones lie after them, and a clean
// Close cuts the old bytes so that a reopen finds nothing to cut.
func TestRecycle(t *testing.T) {
	c := NewCrashFS()
	logs := &logCapture{}
	l, recs := recycleLog(t, c, logs, 100) // about 3 segments
	first := l.Segments()[0]
	old, _ := c.ReadFile(segPath(first.Seq))
	recs = dropOldest(t, l, recs)
	names, _ := c.ReadDir(testDir)
	if slices.Contains(names, segmentName(first.Seq)) || !slices.Contains(names, recycleName) {
		t.Fatalf("after Remove: %v, want %s gone and %s kept", names, segmentName(first.Seq), recycleName)
	}
	checkDiskBytes(t, c, l, "with a file kept for reuse")
	kept, _ := c.ReadFile(filepath.Join(testDir, recycleName))
	if !isZeros(kept[:HeaderSize]) || !bytes.Equal(kept[HeaderSize:], old[HeaderSize:]) {
		t.Fatal("the kept file is not the removed segment with its header zeroed")
	}

	// Fill until a segment reuses it (a file of zeros prepared before the
	// Remove may serve one rotation first).
	for names, _ = c.ReadDir(testDir); slices.Contains(names, recycleName); names, _ = c.ReadDir(testDir) {
		recs = append(recs, preallocRecords(t, l, len(recs)+40, 1)...)
		if len(recs) > 400 {
			t.Fatal("the kept file was never reused")
		}
	}
	segs := l.Segments()
	reused := segs[len(segs)-1]
	// A few records into the reused file: shorter than its old life, so
	// old records lie right after them.
	recs = append(recs, preallocRecords(t, l, 1000, 3)...)
	data, _ := c.ReadFile(segPath(reused.Seq))
	if end := l.Segments()[len(segs)-1].Size; int64(len(data)) <= end || isZeros(data[end:]) {
		t.Fatalf("reused segment: %d bytes, records end at %d; want the old life's bytes after them", len(data), end)
	}
	for _, r := range recs {
		if p, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(p, r.payload) {
			t.Fatalf("ReadAt %v: %v", r.pos, err)
		}
	}
	checkDiskBytes(t, c, l, "in a reused segment")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	end := l.Segments()[len(segs)-1].Size
	if data, _ := c.ReadFile(segPath(reused.Seq)); int64(len(data)) != end {
		t.Fatalf("after Close the reused segment is %d bytes, want %d (cut at its last record)", len(data), end)
	}

	logs2 := &logCapture{}
	l2, err := Open(testDir, Options{FS: c.Life(), SegmentSize: 4096, Preallocate: true, Logger: logs2.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), recs)
	if w, d := logs2.entries(t, "WARN"), recycledCuts(t, logs2); len(w) != 0 || d != 0 {
		t.Fatalf("reopen after a clean Close cut something: %v, %d quiet cuts", w, d)
	}
	checkDiskBytes(t, c, l2, "after a reopen")
}

// checkDiskBytes fails the test unless l.DiskBytes is the size of every
// file in testDir. The log must be idle: a preparer still writing zeros
// is waited for (the flusher, idle, does not touch its fields meanwhile).
func checkDiskBytes(t *testing.T, c *CrashFS, l *Log, when string) {
	t.Helper()
	l.collect(true)
	names, _ := c.ReadDir(testDir)
	var want int64
	for _, name := range names {
		data, _ := c.ReadFile(filepath.Join(testDir, name))
		want += int64(len(data))
	}
	if got := l.DiskBytes(); got != want {
		t.Fatalf("%s: DiskBytes %d, files %v hold %d", when, got, names, want)
	}
}

// recycledCuts counts the DEBUG entries of cutting a recycled file's old
// life.
func recycledCuts(t *testing.T, logs *logCapture) int {
	n := 0
	for _, e := range logs.entries(t, "DEBUG") {
		if msg, _ := e["msg"].(string); strings.Contains(msg, "recycled") {
			n++
		}
	}
	return n
}

// TestRecycleCrash cuts the power while the active segment is a reused
// file with old records after the new ones: the reboot returns exactly the
// records appended (each was confirmed), never an old one, and cuts the
// old life without a WARN.
func TestRecycleCrash(t *testing.T) {
	for _, torn := range []bool{false, true} {
		c := NewCrashFS()
		l, recs := recycleLog(t, c, &logCapture{}, 100)
		recs = dropOldest(t, l, recs)
		for names, _ := c.ReadDir(testDir); slices.Contains(names, recycleName); names, _ = c.ReadDir(testDir) {
			recs = append(recs, preallocRecords(t, l, len(recs)+40, 1)...)
		}
		recs = append(recs, preallocRecords(t, l, 1000, 2)...)
		if torn {
			c.CrashTorn(rand.New(rand.NewPCG(7, 7)))
		} else {
			c.Crash()
		}
		l.Close()

		logs := &logCapture{}
		l2, err := Open(testDir, Options{FS: c.Life(), SegmentSize: 4096, Preallocate: true, Logger: logs.logger()})
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, scanAll(t, l2), recs)
		if w, d := logs.entries(t, "WARN"), recycledCuts(t, logs); len(w) != 0 || d != 1 {
			t.Fatalf("torn %v: reopen logged %v and %d quiet cuts; want no WARN and one quiet cut", torn, w, d)
		}
		more := preallocRecords(t, l2, 2000, 3)
		l2.Close()
		l3, err := Open(testDir, Options{FS: c.Life(), SegmentSize: 4096, Preallocate: true, Logger: (&logCapture{}).logger()})
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, scanAll(t, l3), append(recs, more...))
		l3.Close()
	}
}

// TestRecycleTornRename cuts the power after a reused file was renamed
// into place and the directory synced, before the first fsync of the new
// segment: its header is the zeros written before reuse, so Open removes
// it as a torn creation, and none of its old records come back.
func TestRecycleTornRename(t *testing.T) {
	c := NewCrashFS()
	l, recs := recycleLog(t, c, &logCapture{}, 100)
	recs = dropOldest(t, l, recs)
	var renamed bool
	c.OnOp(func(op, name string) error {
		switch {
		case op == OpRename && name == filepath.Join(testDir, recycleName):
			renamed = true
		case renamed && op == OpSync:
			c.Crash() // the new segment's first fsync never happens
		}
		return nil
	})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; !renamed && i < 400; i++ {
		p := payloadFor(rng, len(recs), 100)
		pos, err := l.Append(p, nil)
		if err != nil {
			break
		}
		if l.Sync() == nil {
			recs = append(recs, rec{pos: pos, payload: p})
		}
	}
	l.Close()
	c.OnOp(nil)
	if !renamed {
		t.Fatal("the kept file was never reused")
	}

	logs := &logCapture{}
	l2, err := Open(testDir, Options{FS: c.Life(), SegmentSize: 4096, Preallocate: true, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), recs)
	w := logs.entries(t, "WARN")
	if len(w) != 1 || !strings.Contains(w[0]["msg"].(string), "never synced") {
		t.Fatalf("want one WARN removing the torn creation, got %v", w)
	}
}

// TestRecycleConcurrentRemoves removes segments from two goroutines while
// a third appends across rotations: one file at a time is kept for reuse
// (the rest are deleted), no two share its name, and a reopen finds
// exactly the records of the segments not removed.
func TestRecycleConcurrentRemoves(t *testing.T) {
	c := NewCrashFS()
	l, recs := recycleLog(t, c, &logCapture{}, 400) // about 11 segments
	segs := l.Segments()
	victims := segs[:len(segs)-2]
	removed := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, len(victims))
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(victims); i += 2 {
				errs <- l.Remove(victims[i].Seq)
			}
		}()
	}
	more := preallocRecords(t, l, 5000, 200)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range victims {
		removed[s.Seq] = true
	}
	want := append(slices.DeleteFunc(recs, func(r rec) bool { return removed[r.pos.Seg] }), more...)
	for _, r := range want {
		if p, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(p, r.payload) {
			t.Fatalf("ReadAt %v: %v", r.pos, err)
		}
	}
	checkDiskBytes(t, c, l, "after the removes")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	logs := &logCapture{}
	l2, err := Open(testDir, Options{FS: c.Life(), SegmentSize: 4096, Preallocate: true, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), want)
	if w := append(logs.entries(t, "WARN"), logs.entries(t, "ERROR")...); len(w) != 0 {
		t.Fatalf("reopen logged %v", w)
	}
}

// TestSaltAvoidsZeroAndEmptyCRC: the segment numbers whose salt would be
// 0 or the CRC of an empty record get another, so that no frame of
// theirs is all zeros (zeros must end the data, never read as records).
func TestSaltAvoidsZeroAndEmptyCRC(t *testing.T) {
	if frameCRC(nil) != emptyFrameCRC {
		t.Fatalf("emptyFrameCRC %#x, frameCRC(nil) %#x", emptyFrameCRC, frameCRC(nil))
	}
	empty := uint32(emptyFrameCRC)
	for _, low := range []uint32{0, empty * saltInv} {
		h := header{Seq: 5<<32 | uint64(low), Version: 2}
		if s := h.salt(); s == 0 || s == emptyFrameCRC {
			t.Fatalf("segment %#x: salt %#x", h.Seq, s)
		}
		if fr := frameIn(h, nil); isZeros(fr) {
			t.Fatalf("segment %#x: an empty record is stored as zeros", h.Seq)
		}
	}
}

// TestCloseWaitsForRemove: a Remove that is preparing a file for reuse
// when Close begins finishes before Close returns, so that the closed log
// never touches the directory again (a log opened on it next could have
// its spare file replaced).
func TestCloseWaitsForRemove(t *testing.T) {
	c := NewCrashFS()
	l, _ := recycleLog(t, c, &logCapture{}, 100)
	first := segPath(l.Segments()[0].Seq)
	entered, release := make(chan struct{}), make(chan struct{})
	c.OnOp(func(op, name string) error {
		if op == OpRename && name == first {
			close(entered)
			<-release
		}
		return nil
	})
	var order atomic.Int32
	var removedAt, closedAt int32
	removed := make(chan error, 1)
	go func() {
		err := l.Remove(l.Segments()[0].Seq)
		removedAt = order.Add(1)
		removed <- err
	}()
	<-entered
	closed := make(chan error, 1)
	go func() {
		err := l.Close()
		closedAt = order.Add(1)
		closed <- err
	}()
	for {
		if _, err := l.Append([]byte("x"), nil); errors.Is(err, ErrClosed) {
			break // Close has begun
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	c.OnOp(nil)
	if closedAt < removedAt {
		t.Fatal("Close returned while a Remove was still at work on the directory")
	}
	if names, _ := c.ReadDir(testDir); slices.Contains(names, recycleName) {
		t.Fatalf("the file kept for reuse outlived Close: %v", names)
	}
}
