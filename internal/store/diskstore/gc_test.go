package diskstore_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

func body(id uint64, n int) []byte {
	b := bytes.Repeat([]byte{byte(id)}, n)
	copy(b, []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)})
	return b
}

// flow enqueues and acks ids [from, to) with 1 KiB bodies, pipelined, and
// waits until all are done.
func flow(t *testing.T, l store.Log, from, to uint64) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	done := func(err error) {
		if err != nil {
			mu.Lock()
			first = err
			mu.Unlock()
		}
		wg.Done()
	}
	for id := from; id < to; id++ {
		wg.Add(2)
		l.Append(store.Record{Kind: store.Enqueue, ID: id, Data: body(id, 1024)}, done)
		l.Append(store.Record{Kind: store.Ack, ID: id}, done)
	}
	wg.Wait()
	if first != nil {
		t.Fatalf("append: %v", first)
	}
}

// TestDiskUsageBounded: one message that is never acked, in the first
// segment, must not keep every segment after it alive. Compaction moves
// it forward, deletion follows, and after a restart it is there once.
func TestDiskUsageBounded(t *testing.T) {
	const segSize = 64 << 10
	dir := t.TempDir()
	opts := diskstore.Options{SegmentSize: segSize, Logger: quiet}
	s, err := diskstore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	passes := make(chan struct{}, 1)
	diskstore.OnCompactPass(l, func() {
		select {
		case passes <- struct{}{}:
		default:
		}
	})
	keep := body(1, 1024)
	if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: 1, Data: keep}); err != nil {
		t.Fatal(err)
	}
	maxSegs := 0
	next := uint64(2)
	for range 10 {
		flow(t, l, next, next+1000)
		next += 1000
		if err := l.(*diskstore.Log).Compact(); err != nil {
			t.Fatalf("Compact: %v", err)
		}
		st := l.Stats()
		maxSegs = max(maxSegs, st.Segments)
		if st.Segments > 2 || st.DiskBytes > 2*segSize || st.Messages != 1 {
			t.Fatalf("after %d messages: %d segments, %d bytes on disk, %d live; want <= 2, <= %d, 1",
				next-2, st.Segments, st.DiskBytes, st.Messages, 2*segSize)
		}
	}
	// The background worker alone gets there too.
	flow(t, l, next, next+2000)
	next += 2000
	for l.Stats().Segments > 2 {
		<-passes
	}
	deleted, copied := l.(*diskstore.Log).CompactStats()
	if deleted < 100 || copied == 0 {
		t.Fatalf("CompactStats = %d deleted, %d copied; want many deleted, some copied", deleted, copied)
	}
	t.Logf("%d messages through, at most %d segments after Compact; %d segments deleted, %d copies",
		next-2, maxSegs, deleted, copied)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = diskstore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err = s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Entry
	last, err := l.Replay(func(e store.Entry) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != 1 || last != next-1 {
		t.Fatalf("after restart: Replay gave %v, lastID %d; want only id 1, %d", got, last, next-1)
	}
	if data, err := l.Read(1); err != nil || !bytes.Equal(data, keep) {
		t.Fatalf("Read(1) = %d bytes, %v", len(data), err)
	}
}

func appendWait(l store.Log, r store.Record) error {
	ch := make(chan error, 1)
	l.Append(r, func(err error) { ch <- err })
	return <-ch
}

// TestReadDuringCompaction reads long-lived messages without pause while
// compaction moves them and deletes the segments they were in: every Read
// must find them, with the right body.
func TestReadDuringCompaction(t *testing.T) {
	s, err := diskstore.Open(t.TempDir(), diskstore.Options{SegmentSize: 8 << 10, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Open("q")
	if err != nil {
		t.Fatal(err)
	}
	const kept = 10
	for id := uint64(1); id <= kept; id++ {
		if err := appendWait(l, store.Record{Kind: store.Enqueue, ID: id, Data: body(id, 200)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for reads := 0; ; reads++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				id := uint64(reads%kept) + 1
				if data, err := l.Read(id); err != nil || !bytes.Equal(data, body(id, 200)) {
					errs <- fmt.Errorf("Read(%d) after %d reads: %q, %v", id, reads, data, err)
					return
				}
			}
		}()
	}
	next := uint64(kept + 1)
	for range 6 {
		flow(t, l, next, next+500)
		next += 500
		if err := l.(*diskstore.Log).Compact(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if deleted, copied := l.(*diskstore.Log).CompactStats(); deleted == 0 || copied < kept {
		t.Fatalf("CompactStats = %d deleted, %d copied: compaction did not move the kept messages", deleted, copied)
	}
}
