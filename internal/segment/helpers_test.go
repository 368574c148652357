package segment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
)

// testDir is the directory tests give Open on a CrashFS.
const testDir = "/log"

// logCapture is an io.Writer for a JSON slog handler, so tests can assert
// what the log said.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(c, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// entries returns the logged records at level ("WARN", "ERROR", ...).
func (c *logCapture) entries(t testing.TB, level string) []map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(c.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad log line %q: %v", sc.Text(), err)
		}
		if m["level"] == level {
			out = append(out, m)
		}
	}
	return out
}

// num reads a numeric attribute of a logged record.
func num(m map[string]any, key string) int64 {
	f, _ := m[key].(float64)
	return int64(f)
}

// rec is a record as a test saw it.
type rec struct {
	pos     Pos
	payload []byte
}

// openLog opens a log and closes it when the test ends.
func openLog(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// scanAll scans l and returns copies of its records.
func scanAll(t testing.TB, l *Log) []rec {
	t.Helper()
	var out []rec
	err := l.Scan(func(pos Pos, p []byte) error {
		out = append(out, rec{pos, bytes.Clone(p)})
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

// payloadFor makes a recognisable payload of n bytes for record i.
func payloadFor(rng *rand.Rand, i, n int) []byte {
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i*31 + j + int(rng.Uint32()&1))
	}
	return p
}

// appendSync appends payloads and waits until all are done, failing the
// test on any error.
func appendSync(t testing.TB, l *Log, payloads [][]byte) []rec {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	out := make([]rec, len(payloads))
	for i, p := range payloads {
		wg.Add(1)
		pos, err := l.Append(p, func(err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out[i] = rec{pos, p}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("done reported %d errors, first %v", len(errs), errs[0])
	}
	return out
}

// sameRecords fails the test unless got and want hold the same positions
// and payloads.
func sameRecords(t testing.TB, got, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].pos != want[i].pos || !bytes.Equal(got[i].payload, want[i].payload) {
			t.Fatalf("record %d: got %v (%d bytes), want %v (%d bytes)", i,
				got[i].pos, len(got[i].payload), want[i].pos, len(want[i].payload))
		}
	}
}

// segPath is segment seq's file in testDir.
func segPath(seq uint64) string { return filepath.Join(testDir, segmentName(seq)) }

// frame builds the on-disk frame of payload in a version 1 segment (no
// salt).
func frame(payload []byte) []byte { return frameIn(header{Version: 1}, payload) }

// frameIn builds the on-disk frame of payload in the segment with header
// h.
func frameIn(h header, payload []byte) []byte {
	return appendFrame(nil, payload, frameCRC(payload), h.salt())
}

// segFile builds a whole segment file in the current format: header and
// frames.
func segFile(seq, base uint64, payloads ...[]byte) []byte {
	return segFileV(formatVersion, seq, base, payloads...)
}

// segFileV builds a whole segment file in format version v.
func segFileV(v uint32, seq, base uint64, payloads ...[]byte) []byte {
	h := header{Seq: seq, Base: base, Version: v}
	enc := encodeHeader(h)
	b := enc[:]
	for _, p := range payloads {
		b = append(b, frameIn(h, p)...)
	}
	return b
}

func (r rec) String() string { return fmt.Sprintf("%v:%d bytes", r.pos, len(r.payload)) }
