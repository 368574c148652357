package broker

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/queue"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// TestDurableQueueOnDisk runs the real arrangement: durable logs in a
// diskstore with sync=always, definitions in a meta file, transient logs
// in memory. Confirmed messages and delivery counts survive Close and
// New; the transient queue does not.
func TestDurableQueueOnDisk(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(clock.Real{}.Now())
	start := func() (*Broker, func()) {
		t.Helper()
		ds, err := diskstore.Open(filepath.Join(dir, "logs"), diskstore.Options{Sync: segment.SyncAlways, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		m, err := meta.Open(filepath.Join(dir, "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(Config{Durable: ds, Transient: memstore.New(), Meta: m, Clock: clk, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return b, func() {
			t.Helper()
			for _, c := range []interface{ Close() error }{b, ds, m} {
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	b, stop := start()
	if _, _, err := b.DeclareQueue("/", "jobs", QueueOptions{Durable: true, Args: map[string]any{"x-max-length": 1000}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.DeclareQueue("/", "scratch", QueueOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	confirms := make(chan error, 2*n)
	for i := range n {
		for _, q := range []string{"jobs", "scratch"} {
			m := &message.Message{RoutingKey: q, Body: fmt.Appendf(nil, "%s-%d", q, i)}
			if err := b.Publish("/", q, m, func(err error) { confirms <- err }); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 * n {
		if err := <-confirms; err != nil {
			t.Fatalf("confirm: %v", err)
		}
	}
	q, _ := b.Queue("/", "jobs")
	acked := make(chan error, 1)
	d, _, _ := q.Get(1, false, b.Now())
	if err := q.Ack(1, d.ID, b.Now(), func(err error) { acked <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-acked; err != nil {
		t.Fatalf("ack confirm: %v", err)
	}
	leased, _, _ := q.Get(1, false, b.Now()) // still leased at Close
	stop()

	b, stop = start()
	defer stop()
	if _, err := b.Queue("/", "scratch"); CodeOf(err) != NotFound {
		t.Fatalf("transient queue after restart: %v", err)
	}
	if _, created, err := b.DeclareQueue("/", "jobs", QueueOptions{Durable: true, Args: map[string]any{"x-max-length": int64(1000)}}); err != nil || created {
		t.Fatalf("redeclare after restart = %v, %v", created, err)
	}
	q, _ = b.Queue("/", "jobs")
	var bodies []string
	var first queue.Delivery
	for {
		d, ok, err := q.Get(2, true, b.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if len(bodies) == 0 {
			first = d
		}
		m, err := message.Decode(d.Data)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(m.Body))
	}
	var want []string
	for i := 1; i < n; i++ {
		want = append(want, fmt.Sprintf("jobs-%d", i))
	}
	if !slices.Equal(bodies, want) {
		t.Fatalf("after restart got %v\nwant %v", bodies, want)
	}
	if first.ID != leased.ID || first.Deliveries != 2 {
		t.Fatalf("message leased at Close came back as id %d with %d deliveries; want id %d, 2", first.ID, first.Deliveries, leased.ID)
	}
}
