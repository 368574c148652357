package queue

import (
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// BenchmarkDiskBacklog1M measures what a large durable backlog costs the
// whole engine, queue and disk store together: the heap per queued message
// once 1,000,000 1 KiB messages sit in a durable queue (bodies stay on
// disk), and the time a restart takes to bring them back (open the store,
// replay the log, rebuild the queue). Run it with -benchtime=1x.
func BenchmarkDiskBacklog1M(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1 GiB")
	}
	const n = 1_000_000
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := diskstore.Options{Sync: segment.SyncNone, Logger: quiet}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		s, err := diskstore.Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		l, err := s.Open("backlog")
		if err != nil {
			b.Fatal(err)
		}
		q, err := Open(Options{Name: "backlog", Log: l, Now: t0, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			if _, err := q.Publish(make([]byte, 1024), t0, nil); err != nil {
				b.Fatal(err)
			}
		}
		q.Close()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		before := heap()

		b.StartTimer()
		start := time.Now()
		s, err = diskstore.Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		l, err = s.Open("backlog")
		if err != nil {
			b.Fatal(err)
		}
		q, err = Open(Options{Name: "backlog", Log: l, Now: t0, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		restart := time.Since(start)
		b.StopTimer()

		perMsg := float64(int64(heap())-int64(before)) / n
		if st := q.Stats(t0); st.Ready != n {
			b.Fatalf("after restart %d ready, want %d", st.Ready, n)
		}
		d, ok, err := q.Get(1, false, t0)
		if err != nil || !ok || len(d.Data) != 1024 {
			b.Fatalf("Get after restart: %v %v %d bytes", ok, err, len(d.Data))
		}
		b.ReportMetric(restart.Seconds(), "restart-s")
		b.ReportMetric(perMsg, "heap-B/msg")
		q.Close()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
