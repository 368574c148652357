package segment

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// preallocRecords appends n records of 100 bytes, each waited for, so
// that every flush round is small and rotations happen on known records.
func preallocRecords(t *testing.T, l *Log, from, n int) []rec {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), 7))
	var out []rec
	for i := range n {
		out = append(out, appendSync(t, l, [][]byte{payloadFor(rng, from+i, 100)})...)
	}
	return out
}

// TestPreallocate follows a log with Preallocate through rotations, a
// reopen and a close: every segment after the first is a prepared file
// (renamed into place), sealed segments end at their last record, the
// active one keeps its zeros across a reopen without a WARN, and no
// prepared file is left behind.
func TestPreallocate(t *testing.T) {
	c := NewCrashFS()
	logs := &logCapture{}
	opts := Options{FS: c, SegmentSize: 4096, Sync: SyncAlways, Preallocate: true, testWaitPrepared: true, Logger: logs.logger()}
	l, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	scanAll(t, l)
	recs := preallocRecords(t, l, 0, 200) // 108-byte frames: about 5 segments

	segs := l.Segments()
	if len(segs) < 4 {
		t.Fatalf("%d segments, want at least 4", len(segs))
	}
	if n, want := c.Count(OpRename), len(segs)-1; n != want {
		t.Fatalf("%d prepared files renamed into place, want %d (every segment after the first)", n, want)
	}
	checkFiles := func(when string, segs []SegmentInfo) {
		t.Helper()
		for i, s := range segs {
			data, err := c.ReadFile(segPath(s.Seq))
			if err != nil {
				t.Fatal(err)
			}
			if i < len(segs)-1 {
				if int64(len(data)) != s.Size {
					t.Fatalf("%s: sealed segment %d is %d bytes on disk, its records end at %d", when, s.Seq, len(data), s.Size)
				}
				continue
			}
			if int64(len(data)) != opts.SegmentSize || !isZeros(data[s.Size:]) {
				t.Fatalf("%s: active segment %d is %d bytes (records end at %d), want %d with zeros after the records",
					when, s.Seq, len(data), s.Size, opts.SegmentSize)
			}
		}
	}
	checkFiles("after appends", segs)
	checkDiskBytes(t, c, l, "after appends")
	for _, r := range recs {
		if p, err := l.ReadAt(r.pos); err != nil || string(p) != string(r.payload) {
			t.Fatalf("ReadAt %v: %v", r.pos, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if names, _ := c.ReadDir(testDir); slices.Contains(names, preallocName) {
		t.Fatalf("Close left %s behind: %v", preallocName, names)
	}

	// Reopen: the zeros after the last record are kept, silently, and
	// appends go on over them.
	l2, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), recs)
	if w := logs.entries(t, "WARN"); len(w) != 0 {
		t.Fatalf("reopen logged WARN: %v", w)
	}
	last := segs[len(segs)-1]
	more := preallocRecords(t, l2, len(recs), 3)
	if more[0].pos != (Pos{Seg: last.Seq, Off: uint32(last.Size)}) {
		t.Fatalf("first append after reopen at %v, want right after the last record (%d:%d)", more[0].pos, last.Seq, last.Size)
	}
	checkFiles("after reopen", l2.Segments())
	checkDiskBytes(t, c, l2, "after reopen")
}

// TestPreallocateStrayFileRemoved: a prepared file a crash left behind is
// removed by Open and never read as a segment.
func TestPreallocateStrayFileRemoved(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll(testDir)
	c.WriteFile(filepath.Join(testDir, preallocName), make([]byte, 4096))
	l, err := Open(testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if names, _ := c.ReadDir(testDir); slices.Contains(names, preallocName) {
		t.Fatalf("Open kept %s: %v", preallocName, names)
	}
	if got := scanAll(t, l); len(got) != 0 || len(l.Segments()) != 0 {
		t.Fatalf("stray prepared file read as log data: %d records, %v", len(got), l.Segments())
	}
}

// TestPreallocateTornTailCut: after a crash in a preallocated segment, a
// torn record followed by zeros is not "all zeros": the tail is cut with a
// WARN, so no leftover bytes can later frame as a record.
func TestPreallocateTornTailCut(t *testing.T) {
	c := NewCrashFS()
	logs := &logCapture{}
	opts := Options{FS: c, SegmentSize: 4096, Sync: SyncAlways, Preallocate: true, testWaitPrepared: true, Logger: logs.logger()}
	l, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	scanAll(t, l)
	recs := preallocRecords(t, l, 0, 60)
	segs := l.Segments()
	active := segs[len(segs)-1]
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn write: the first 30 bytes of a frame after the last record,
	// zeros after it. (Its payload must not end in zeros: a record whose
	// missing bytes are zeros anyway is whole, not torn.)
	data, _ := c.ReadFile(segPath(active.Seq))
	torn := frame([]byte("0123456789012345678901234567890123456789"))[:30]
	copy(data[active.Size:], torn)
	c.WriteFile(segPath(active.Seq), data)

	l2, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), recs)
	w := logs.entries(t, "WARN")
	if len(w) != 1 || num(w[0], "offset") != active.Size {
		t.Fatalf("want one WARN cutting at %d, got %v", active.Size, w)
	}
	if after, _ := c.ReadFile(segPath(active.Seq)); int64(len(after)) != active.Size {
		t.Fatalf("segment is %d bytes after the cut, want %d", len(after), active.Size)
	}
}

