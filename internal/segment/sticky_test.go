package segment

import (
	"errors"
	"sync"
	"testing"
)

// appendWait appends p and returns a channel that receives its done error.
func appendWait(t *testing.T, l *Log, p []byte) <-chan error {
	t.Helper()
	ch := make(chan error, 1)
	if _, err := l.Append(p, func(err error) { ch <- err }); err != nil {
		t.Fatalf("Append: %v", err)
	}
	return ch
}

// checkSticky checks everything a failed log must do: later calls fail with
// the injected error and no more fsyncs or writes are attempted.
func checkSticky(t *testing.T, c *CrashFS, l *Log) {
	t.Helper()
	syncs, writes := c.Count(OpSync), c.Count(OpWrite)
	if err := l.Err(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Err() = %v, want the injected error", err)
	}
	called := false
	if _, err := l.Append([]byte("later"), func(error) { called = true }); !errors.Is(err, ErrInjected) {
		t.Fatalf("Append after failure: %v, want the injected error", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Sync after failure: %v, want the injected error", err)
	}
	if err := l.Close(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Close after failure: %v, want the injected error", err)
	}
	if called {
		t.Fatal("done called for an Append that returned an error")
	}
	if s, w := c.Count(OpSync), c.Count(OpWrite); s != syncs || w != writes {
		t.Fatalf("failed log kept doing I/O: fsyncs %d→%d, writes %d→%d", syncs, s, writes, w)
	}
}

// TestStickySyncError fails the first fsync while more records wait in
// the flushing and pending batches: all of them get the error, and the
// fsync is never tried again.
func TestStickySyncError(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	scanAll(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.OnOp(func(op, _ string) error {
		if op == OpSync {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	})
	c.FailAfter(OpSync, 1)
	first := appendWait(t, l, []byte("first"))
	<-entered
	second := appendWait(t, l, []byte("second")) // pending while the fsync runs
	close(release)
	for i, ch := range []<-chan error{first, second} {
		if err := <-ch; !errors.Is(err, ErrInjected) {
			t.Fatalf("done of record %d: %v, want the injected error", i, err)
		}
	}
	if n := c.Count(OpSync); n != 1 {
		t.Fatalf("%d fsyncs, want the one that failed", n)
	}
	checkSticky(t, c, l)
}

// TestStickyWriteError fails a write: its waiters get the error, and no
// fsync is attempted for data that never reached the file.
func TestStickyWriteError(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	if err := <-appendWait(t, l, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	syncs := c.Count(OpSync)
	c.FailAfter(OpWrite, 1)
	if err := <-appendWait(t, l, []byte("fails")); !errors.Is(err, ErrInjected) {
		t.Fatalf("done: %v, want the injected error", err)
	}
	if n := c.Count(OpSync); n != syncs {
		t.Fatalf("fsync attempted after a failed write (%d→%d)", syncs, n)
	}
	checkSticky(t, c, l)

	// The record written before the failure is still there on reopen.
	l2 := openLog(t, testDir, Options{FS: c})
	got := scanAll(t, l2)
	if len(got) != 1 || string(got[0].payload) != "ok" {
		t.Fatalf("after reopen: %v", got)
	}
}

// TestStickyCreateError fails the directory sync after a segment file is
// created: records for that segment fail.
func TestStickyCreateError(t *testing.T) {
	c := NewCrashFS()
	l := openLog(t, testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	c.FailAfter(OpSyncDir, 1)
	if err := <-appendWait(t, l, []byte("x")); !errors.Is(err, ErrInjected) {
		t.Fatalf("done: %v, want the injected error", err)
	}
	if n := c.Count(OpWrite); n != 0 {
		t.Fatalf("%d writes into a segment whose creation was not durable", n)
	}
	checkSticky(t, c, l)
}

// TestStickyTruncateError fails the truncation of a torn tail during the
// scan: the log must not append after a tail it could not cut.
func TestStickyTruncateError(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll(testDir)
	c.WriteFile(segPath(1), append(segFile(1, 0, []byte("good")), 1, 2, 3))
	l := openLog(t, testDir, Options{FS: c, Logger: (&logCapture{}).logger()})
	c.FailAfter(OpTruncate, 1)
	if err := l.Scan(func(Pos, []byte) error { return nil }); !errors.Is(err, ErrInjected) {
		t.Fatalf("Scan: %v, want the injected error", err)
	}
	checkSticky(t, c, l)
}
