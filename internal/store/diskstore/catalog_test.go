package diskstore_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// cutAfter makes every CrashFS operation from the n-th on fail, as if the
// power went out there; it reports whether the cut happened.
func cutAfter(cfs *segment.CrashFS, n int64) *atomic.Bool {
	var cut atomic.Bool
	var ops atomic.Int64
	cfs.OnOp(func(op, name string) error {
		if cut.Load() || ops.Add(1) >= n {
			cut.Store(true)
			return errPowerCut
		}
		return nil
	})
	return &cut
}

// TestRemoveCrash cuts the power at every operation of Remove in turn: the
// queue is then either still there with all its messages, or gone, and a
// queue of the same name opened later is empty. It is never half there.
func TestRemoveCrash(t *testing.T) {
	name := strings.Repeat("long name ", 30) // hashed form
	for _, qname := range []string{"plain", name} {
		for n := int64(1); ; n++ {
			cfs := segment.NewCrashFS()
			opts := diskstore.Options{FS: cfs, SegmentSize: 1 << 10, Logger: quiet}
			s, err := diskstore.Open("/data", opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.Open(qname)
			if err != nil {
				t.Fatal(err)
			}
			for id := uint64(1); id <= 30; id++ { // several segments
				if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, 100)}); err != nil {
					t.Fatal(err)
				}
			}
			for id := uint64(1); id <= 30; id += 2 {
				if err := appendWait(l, store.Record{Kind: store.Ack, ID: id}); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			cut := cutAfter(cfs, n)
			removeErr := s.Remove(qname)
			s.Close()
			cfs.Crash()
			cfs.OnOp(nil)
			if !cut.Load() {
				if removeErr != nil {
					t.Fatalf("Remove without a cut: %v", removeErr)
				}
				t.Logf("%.12q: Remove takes %d operations; cut at each", qname, n-1)
				break
			}
			s, err = diskstore.Open("/data", opts)
			if err != nil {
				t.Fatalf("cut at op %d: reopen: %v", n, err)
			}
			names, err := s.Names()
			if err != nil {
				t.Fatal(err)
			}
			l, err = s.Open(qname)
			if err != nil {
				t.Fatalf("cut at op %d: Open: %v", n, err)
			}
			ids := replayIDs(t, l)
			if slices.Contains(names, qname) {
				if len(ids) != 15 {
					t.Fatalf("cut at op %d: queue still listed but has %d messages, want 15", n, len(ids))
				}
				for _, id := range ids {
					if data, err := l.Read(id); id%2 == 1 || err != nil || !bytes.Equal(data, body(id, 100)) {
						t.Fatalf("cut at op %d: message %d: %v", n, id, err)
					}
				}
			} else if len(ids) != 0 {
				t.Fatalf("cut at op %d: queue not listed, but opening it gives %d messages", n, len(ids))
			}
			s.Close()
		}
	}
}

// TestCreateCrash cuts the power at every operation of creating a queue and
// appending its first message: afterwards the queue is listed only if it
// can be opened, and a confirmed message is never lost.
func TestCreateCrash(t *testing.T) {
	name := strings.Repeat("ü", 120) // hashed form
	for _, qname := range []string{"plain", name} {
		for n := int64(1); ; n++ {
			cfs := segment.NewCrashFS()
			opts := diskstore.Options{FS: cfs, Logger: quiet}
			s, err := diskstore.Open("/data", opts)
			if err != nil {
				t.Fatal(err)
			}
			cut := cutAfter(cfs, n)
			confirmed := false
			if l, err := s.Open(qname); err == nil {
				confirmed = appendWait(l, store.Record{Kind: store.Enqueue, ID: 1, Data: []byte("first")}) == nil
			}
			s.Close()
			cfs.Crash()
			cfs.OnOp(nil)
			if !cut.Load() {
				t.Logf("%.12q: creation takes %d operations; cut at each", qname, n-1)
				break
			}
			s, err = diskstore.Open("/data", opts)
			if err != nil {
				t.Fatalf("cut at op %d: reopen: %v", n, err)
			}
			names, err := s.Names()
			if err != nil {
				t.Fatal(err)
			}
			if confirmed && !slices.Contains(names, qname) {
				t.Fatalf("cut at op %d: a message was confirmed but the queue is not listed", n)
			}
			l, err := s.Open(qname)
			if err != nil {
				t.Fatalf("cut at op %d: Open: %v", n, err)
			}
			ids := replayIDs(t, l)
			if confirmed && (len(ids) != 1 || ids[0] != 1) {
				t.Fatalf("cut at op %d: confirmed message lost: ids %v", n, ids)
			}
			if got, _ := s.Names(); !slices.Contains(got, qname) {
				t.Fatalf("cut at op %d: open queue not listed: %q", n, got)
			}
			s.Close()
		}
	}
}

// TestLastIDFromSegmentBase: when every record naming the highest id is
// deleted with its segment, the id still comes back from the header Base
// of a later segment.
func TestLastIDFromSegmentBase(t *testing.T) {
	cfs := segment.NewCrashFS()
	opts := diskstore.Options{FS: cfs, SegmentSize: 512, Logger: quiet}
	s, err := diskstore.Open("/data", opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for id := uint64(1); id <= n; id++ {
		if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, 40)}); err != nil {
			t.Fatal(err)
		}
	}
	for id := uint64(n); id >= 1; id-- { // the last acks name low ids
		if err := appendWait(l, store.Record{Kind: store.Ack, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.(*diskstore.Log).Compact(); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Segments > 2 || st.Messages != 0 {
		t.Fatalf("after Compact: %d segments, %d messages; want <= 2, 0", st.Segments, st.Messages)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = diskstore.Open("/data", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err = s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	last, err := l.Replay(func(store.Entry) error { return errors.New("nothing should be live") })
	if err != nil || last != n {
		t.Fatalf("Replay = %d, %v; want lastID %d", last, err, n)
	}
}
