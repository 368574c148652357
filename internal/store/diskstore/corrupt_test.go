package diskstore_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// logBuffer collects log output from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Records in the corruption tests are 100-byte bodies with ids below 128,
// so every frame is 8 (frame header) + 3 (record header) + 100 bytes.
const (
	corruptBody  = 100
	corruptFrame = 8 + 3 + corruptBody
	segHeader    = 32
)

// TestCorruptTail damages the last records of a queue's only segment in
// the ways a crash or a bad disk does, and checks that reopening keeps
// every record before the damage, drops the rest, says so in the log, and
// that the log then works on. Zeros after the last record are not damage
// but a preallocated segment's unused space: kept, without a warning.
func TestCorruptTail(t *testing.T) {
	const n = 20
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   int  // records that survive
		kept   bool // nothing is cut, nothing logged
	}{
		{"truncate-mid-record", func(t *testing.T, path string) { truncateBy(t, path, 5) }, n - 1, false},
		{"truncate-mid-header", func(t *testing.T, path string) { truncateBy(t, path, corruptFrame-4) }, n - 1, false},
		{"flip-last-record", func(t *testing.T, path string) { flipAt(t, path, segHeader+(n-1)*corruptFrame+50) }, n - 1, false},
		{"flip-record-10-length", func(t *testing.T, path string) { flipAt(t, path, segHeader+9*corruptFrame) }, 9, false},
		{"flip-record-15-crc", func(t *testing.T, path string) { flipAt(t, path, segHeader+14*corruptFrame+5) }, 14, false},
		{"zeros-after-end", func(t *testing.T, path string) { appendBytes(t, path, make([]byte, 4096)) }, n, true},
		{"garbage-after-end", func(t *testing.T, path string) { appendBytes(t, path, []byte("\x20\x00\x00\x00garbage")) }, n, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := diskstore.Options{Logger: quiet}
			s, err := diskstore.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.Open("q")
			if err != nil {
				t.Fatal(err)
			}
			for id := uint64(1); id <= n; id++ {
				if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, corruptBody)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			segs, err := filepath.Glob(filepath.Join(dir, "log", "*", "*.seg"))
			if err != nil || len(segs) != 1 {
				t.Fatalf("segment files %v, %v; want one", segs, err)
			}
			if fi, err := os.Stat(segs[0]); err != nil || fi.Size() != segHeader+n*corruptFrame {
				t.Fatalf("segment file is not the size the test assumes: %v, %v", fi.Size(), err)
			}
			tc.damage(t, segs[0])

			var logs logBuffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s, err = diskstore.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err = s.Open("q")
			if err != nil {
				t.Fatalf("reopen after damage: %v", err)
			}
			got := replayIDs(t, l)
			if len(got) != tc.want {
				t.Fatalf("%d records survived, want %d", len(got), tc.want)
			}
			for i, id := range got {
				if id != uint64(i+1) {
					t.Fatalf("record %d has id %d", i, id)
				}
				if data, err := l.Read(id); err != nil || !bytes.Equal(data, body(id, corruptBody)) {
					t.Fatalf("Read(%d) = %q, %v", id, data, err)
				}
			}
			out := logs.String()
			switch {
			case tc.kept && strings.Contains(out, "level=WARN"):
				t.Fatalf("zeros after the last record were warned about:\n%s", out)
			case tc.kept:
			case !strings.Contains(out, "level=WARN") || !strings.Contains(out, "torn tail") || !strings.Contains(out, "queue=q"):
				t.Fatalf("no warning about the cut tail for queue q in the log:\n%s", out)
			}
			// The log goes on after the cut.
			if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: 100, Data: body(100, corruptBody)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = diskstore.Open(dir, diskstore.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			l, err = s.Open("q")
			if err != nil {
				t.Fatal(err)
			}
			if got := replayIDs(t, l); len(got) != tc.want+1 || got[len(got)-1] != 100 {
				t.Fatalf("after appending on: ids %v, want %d then 100", got, tc.want)
			}
		})
	}
}

func replayIDs(t *testing.T, l store.Log) []uint64 {
	t.Helper()
	var ids []uint64
	if _, err := l.Replay(func(e store.Entry) error { ids = append(ids, e.ID); return nil }); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return ids
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-n); err != nil {
		t.Fatal(err)
	}
}

func flipAt(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendBytes(t *testing.T, path string, p []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
