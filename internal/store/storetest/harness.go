package storetest

import (
	"errors"
	"flag"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// seedFlag fixes the randomized tests' seed; 0 means pick one.
var seedFlag = flag.Int64("storetest.seed", 0, "seed for storetest's randomized tests (0: random)")

// Harness tells the suite how to make and restart stores of one engine.
type Harness struct {
	// New returns a fresh, empty store. The suite closes what it opens.
	New func(t *testing.T) store.Store

	// Restart ends s as a clean process exit would (closing it) and returns
	// the store the next process would find: for a disk engine a new Store
	// on the same directory, for the memory engine s itself with its logs
	// closed. Logs opened before Restart must not be used after it.
	Restart func(t *testing.T, s store.Store) store.Store

	// Settle, if not nil, finishes the engine's background work on l
	// (segment deletion, compaction) before returning, so that the suite
	// can check that such work never changes what the log holds.
	Settle func(t *testing.T, l store.Log)
}

// Run runs every conformance test against the engine h describes.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("AckDeadLetterRequeue", func(t *testing.T) { testAckDeadLetterRequeue(t, h) })
	t.Run("ReplaceEnqueue", func(t *testing.T) { testReplaceEnqueue(t, h) })
	t.Run("ReplayOrder", func(t *testing.T) { testReplayOrder(t, h) })
	t.Run("LastIDMonotonic", func(t *testing.T) { testLastIDMonotonic(t, h) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, h) })
	t.Run("ManyLogs", func(t *testing.T) { testManyLogs(t, h) })
	t.Run("RemoveThenReopen", func(t *testing.T) { testRemoveThenReopen(t, h) })
	t.Run("ConcurrentAppenders", func(t *testing.T) { testConcurrentAppenders(t, h) })
	t.Run("DoneOnce", func(t *testing.T) { testDoneOnce(t, h) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, h) })
	t.Run("Stats", func(t *testing.T) { testStats(t, h) })
	t.Run("MetaRoundTrip", func(t *testing.T) { testMetaRoundTrip(t, h) })
	t.Run("RequeueDue", func(t *testing.T) { testRequeueDue(t, h) })
	t.Run("DedupRecords", func(t *testing.T) { testDedupRecords(t, h) })
	t.Run("MetaAcrossCompaction", func(t *testing.T) { testMetaAcrossCompaction(t, h) })
	t.Run("Model", func(t *testing.T) { testModel(t, h) })
}

// env is one test's store, which Restart replaces.
type env struct {
	t *testing.T
	h Harness
	s store.Store
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	e := &env{t: t, h: h, s: h.New(t)}
	t.Cleanup(func() {
		if err := e.s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return e
}

func (e *env) open(name string) store.Log {
	e.t.Helper()
	l, err := e.s.Open(name)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", name, err)
	}
	return l
}

func (e *env) restart() { e.t.Helper(); e.s = e.h.Restart(e.t, e.s) }

func (e *env) settle(l store.Log) {
	e.t.Helper()
	if e.h.Settle != nil {
		e.h.Settle(e.t, l)
	}
}

// appendWait appends r and waits for its done.
func appendWait(l store.Log, r store.Record) error {
	ch := make(chan error, 1)
	l.Append(r, func(err error) { ch <- err })
	return <-ch
}

func mustAppend(t *testing.T, l store.Log, r store.Record) {
	t.Helper()
	if err := appendWait(l, r); err != nil {
		t.Fatalf("Append(kind %d, id %d): %v", r.Kind, r.ID, err)
	}
}

func enq(id uint64, data []byte) store.Record {
	return store.Record{Kind: store.Enqueue, ID: id, Data: data}
}

// payload is a body that can be checked against its id: the id in text,
// then a pattern that depends on both.
func payload(id uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(uint64(i)*31 + id*7 + 1)
	}
	return b
}

// replayAll replays l and checks the properties every replay has: IDs
// strictly increasing and none above lastID.
func replayAll(t *testing.T, l store.Log) ([]store.Entry, uint64) {
	t.Helper()
	var got []store.Entry
	last, err := l.Replay(func(e store.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	for i, e := range got {
		if i > 0 && e.ID <= got[i-1].ID {
			t.Fatalf("Replay: id %d after %d, want increasing", e.ID, got[i-1].ID)
		}
		if e.ID > last {
			t.Fatalf("Replay: id %d above lastID %d", e.ID, last)
		}
	}
	return got, last
}

func mustRead(t *testing.T, l store.Log, id uint64, want []byte) {
	t.Helper()
	got, err := l.Read(id)
	if err != nil {
		t.Fatalf("Read(%d): %v", id, err)
	}
	if string(got) != string(want) {
		t.Fatalf("Read(%d) = %d bytes %.16q, want %d bytes %.16q", id, len(got), got, len(want), want)
	}
}

func mustNotFound(t *testing.T, l store.Log, id uint64) {
	t.Helper()
	if b, err := l.Read(id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read(%d) = %d bytes, %v; want ErrNotFound", id, len(b), err)
	}
}
