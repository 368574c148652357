package diskstore_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// TestRecentBodiesServedFromMemory: a message read soon after its append
// is served without a file read, once; a second read, a message pushed
// out of the cache by newer ones, and a message appended out of id order
// are read from the file, with the same bytes; an acked message is gone
// whatever the cache held.
func TestRecentBodiesServedFromMemory(t *testing.T) {
	cfs := segment.NewCrashFS()
	s, err := diskstore.Open("/data", diskstore.Options{FS: cfs, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 10
	read := func(id uint64) (fromFile bool) {
		t.Helper()
		before := cfs.Count(segment.OpRead)
		data, err := l.Read(id)
		if err != nil {
			t.Fatalf("Read(%d): %v", id, err)
		}
		if !bytes.Equal(data, body(id, size)) {
			t.Fatalf("Read(%d) returned other bytes", id)
		}
		return cfs.Count(segment.OpRead) > before
	}

	for id := uint64(1); id <= 3; id++ {
		if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, size)}); err != nil {
			t.Fatal(err)
		}
	}
	if read(2) {
		t.Fatal("a message read right after its append was read from the file")
	}
	if !read(2) {
		t.Fatal("a second read of the same message was served from memory (redeliveries must read the file)")
	}
	if read(1) || read(3) {
		t.Fatal("the other recent messages were read from the file")
	}

	// 2,000 KiB of newer messages push the first of them out (the cache
	// keeps about 512 KiB per queue).
	for id := uint64(10); id < 2010; id++ {
		if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, size)}); err != nil {
			t.Fatal(err)
		}
	}
	if !read(10) {
		t.Fatal("an old message was still served from memory: the cache is not bounded")
	}
	if read(2009) {
		t.Fatal("the newest message was read from the file")
	}

	// Out of id order (as a compaction copy or a dead-letter target may
	// be): kept on disk only, never served stale.
	if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: 5, Data: body(5, size)}); err != nil {
		t.Fatal(err)
	}
	if !read(5) {
		t.Fatal("a message appended below the newest id was served from memory")
	}

	// Acked: not found, although its body was cached.
	if err := appendWait(l, store.Record{Kind: store.Ack, ID: 2008}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(2008); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read of an acked message: %v, want ErrNotFound", err)
	}
}
