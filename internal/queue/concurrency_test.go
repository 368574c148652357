package queue

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrymq/ferry/internal/store/memstore"
)

// TestConcurrentPublishConsumeAck runs publishers, push consumers and
// pollers on one queue at once (run it with -race). When no one fails,
// every message must be delivered once and acked once.
func TestConcurrentPublishConsumeAck(t *testing.T) {
	const publishers, perPublisher, consumers, pollers, prefetch = 6, 400, 4, 2, 8
	const total = publishers * perPublisher
	l, _ := memstore.New().Open("q")
	q, err := Open(Options{Name: "q", Log: l, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	var (
		mu        sync.Mutex
		acks      = map[string]int{} // body → times acked; guarded by mu
		redeliver int                // guarded by mu
		acked     atomic.Int64
		confirmed atomic.Int64
		allAcked  = make(chan struct{})
		wg        sync.WaitGroup
	)
	settle := func(owner Owner, d Delivery) {
		if err := q.Ack(owner, d.ID, t0, nil); err != nil {
			t.Errorf("Ack(%d, %d): %v", owner, d.ID, err)
		}
		mu.Lock()
		acks[string(d.Data)]++
		if d.Deliveries != 1 {
			redeliver++
		}
		mu.Unlock()
		if acked.Add(1) == total {
			close(allAcked)
		}
	}
	for i := range consumers {
		owner := Owner(i + 1)
		// With prefetch n at most n deliveries are unacked, so a channel of
		// capacity n never blocks Deliver.
		ch := make(chan Delivery, prefetch)
		if _, err := q.Consume(ConsumerOptions{Tag: fmt.Sprint("c", i), Owner: owner, Prefetch: prefetch,
			Deliver: func(d Delivery) { ch <- d }}, t0); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for {
				select {
				case d := <-ch:
					settle(owner, d)
				case <-allAcked:
					return
				}
			}
		})
	}
	for i := range pollers {
		owner := Owner(100 + i)
		wg.Go(func() {
			for {
				if d, ok, err := q.Get(owner, false, t0); err != nil {
					t.Errorf("Get: %v", err)
					return
				} else if ok {
					settle(owner, d)
					continue
				}
				select {
				case <-allAcked:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	var pub sync.WaitGroup
	for p := range publishers {
		pub.Go(func() {
			for i := range perPublisher {
				if _, err := q.Publish(fmt.Appendf(nil, "p%d-%d", p, i), t0, func(err error) {
					if err == nil {
						confirmed.Add(1)
					}
				}); err != nil {
					t.Errorf("Publish: %v", err)
				}
			}
		})
	}
	pub.Wait()
	<-allAcked
	wg.Wait()

	if len(acks) != total || redeliver != 0 {
		t.Fatalf("%d distinct messages acked, %d redelivered; want %d, 0", len(acks), redeliver, total)
	}
	for body, n := range acks {
		if n != 1 {
			t.Fatalf("message %q acked %d times", body, n)
		}
	}
	s := q.Stats(t0)
	if s.Ready != 0 || s.Unacked != 0 || s.Published != total || s.Acked != total || s.Delivered != total {
		t.Fatalf("Stats = %+v, want everything published, delivered and acked once", s)
	}
	if confirmed.Load() != total || l.Stats().Messages != 0 {
		t.Fatalf("%d confirmed, log holds %d; want %d, 0", confirmed.Load(), l.Stats().Messages, total)
	}
}
