package segment

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Run with:
//
//	go test -run x -bench . -benchtime 2s -count 3 ./internal/segment/
//
// The Raw benchmarks measure the disk under the temp dir without the log:
// the baseline a group commit has to beat.

// benchRaw appends size bytes and fdatasyncs once per op to a plain file.
func benchRaw(b *testing.B, size int) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	// The file only grows, as a segment does (b.TempDir removes it); a
	// periodic truncate would add block freeing (and TRIM, on a disk mounted
	// with discard) that the log never pays on its append path.
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := fdatasync(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawAppendFdatasync(b *testing.B) { benchRaw(b, 1<<10) }

func BenchmarkRawAppendBatch256(b *testing.B) { benchRaw(b, 256<<10) }

// BenchmarkAppendSyncAlways runs appenders that each append a 1 KiB record
// and wait for its done before the next, on the OS file system: confirmed
// records per second under group commit.
func BenchmarkAppendSyncAlways(b *testing.B) {
	for _, appenders := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			cfs := &countingFS{FS: OSFS}
			l, err := Open(b.TempDir(), Options{FS: cfs, Sync: SyncAlways})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if err := l.Scan(func(Pos, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, 1<<10)
			b.SetBytes(int64(len(payload)))
			var wg sync.WaitGroup
			var failed sync.Once
			b.ResetTimer()
			start := time.Now()
			for g := range appenders {
				n := b.N / appenders // split b.N evenly, the remainder to the first ones
				if g < b.N%appenders {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					ch := make(chan error, 1)
					done := func(err error) { ch <- err } // one closure per appender
					for range n {
						if _, err := l.Append(payload, done); err != nil {
							failed.Do(func() { b.Error(err) })
							return
						}
						if err := <-ch; err != nil {
							failed.Do(func() { b.Error(err) })
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(b.N)/float64(cfs.syncs.Load()), "records/fsync")
		})
	}
}

// countingFS counts file fsyncs, to report how many records share one.
type countingFS struct {
	FS
	syncs atomic.Int64
}

func (c *countingFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{f, &c.syncs}, nil
}

type countingFile struct {
	File
	syncs *atomic.Int64
}

func (f countingFile) Sync() error {
	f.syncs.Add(1)
	return f.File.Sync()
}