// TestPreallocateDoesNotHoldRotation: a rotation that comes while the
// preparer is still at work (here: held in its fsync) does not wait for
// it; the new segment is a plain file, and the prepared one serves the
// next rotation.
func TestPreallocateDoesNotHoldRotation(t *testing.T) {
	c := NewCrashFS()
	release := make(chan struct{})
	held := make(chan struct{})
	prepPath := filepath.Join(testDir, preallocName)
	c.OnOp(func(op, name string) error {
		if op == OpSync && name == prepPath {
			select {
			case <-held:
			default:
				close(held)
				<-release
			}
		}
		return nil
	})
	opts := Options{FS: c, SegmentSize: 4096, Sync: SyncAlways, Preallocate: true, Logger: (&logCapture{}).logger()}
	l, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	scanAll(t, l)
	// Fill the first segment past an eighth: the preparer starts and is
	// held; fill it up so that the log rotates while it is held.
	recs := preallocRecords(t, l, 0, 10)
	<-held
	recs = append(recs, preallocRecords(t, l, len(recs), 40)...)
	if n := len(l.Segments()); n < 2 {
		t.Fatalf("%d segments: the log did not rotate while the preparer was held", n)
	}
	if n := c.Count(OpRename); n != 0 {
		t.Fatalf("%d renames while the preparer was held", n)
	}
	close(release)
	// Fill the second segment: its rotation uses the prepared file.
	for c.Count(OpRename) == 0 {
		recs = append(recs, preallocRecords(t, l, len(recs), 1)...)
		if len(recs) > 500 {
			t.Fatal("no prepared file was used after the preparer was released")
		}
	}
	for _, r := range recs {
		if p, err := l.ReadAt(r.pos); err != nil || string(p) != string(r.payload) {
			t.Fatalf("ReadAt %v: %v", r.pos, err)
		}
	}
}

// TestPreallocateOSFS runs rotations on the real file system: the same
// sizes as under CrashFS, seen with os.Stat.
func TestPreallocateOSFS(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 64 << 10, Sync: SyncAlways, Preallocate: true, testWaitPrepared: true, Logger: (&logCapture{}).logger()}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	scanAll(t, l)
	payload := make([]byte, 1000)
	for i := range 300 {
		payload[0] = byte(i)
		appendSync(t, l, [][]byte{payload})
	}
	segs := l.Segments()
	if len(segs) < 4 {
		t.Fatalf("%d segments, want at least 4", len(segs))
	}
	for i, s := range segs {
		fi, err := os.Stat(filepath.Join(dir, segmentName(s.Seq)))
		if err != nil {
			t.Fatal(err)
		}
		want := s.Size
		if i == len(segs)-1 {
			want = opts.SegmentSize
		}
		if fi.Size() != want {
			t.Fatalf("segment %d of %d: %d bytes on disk, want %d", i+1, len(segs), fi.Size(), want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, preallocName)); !os.IsNotExist(err) {
		t.Fatalf("%s after Close: %v", preallocName, err)
	}
}

// BenchmarkAppendSyncAlwaysPrealloc appends 16 KiB records, each waited
// for, while sealed segments are removed as they fill (as a store does
// whose consumers keep up): plain files that grow with every fsync, files
// written with zeros beforehand, and removed segments' files reused.
func BenchmarkAppendSyncAlwaysPrealloc(b *testing.B) {
	for _, mode := range []struct {
		name              string
		prealloc, recycle bool
	}{{"plain", false, false}, {"zeros", true, false}, {"recycled", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			l, err := Open(b.TempDir(), Options{Sync: SyncAlways, SegmentSize: 8 << 20, Preallocate: mode.prealloc, testNoRecycle: !mode.recycle})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if err := l.Scan(func(Pos, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, 16<<10) // a burst of confirms' worth
			ch := make(chan error, 1)
			done := func(err error) { ch <- err }
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := l.Append(payload, done); err != nil {
					b.Fatal(err)
				}
				if err := <-ch; err != nil {
					b.Fatal(err)
				}
				if segs := l.Segments(); len(segs) > 2 {
					if err := l.Remove(segs[0].Seq); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
