package queue

import (
	"runtime"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// BenchmarkPublishDeliverAck measures the hot path on the memory engine:
// publish a message, push it to a consumer, ack it, on one goroutine.
func BenchmarkPublishDeliverAck(b *testing.B) {
	l, _ := memstore.New().Open("bench")
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
	if s := q.Stats(t0); s.Acked != uint64(b.N) || s.Ready != 0 || s.Unacked != 0 {
		b.Fatalf("Stats = %+v after %d messages", s, b.N)
	}
}

// nullLog keeps nothing, so that a memory measurement sees only the queue.
type nullLog struct{}

func (nullLog) Append(r store.Record, done func(error)) {
	if done != nil {
		done(nil)
	}
}
func (nullLog) Read(uint64) ([]byte, error)                    { return nil, nil }
func (nullLog) Err() error                                     { return nil }
func (nullLog) Replay(func(store.Entry) error) (uint64, error) { return 0, nil }
func (nullLog) Stats() store.Stats                             { return store.Stats{} }
func (nullLog) Close() error                                   { return nil }

// BenchmarkBacklogMemory reports the queue's own heap per ready message
// (bodies live in the log) and per leased one, for a backlog of 1M.
func BenchmarkBacklogMemory(b *testing.B) {
	const n = 1 << 20
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var ready, leased float64
	for b.Loop() {
		before := heap()
		q, err := Open(Options{Name: "mem", Log: nullLog{}})
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			q.Publish(nil, t0, nil)
		}
		ready = float64(heap()-before) / n
		for range n {
			q.Get(1, false, t0)
		}
		leased = float64(heap()-before) / n
		if s := q.Stats(t0); s.Unacked != n {
			b.Fatalf("Stats = %+v", s)
		}
		runtime.KeepAlive(q)
	}
	b.ReportMetric(ready, "B/ready-msg")
	b.ReportMetric(leased, "B/leased-msg")
}
