package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestRoundTrip appends records of random sizes across many rotations,
// reads each back at once (often still buffered), after a Sync, and after
// a close and reopen, where Scan must give exactly the same records.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) (FS, string)
	}{
		{"crashfs", func(t *testing.T) (FS, string) { return NewCrashFS(), testDir }},
		{"osfs", func(t *testing.T) (FS, string) { return OSFS, t.TempDir() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fs(t)
			rng := rand.New(rand.NewPCG(1, 2))
			appended := 0
			opts := Options{FS: fsys, SegmentSize: 4096, Base: func() uint64 { return uint64(appended) }}
			l := openLog(t, dir, opts)
			if got := scanAll(t, l); len(got) != 0 {
				t.Fatalf("new log scanned %d records", len(got))
			}
			var want []rec
			for i := range 400 {
				n := rng.IntN(1500)
				switch i {
				case 7:
					n = 0 // empty payloads are records too
				case 100:
					n = 9000 // bigger than a segment: gets one to itself
				}
				p := payloadFor(rng, i, n)
				pos, err := l.Append(p, nil)
				if err != nil {
					t.Fatalf("Append %d: %v", i, err)
				}
				appended++
				if got, err := l.ReadAt(pos); err != nil || !bytes.Equal(got, p) {
					t.Fatalf("ReadAt %v right after Append: %d bytes, %v", pos, len(got), err)
				}
				want = append(want, rec{pos, p})
			}
			if err := l.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			for _, r := range want {
				if got, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(got, r.payload) {
					t.Fatalf("ReadAt %v after Sync: %v", r.pos, err)
				}
			}
			segs := l.Segments()
			if len(segs) < 10 {
				t.Fatalf("%d segments, want rotations with SegmentSize 4096", len(segs))
			}
			checkBases(t, segs, want)
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			l2 := openLog(t, dir, opts)
			if got := l2.Segments(); !equalInfos(got, segs) {
				t.Fatalf("Segments after reopen:\n got %v\nwant %v", got, segs)
			}
			sameRecords(t, scanAll(t, l2), want)
			for _, r := range want {
				if got, err := l2.ReadAt(r.pos); err != nil || !bytes.Equal(got, r.payload) {
					t.Fatalf("ReadAt %v after reopen: %v", r.pos, err)
				}
			}
			// Appends continue where the last segment ended.
			last := segs[len(segs)-1]
			pos, err := l2.Append([]byte("after reopen"), nil)
			if err != nil {
				t.Fatalf("Append after reopen: %v", err)
			}
			if pos.Seg == last.Seq && int64(pos.Off) != last.Size || pos.Seg != last.Seq && pos.Seg != last.Seq+1 {
				t.Fatalf("Append after reopen at %v; last segment was %+v", pos, last)
			}
		})
	}
}

// checkBases checks that each segment's Base is the index of its first
// record, as the test's Base function returns.
func checkBases(t *testing.T, segs []SegmentInfo, recs []rec) {
	t.Helper()
	first := map[uint64]int{}
	for i, r := range recs {
		if _, ok := first[r.pos.Seg]; !ok {
			first[r.pos.Seg] = i
		}
	}
	for _, s := range segs {
		if i, ok := first[s.Seq]; !ok || uint64(i) != s.Base {
			t.Fatalf("segment %d: Base %d, first record index %d (found %v)", s.Seq, s.Base, i, ok)
		}
	}
}

func equalInfos(a, b []SegmentInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadAtBeforeWrite holds the flusher inside its first write and reads
// records that are in its batch and in the pending one.
func TestReadAtBeforeWrite(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c})
	scanAll(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.OnOp(func(op, _ string) error {
		if op == OpWrite {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	})
	var dones sync.WaitGroup
	var mu sync.Mutex
	doneCount := 0
	done := func(err error) {
		mu.Lock()
		doneCount++
		mu.Unlock()
		if err != nil {
			t.Errorf("done: %v", err)
		}
		dones.Done()
	}
	var want []rec
	for i := range 10 {
		p := bytes.Repeat([]byte{byte('a' + i)}, 100*i)
		dones.Add(1)
		pos, err := l.Append(p, done)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{pos, p})
		if i == 0 {
			<-entered // record 0 is now in the flushing batch
		}
	}
	for _, r := range want {
		if got, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(got, r.payload) {
			t.Fatalf("ReadAt %v while unwritten: %d bytes, %v", r.pos, len(got), err)
		}
	}
	mu.Lock()
	if doneCount != 0 {
		t.Fatalf("%d done callbacks ran before anything was written", doneCount)
	}
	mu.Unlock()
	if n, _ := c.ReadFile(segPath(1)); len(n) != 0 {
		t.Fatalf("segment file has %d bytes while the flusher is held", len(n))
	}
	close(release)
	dones.Wait()
	for _, r := range want {
		if got, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(got, r.payload) {
			t.Fatalf("ReadAt %v after write: %v", r.pos, err)
		}
	}
}

func TestAppendTooLarge(t *testing.T) {
	l := openLog(t, testDir, Options{FS: NewCrashFS()})
	called := false
	_, err := l.Append(make([]byte, MaxRecordSize+1), func(error) { called = true })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append of MaxRecordSize+1 bytes: %v, want ErrTooLarge", err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Fatal("done was called for a refused record")
	}
	if l.Err() != nil {
		t.Fatalf("a refused record made the log fail: %v", l.Err())
	}
}

func TestReadAtBadPositions(t *testing.T) {
	l := openLog(t, testDir, Options{FS: NewCrashFS()})
	recs := appendSync(t, l, [][]byte{[]byte("one"), []byte("two")})
	for _, pos := range []Pos{
		{},                                 // zero Pos: never valid
		{Seg: 2, Off: HeaderSize},          // no such segment
		{Seg: 1, Off: 3},                   // inside the header
		{Seg: 1, Off: recs[1].pos.Off + 1}, // not a frame start
		{Seg: 1, Off: 1 << 20},             // past the end
	} {
		if p, err := l.ReadAt(pos); err == nil {
			t.Errorf("ReadAt %v = %q, want an error", pos, p)
		}
	}
}

// TestReadAtAroundReadAhead reads records whose payloads end just inside,
// exactly at and just past what ReadAt takes in its first read, from the
// file (after Sync), last in their segment and not.
func TestReadAtAroundReadAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := openLog(t, t.TempDir(), Options{FS: OSFS, SegmentSize: 1 << 20})
	var want []rec
	for i, n := range []int{readAhead - 1, readAhead, readAhead + 1, 3 * readAhead, 10, readAhead + 1} {
		p := payloadFor(rng, i, n)
		pos, err := l.Append(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{pos, p})
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if got, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(got, r.payload) {
			t.Fatalf("ReadAt %v: %d bytes, %v", r, len(got), err)
		}
	}
}
