package segment

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzScan puts arbitrary bytes after a valid version 1 header (frames
// without salt, as Ferry wrote them before recycling) and opens the log.
// Scan must not panic, must return only records whose frames check out,
// and what it returns must re-encode to exactly the bytes the file is cut
// to (or keeps, when only zeros follow: preallocated space). The log must
// then append and reopen cleanly. The seed corpus is in
// testdata/fuzz/FuzzScan.
func FuzzScan(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) { checkScan(t, 1, 1, body) })
}

// FuzzScanRecycled does the same in a version 2 segment, number 9, whose
// frames are salted: seeds in testdata/fuzz/FuzzScanRecycled hold its own
// records followed by those of earlier segments (a recycled file), of a
// later one, of version 1, torn and zero-filled tails. Records of another
// segment are never returned; a cut that starts at an earlier segment's
// record is logged at DEBUG, any other cut at WARN.
func FuzzScanRecycled(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) { checkScan(t, 2, 9, body) })
}

// checkScan is the body of FuzzScan and FuzzScanRecycled: segment seq in
// format version v, its header followed by body.
func checkScan(t *testing.T, v uint32, seq uint64, body []byte) {
	h := header{Seq: seq, Base: 5, Version: v}
	c := NewCrashFS()
	c.MkdirAll(testDir)
	file := append(segFileV(v, seq, 5), body...)
	c.WriteFile(segPath(seq), file)
	logs := &logCapture{}
	opts := Options{FS: c, Logger: logs.logger()}
	l, err := Open(testDir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer l.Close()
	got := scanAll(t, l)

	payloads := make([][]byte, len(got))
	off := uint32(HeaderSize)
	for i, r := range got {
		if r.pos != (Pos{Seg: seq, Off: off}) {
			t.Fatalf("record %d at %v, want offset %d", i, r.pos, off)
		}
		fr := file[off:]
		if n, err := frameLen(fr); err != nil || n != int64(len(r.payload)) || checkFrame(fr, fr[FrameHeaderSize:FrameHeaderSize+n], seq, h.salt()) != nil {
			t.Fatalf("record %d at %v returned with a bad frame", i, r.pos)
		}
		payloads[i] = r.payload
		off += FrameHeaderSize + uint32(len(r.payload))
	}
	valid := segFileV(v, seq, 5, payloads...)
	if !bytes.Equal(valid, file[:len(valid)]) {
		t.Fatalf("records do not re-encode to the file's first %d bytes", len(valid))
	}
	// Zeros after the last record are preallocated space and stay;
	// anything else there is a torn tail and is cut.
	want := valid
	if isZeros(file[len(valid):]) {
		want = file
	}
	after, _ := c.ReadFile(segPath(seq))
	if !bytes.Equal(after, want) {
		t.Fatalf("file is %d bytes after the scan, want %d (%d of records)", len(after), len(want), len(valid))
	}
	// A cut is logged once: quietly if it starts at a whole record of
	// an earlier segment, else with a WARN.
	recycled := false
	if tail := file[len(valid):]; len(want) < len(file) && len(tail) >= FrameHeaderSize {
		if n, err := frameLen(tail); err == nil && int64(len(tail)) >= FrameHeaderSize+n {
			recycled = errors.Is(checkFrame(tail, tail[FrameHeaderSize:FrameHeaderSize+n], seq, h.salt()), errRecycled)
		}
	}
	warned := len(logs.entries(t, "WARN"))
	quiet := 0
	for _, e := range logs.entries(t, "DEBUG") {
		if msg, _ := e["msg"].(string); strings.Contains(msg, "recycled") {
			quiet++
		}
	}
	cut := len(want) < len(file)
	if wantWarn, wantQuiet := b2i(cut && !recycled), b2i(cut && recycled); warned != wantWarn || quiet != wantQuiet {
		t.Fatalf("bytes cut: %d (earlier segment's record: %v); logged %d WARN and %d DEBUG about a recycled file, want %d and %d",
			len(file)-len(want), recycled, warned, quiet, wantWarn, wantQuiet)
	}
	for _, r := range got {
		if p, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(p, r.payload) {
			t.Fatalf("ReadAt %v: %v", r.pos, err)
		}
	}

	// Append after the cut, reopen: same records plus the new one, and
	// nothing more to cut.
	more := appendSync(t, l, [][]byte{[]byte("appended")})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	logs2 := &logCapture{}
	opts.Logger = logs2.logger()
	l2, err := Open(testDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sameRecords(t, scanAll(t, l2), append(got, more...))
	if w := logs2.entries(t, "WARN"); len(w) != 0 {
		t.Fatalf("second open cut again: %v", w)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzDecodeHeader checks that decodeHeader never panics, that whatever it
// accepts re-encodes to the same bytes, and that Open copes with the bytes
// as a whole segment file.
func FuzzDecodeHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		} else if enc := encodeHeader(h); !bytes.Equal(enc[:], b[:HeaderSize]) {
			t.Fatalf("accepted header %x re-encodes to %x", b[:HeaderSize], enc)
		}

		c := NewCrashFS()
		c.MkdirAll(testDir)
		c.WriteFile(segPath(1), b)
		l, oerr := Open(testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
		if oerr != nil {
			t.Fatalf("Open: %v", oerr)
		}
		defer l.Close()
		got := l.Segments()
		if want := err == nil && h.Seq == 1; want != (len(got) == 1) {
			t.Fatalf("header ok %v (seq %d) but Segments = %v", err == nil, h.Seq, got)
		}
		if len(got) == 1 && got[0].Base != h.Base {
			t.Fatalf("Base %d, header says %d", got[0].Base, h.Base)
		}
		names, _ := c.ReadDir(testDir)
		torn := len(b) < HeaderSize || isZeros(b[:HeaderSize])
		if kept := slices.Contains(names, segmentName(1)); kept == torn {
			t.Fatalf("torn creation %v, but file kept %v", torn, kept)
		}
	})
}

func isZeros(b []byte) bool { return len(bytes.TrimLeft(b, "\x00")) == 0 }
