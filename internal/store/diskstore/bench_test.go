package diskstore_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// BenchmarkAppendConfirmed measures confirmed throughput on the real
// disk: each appender enqueues a 1 KiB record with sync=always and waits
// for its done before the next, as a publisher waiting for confirms does.
// Group commit is what lets many appenders share one fsync.
func BenchmarkAppendConfirmed(b *testing.B) {
	for _, appenders := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			s, err := diskstore.Open(b.TempDir(), diskstore.Options{Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			l, err := s.Open("bench")
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, 1024)
			b.SetBytes(int64(len(data)))
			var next atomic.Int64
			var failed atomic.Pointer[error]
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range appenders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ch := make(chan error, 1)
					done := func(err error) { ch <- err }
					for {
						id := next.Add(1)
						if id > int64(b.N) {
							return
						}
						l.Append(store.Record{Kind: store.Enqueue, ID: uint64(id), Data: data}, done)
						if err := <-ch; err != nil {
							failed.Store(&err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err := failed.Load(); err != nil {
				b.Fatal(*err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
		})
	}
}

// BenchmarkReopen1M writes 1,000,000 live 1 KiB messages (sync=none, to
// write them fast), then measures what reopening costs: the time to open
// the log and replay it ("reopen-s", the timed part) and the heap the
// index keeps per message afterwards ("heap-B/msg"). Run it with
// -benchtime=1x. The files are in the page cache when it reopens.
func BenchmarkReopen1M(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1 GiB")
	}
	const n = 1_000_000
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		opts := diskstore.Options{Sync: segment.SyncNone, Logger: quiet}
		s, err := diskstore.Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		l, err := s.Open("backlog")
		if err != nil {
			b.Fatal(err)
		}
		data := make([]byte, 1024)
		for id := uint64(1); id <= n; id++ {
			l.Append(store.Record{Kind: store.Enqueue, ID: id, Data: data}, nil)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)

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
		count := 0
		if _, err := l.Replay(func(store.Entry) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if count != n {
			b.Fatalf("replayed %d messages, want %d", count, n)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(elapsed.Seconds(), "reopen-s")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "heap-B/msg")
		runtime.KeepAlive(l)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
