package segment

import (
	"bytes"
	"errors"
	"testing"
)

// corruptFixture is a one-segment log on disk and where its records start.
type corruptFixture struct {
	file   []byte // the segment file
	recs   []rec
	starts []int64 // frame offset of each record, then the file size
}

func newCorruptFixture(t *testing.T) corruptFixture {
	t.Helper()
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c})
	var payloads [][]byte
	for i, n := range []int{10, 0, 200, 33, 1, 120, 7, 64} {
		payloads = append(payloads, bytes.Repeat([]byte{byte(i + 1)}, n))
	}
	recs := appendSync(t, l, payloads)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := c.ReadFile(segPath(1))
	if err != nil {
		t.Fatal(err)
	}
	f := corruptFixture{file: file, recs: recs}
	for _, r := range recs {
		f.starts = append(f.starts, int64(r.pos.Off))
	}
	f.starts = append(f.starts, int64(len(file)))
	return f
}

// recordAt returns the index of the record whose frame holds byte p.
func (f corruptFixture) recordAt(p int64) int {
	for i := range f.recs {
		if p < f.starts[i+1] {
			return i
		}
	}
	return len(f.recs)
}

// reopenDamaged opens a log whose only segment is file and scans it.
func reopenDamaged(t *testing.T, file []byte) (*CrashFS, *logCapture, []rec) {
	t.Helper()
	c := NewCrashFS()
	c.MkdirAll(testDir)
	if err := c.WriteFile(segPath(1), file); err != nil {
		t.Fatal(err)
	}
	logs := &logCapture{}
	l := openLog(t, testDir, Options{FS: c, Logger: logs.logger()})
	got := scanAll(t, l)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return c, logs, got
}

// checkCut checks that the last segment was cut back to end, that exactly
// one WARN said so (or none, if nothing was cut), and that nothing worse was
// logged.
func checkCut(t *testing.T, c *CrashFS, logs *logCapture, end, size int64) {
	t.Helper()
	after, _ := c.ReadFile(segPath(1))
	if int64(len(after)) != end {
		t.Fatalf("file is %d bytes after the scan, want it cut to %d", len(after), end)
	}
	if synced, _ := c.SyncedSize(segPath(1)); synced != end {
		t.Fatalf("cut not synced: %d durable bytes, want %d", synced, end)
	}
	warns := logs.entries(t, "WARN")
	if end == size {
		if len(warns) != 0 {
			t.Fatalf("nothing to cut, but logged %v", warns)
		}
		return
	}
	if len(warns) != 1 || num(warns[0], "seg") != 1 || num(warns[0], "offset") != end || num(warns[0], "cut") != size-end {
		t.Fatalf("want one WARN with seg=1 offset=%d cut=%d, got %v", end, size-end, warns)
	}
	if errs := logs.entries(t, "ERROR"); len(errs) != 0 {
		t.Fatalf("a torn tail is not an ERROR: %v", errs)
	}
}

// TestCorruptBitFlip flips one bit at every byte of the last three
// records of the last segment: Scan returns exactly the records before the
// damaged one, and the file is cut there.
func TestCorruptBitFlip(t *testing.T) {
	f := newCorruptFixture(t)
	size := int64(len(f.file))
	for p := f.starts[len(f.recs)-3]; p < size; p++ {
		damaged := bytes.Clone(f.file)
		damaged[p] ^= 1 << (p % 8)
		c, logs, got := reopenDamaged(t, damaged)
		k := f.recordAt(p)
		sameRecords(t, got, f.recs[:k])
		checkCut(t, c, logs, f.starts[k], size)
		if t.Failed() {
			t.Fatalf("flip at byte %d", p)
		}
	}
}

