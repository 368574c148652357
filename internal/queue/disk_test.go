package queue

import (
	"testing"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// The randomized tests also run on the disk engine: with sync=none for
// speed, and briefly with sync=always, whose done callbacks come from the
// flusher goroutine. Small segments make the runs cross segment
// boundaries and compaction.
func init() {
	moreEngines = append(moreEngines,
		diskEngine("diskstore-none", segment.SyncNone, false),
		diskEngine("diskstore-always", segment.SyncAlways, true))
}

func diskEngine(name string, sync segment.SyncMode, slow bool) engine {
	opts := diskstore.Options{Sync: sync, SegmentSize: 16 << 10}
	open := func(t *testing.T, dir string) store.Store {
		t.Helper()
		s, err := diskstore.Open(dir, opts)
		if err != nil {
			t.Fatalf("diskstore.Open: %v", err)
		}
		return s
	}
	return engine{
		name: name,
		slow: slow,
		open: func(t *testing.T) store.Store { return open(t, t.TempDir()) },
		restart: func(t *testing.T, s store.Store) store.Store {
			t.Helper()
			ds := s.(*diskstore.Store)
			if err := ds.Close(); err != nil {
				t.Fatalf("diskstore.Close: %v", err)
			}
			return open(t, ds.Dir())
		},
	}
}

// BenchmarkPublishDeliverAckDisk is BenchmarkPublishDeliverAck on the disk
// engine with sync=none: the queue's overhead plus the log's writes, with
// no fsync per message.
func BenchmarkPublishDeliverAckDisk(b *testing.B) {
	s, err := diskstore.Open(b.TempDir(), diskstore.Options{Sync: segment.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l, err := s.Open("bench")
	if err != nil {
		b.Fatal(err)
	}
	q, err := Open(Options{Name: "bench", Log: l, Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	var last Delivery
	if _, err := q.Consume(ConsumerOptions{Tag: "c", Owner: 1, Prefetch: 100,
		Deliver: func(d Delivery) { last = d }}, t0); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Publish(body, t0, nil); err != nil {
			b.Fatal(err)
		}
		if err := q.Ack(1, last.ID, t0, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
