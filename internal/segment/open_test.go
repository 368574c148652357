package segment

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// plant writes files into testDir of a new CrashFS.
func plant(t *testing.T, files map[string][]byte) *CrashFS {
	t.Helper()
	c := NewCrashFS()
	c.MkdirAll(testDir)
	for name, data := range files {
		if err := c.WriteFile(filepath.Join(testDir, name), data); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func seqs(infos []SegmentInfo) []uint64 {
	var out []uint64
	for _, s := range infos {
		out = append(out, s.Seq)
	}
	return out
}

// TestOpenTornCreation: a last segment created but never synced (short, or
// a zeroed header) is removed with a WARN; appends go on in the one before.
func TestOpenTornCreation(t *testing.T) {
	for name, torn := range map[string][]byte{
		"empty":       {},
		"short":       segFile(2, 0)[:20],
		"zero header": make([]byte, HeaderSize+50),
	} {
		t.Run(name, func(t *testing.T) {
			c := plant(t, map[string][]byte{
				segmentName(1): segFile(1, 7, []byte("a")),
				segmentName(2): torn,
			})
			logs := &logCapture{}
			l := openLog(t, testDir, Options{FS: c, Logger: logs.logger()})
			if got := seqs(l.Segments()); !slices.Equal(got, []uint64{1}) {
				t.Fatalf("Segments %v, want [1]", got)
			}
			if names, _ := c.ReadDir(testDir); !slices.Equal(names, []string{segmentName(1)}) {
				t.Fatalf("files %v, want the torn one removed", names)
			}
			warns := logs.entries(t, "WARN")
			if len(warns) != 1 || num(warns[0], "seg") != 2 || num(warns[0], "cut") != int64(len(torn)) {
				t.Fatalf("want one WARN for seg 2 cutting %d bytes, got %v", len(torn), warns)
			}
			recs := appendSync(t, l, [][]byte{[]byte("b")})
			if recs[0].pos.Seg != 1 {
				t.Fatalf("append went to %v, want segment 1", recs[0].pos)
			}
		})
	}
}

// TestOpenBadHeader: a full header that fails its checks is logged at
// ERROR, kept on disk and left out; new segments are numbered above it.
func TestOpenBadHeader(t *testing.T) {
	badCRC := segFile(2, 0, []byte("x"))
	badCRC[9] ^= 1
	for name, bad := range map[string][]byte{
		"bad crc":      badCRC,
		"wrong seq":    segFile(5, 0, []byte("x")), // planted as file 2
		"bad magic":    append([]byte("NOPE"), segFile(2, 0)[4:]...),
		"bad sealed 2": segFile(2, 0), // fine itself; file 3 below is bad
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string][]byte{segmentName(1): segFile(1, 0, []byte("a")), segmentName(2): bad}
			wantSegs, wantNext := []uint64{1}, uint64(3)
			if name == "bad sealed 2" {
				files[segmentName(3)] = badCRC
				wantSegs, wantNext = []uint64{1, 2}, 4
			}
			c := plant(t, files)
			logs := &logCapture{}
			l := openLog(t, testDir, Options{FS: c, Logger: logs.logger()})
			if got := seqs(l.Segments()); !slices.Equal(got, wantSegs) {
				t.Fatalf("Segments %v, want %v", got, wantSegs)
			}
			if errs := logs.entries(t, "ERROR"); len(errs) != 1 {
				t.Fatalf("want one ERROR, got %v", errs)
			}
			if got := scanAll(t, l); len(got) != 1 || string(got[0].payload) != "a" {
				t.Fatalf("scan: %v", got)
			}
			recs := appendSync(t, l, [][]byte{[]byte("b")})
			if recs[0].pos.Seg != wantNext {
				t.Fatalf("append went to %v, want a new segment %d", recs[0].pos, wantNext)
			}
			if names, _ := c.ReadDir(testDir); len(names) != len(files)+1 {
				t.Fatalf("files %v: the bad one must be kept", names)
			}
		})
	}
}

func TestOpenIgnoresOtherFiles(t *testing.T) {
	c := plant(t, map[string][]byte{
		"LOCK": []byte("x"), "0000000000000001.seg.tmp": nil, "000000000000000G.seg": nil,
		segmentName(1): segFile(1, 0, []byte("a")),
	})
	l := openLog(t, testDir, Options{FS: c})
	if got := seqs(l.Segments()); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("Segments %v, want [1]", got)
	}
}

func TestOpenCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	l := openLog(t, dir, Options{})
	appendSync(t, l, [][]byte{[]byte("x")})
	if names, err := OSFS.ReadDir(dir); err != nil || !slices.Equal(names, []string{segmentName(1)}) {
		t.Fatalf("ReadDir: %v %v", names, err)
	}
}

func TestScanOnlyOnce(t *testing.T) {
	l := openLog(t, testDir, Options{FS: NewCrashFS()})
	scanAll(t, l)
	if err := l.Scan(func(Pos, []byte) error { return nil }); err == nil {
		t.Fatal("second Scan succeeded")
	}
	l2 := openLog(t, "/other", Options{FS: NewCrashFS()})
	appendSync(t, l2, [][]byte{[]byte("x")})
	if err := l2.Scan(func(Pos, []byte) error { return nil }); err == nil {
		t.Fatal("Scan after Append succeeded")
	}
}