// TestCorruptTruncate cuts the last segment at every byte of its last
// three records.
func TestCorruptTruncate(t *testing.T) {
	f := newCorruptFixture(t)
	for p := f.starts[len(f.recs)-3]; p <= int64(len(f.file)); p++ {
		c, logs, got := reopenDamaged(t, f.file[:p])
		k := f.recordAt(p) // the record cut short, or len if none
		if k < len(f.recs) && p == f.starts[k] {
			// Cut on a frame boundary: nothing torn, nothing logged.
			sameRecords(t, got, f.recs[:k])
			checkCut(t, c, logs, p, p)
			continue
		}
		sameRecords(t, got, f.recs[:k])
		checkCut(t, c, logs, f.starts[k], p)
	}
}

// TestCorruptTailThenAppend checks that appends after a cut tail land
// where the cut was, and survive a reopen.
func TestCorruptTailThenAppend(t *testing.T) {
	f := newCorruptFixture(t)
	c := NewCrashFS()
	c.MkdirAll(testDir)
	c.WriteFile(segPath(1), append(bytes.Clone(f.file), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) // zero fill
	l := openLog(t, testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	// No Scan: Append scans implicitly.
	more := appendSync(t, l, [][]byte{[]byte("after the cut")})
	if want := (Pos{Seg: 1, Off: uint32(len(f.file))}); more[0].pos != want {
		t.Fatalf("Append after cut at %v, want %v", more[0].pos, want)
	}
	l.Close()
	l2 := openLog(t, testDir, Options{FS: c})
	sameRecords(t, scanAll(t, l2), append(f.recs[:len(f.recs):len(f.recs)], more...))
}

// TestCorruptSealedSegment damages a sealed segment, by a bit flip and by
// truncation: its records before the damage are read, the rest of it is
// skipped and kept, an ERROR is logged, and later segments still read.
func TestCorruptSealedSegment(t *testing.T) {
	for _, damage := range []string{"flip", "truncate"} {
		t.Run(damage, func(t *testing.T) {
			c := NewCrashFS()
			opts := Options{FS: c, SegmentSize: 256}
			l := openLog(t, testDir, opts)
			var payloads [][]byte
			for i := range 20 {
				payloads = append(payloads, bytes.Repeat([]byte{byte(i)}, 40))
			}
			recs := appendSync(t, l, payloads)
			l.Close()
			var inSeg1 []rec
			for _, r := range recs {
				if r.pos.Seg == 1 {
					inSeg1 = append(inSeg1, r)
				}
			}
			if len(inSeg1) < 3 || recs[len(recs)-1].pos.Seg < 3 {
				t.Fatalf("fixture: want 3+ records in segment 1 and 3+ segments, got %v", recs)
			}
			file, _ := c.ReadFile(segPath(1))
			bad := inSeg1[1] // damage the second record
			switch damage {
			case "flip":
				file[int(bad.pos.Off)+FrameHeaderSize+5] ^= 0x10
			case "truncate":
				file = file[:int(bad.pos.Off)+FrameHeaderSize+5]
			}
			c.WriteFile(segPath(1), file)

			logs := &logCapture{}
			opts.Logger = logs.logger()
			l2 := openLog(t, testDir, opts)
			var want []rec
			for _, r := range recs {
				if r.pos.Seg != 1 || r.pos.Off < bad.pos.Off {
					want = append(want, r)
				}
			}
			sameRecords(t, scanAll(t, l2), want)
			if after, _ := c.ReadFile(segPath(1)); !bytes.Equal(after, file) {
				t.Fatalf("sealed segment changed by the scan: %d bytes, was %d", len(after), len(file))
			}
			errs := logs.entries(t, "ERROR")
			if len(errs) != 1 || num(errs[0], "seg") != 1 || num(errs[0], "offset") != int64(bad.pos.Off) {
				t.Fatalf("want one ERROR for seg 1 at offset %d, got %v", bad.pos.Off, errs)
			}
			if warns := logs.entries(t, "WARN"); len(warns) != 0 {
				t.Fatalf("unexpected WARN: %v", warns)
			}
			if _, err := l2.ReadAt(bad.pos); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReadAt of the damaged record: %v, want ErrCorrupt", err)
			}
			appendSync(t, l2, [][]byte{[]byte("still appendable")})
		})
	}
}