// TestScanStopsOnFnError: Scan returns fn's error and the log stays
// unscanned, so a later Scan sees every record.
func TestScanStopsOnFnError(t *testing.T) {
	c := plant(t, map[string][]byte{segmentName(1): segFile(1, 0, []byte("a"), []byte("b"))})
	l := openLog(t, testDir, Options{FS: c})
	stop := errors.New("stop")
	if err := l.Scan(func(Pos, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Scan: %v, want fn's error", err)
	}
	if got := scanAll(t, l); len(got) != 2 {
		t.Fatalf("second Scan: %d records, want 2", len(got))
	}
}

func TestCloseIdempotentThenErrClosed(t *testing.T) {
	l := openLog(t, testDir, Options{FS: NewCrashFS()})
	recs := appendSync(t, l, [][]byte{[]byte("x")})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Append(nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Append: %v", err)
	}
	if _, err := l.ReadAt(recs[0].pos); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadAt: %v", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync: %v", err)
	}
	if err := l.Remove(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Remove: %v", err)
	}
	if err := l.Scan(func(Pos, []byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Scan: %v", err)
	}
}

func TestRemove(t *testing.T) {
	c := NewCrashFS()
	opts := Options{FS: c, SegmentSize: 128}
	l := openLog(t, testDir, opts)
	var payloads [][]byte
	for range 6 {
		payloads = append(payloads, make([]byte, 50))
	}
	recs := appendSync(t, l, payloads)
	segs := l.Segments()
	if len(segs) < 3 {
		t.Fatalf("want 3+ segments, got %v", segs)
	}
	if err := l.Remove(segs[len(segs)-1].Seq); err == nil {
		t.Fatal("removed the active segment")
	}
	if err := l.Remove(999); err == nil {
		t.Fatal("removed a segment that does not exist")
	}
	dirSyncs := c.Count(OpSyncDir)
	if err := l.Remove(1); err != nil {
		t.Fatalf("Remove(1): %v", err)
	}
	if c.Count(OpSyncDir) != dirSyncs+1 {
		t.Fatal("Remove did not sync the directory")
	}
	if got := seqs(l.Segments()); got[0] != 2 {
		t.Fatalf("Segments after Remove(1): %v", got)
	}
	if _, err := l.ReadAt(recs[0].pos); err == nil {
		t.Fatal("ReadAt in a removed segment succeeded")
	}
	l.Close()
	c.Crash() // the removal was synced: it stays removed
	l2 := openLog(t, testDir, opts)
	got := scanAll(t, l2)
	if len(got) == 0 || got[0].pos.Seg != 2 {
		t.Fatalf("after reopen: %v", got)
	}
}

// TestRemoveJustSealed removes a segment sealed by an append still in the
// flusher's hands: Remove waits for the seal instead of racing it.
func TestRemoveJustSealed(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c, SegmentSize: 64, Sync: SyncNone})
	scanAll(t, l)
	l.Append(make([]byte, 30), nil) // segment 1
	l.Append(make([]byte, 30), nil) // segment 2: seals 1
	if err := l.Remove(1); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("log failed: %v", err)
	}
}

// TestSyncNoneAndInterval: done comes after write(2), before any fsync;
// Sync, or an interval tick under SyncInterval, makes the data durable.
func TestSyncNoneAndInterval(t *testing.T) {
	for _, mode := range []SyncMode{SyncNone, SyncInterval} {
		t.Run(mode.String(), func(t *testing.T) {
			c := NewCrashFS()
			tick := make(chan time.Time)
			l := openLog(t, testDir, Options{FS: c, Sync: mode, testTick: tick})
			recs := appendSync(t, l, [][]byte{[]byte("hello")})
			end := int64(recs[0].pos.Off) + FrameHeaderSize + 5
			if data, _ := c.ReadFile(segPath(1)); int64(len(data)) != end {
				t.Fatalf("done before the write: file has %d bytes, want %d", len(data), end)
			}
			if n, _ := c.SyncedSize(segPath(1)); n != 0 {
				t.Fatalf("%v fsynced on append (%d bytes synced)", mode, n)
			}
			if mode == SyncInterval {
				tick <- time.Time{}
				tick <- time.Time{} // taken only after the first tick's round ended
			} else if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			if n, _ := c.SyncedSize(segPath(1)); n != end {
				t.Fatalf("after %v: %d bytes synced, want %d", mode, n, end)
			}
		})
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{SegmentSize: 10},
		{SegmentSize: 1 << 40},
		{Sync: SyncMode(7)},
		{Interval: -time.Second},
	} {
		o.FS = NewCrashFS()
		if _, err := Open(testDir, o); err == nil {
			t.Errorf("Open accepted %+v", o)
		}
	}
}

func TestParseSyncMode(t *testing.T) {
	for _, m := range []SyncMode{SyncAlways, SyncInterval, SyncNone} {
		got, err := ParseSyncMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseSyncMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseSyncMode("sometimes"); err == nil {
		t.Error("ParseSyncMode accepted \"sometimes\"")
	}
	if s := SyncMode(9).String(); s != "SyncMode(9)" {
		t.Errorf("String of unknown mode: %q", s)
	}
}
