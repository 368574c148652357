package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// benchBroker is a broker on memstore with no meta: what is measured is
// routing, encoding and the queues' enqueue, not a disk.
func benchBroker(b *testing.B) *Broker {
	b.Helper()
	br, err := New(Config{Durable: memstore.New(), Clock: clock.NewFake(time.Unix(0, 0)), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close() })
	return br
}

// runRoute routes m b.N times with a confirm callback, as a publisher in
// confirm mode does, purging the queues now and then (off the clock) so
// that memory stays flat, and reports messages routed per second.
func runRoute(b *testing.B, br *Broker, m *message.Message, queues []*queue.Queue, wantQueues int) {
	b.Helper()
	done := func(err error) {
		if err != nil {
			b.Error(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	paused := time.Duration(0)
	for i := 0; i < b.N; i++ {
		n, err := br.Route("/", m, done)
		if err != nil || n != wantQueues {
			b.Fatalf("Route = %d, %v; want %d queues", n, err, wantQueues)
		}
		if i%4096 == 4095 {
			b.StopTimer()
			t := time.Now()
			for _, q := range queues {
				q.Purge(br.Now())
			}
			paused += time.Since(t)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N)/(time.Since(start)-paused).Seconds(), "msgs/s")
}

func benchMessage(exchange, key string) *message.Message {
	m := &message.Message{Exchange: exchange, RoutingKey: key, Body: make([]byte, 256)}
	m.Properties.Flags = message.FlagDeliveryMode | message.FlagContentType
	m.Properties.DeliveryMode, m.Properties.ContentType = message.Persistent, "application/json"
	return m
}

// BenchmarkRouteDirect: one queue bound to amq.direct by key, among 100
// other keys.
func BenchmarkRouteDirect(b *testing.B) {
	br := benchBroker(b)
	var qs []*queue.Queue
	for i := range 100 {
		name := fmt.Sprint("q", i)
		q, _, err := br.DeclareQueue("/", name, QueueOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := br.BindQueue("/", name, "amq.direct", name, nil); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, q)
	}
	runRoute(b, br, benchMessage("amq.direct", "q42"), qs[42:43], 1)
}

// BenchmarkRouteTopicFanout4: a topic exchange whose bindings send the
// key to 4 queues, through patterns of each shape, among 60 bindings that
// do not match.
func BenchmarkRouteTopicFanout4(b *testing.B) {
	br := benchBroker(b)
	if err := br.DeclareExchange("/", "events", ExchangeOptions{Kind: "topic"}); err != nil {
		b.Fatal(err)
	}
	var qs []*queue.Queue
	for i, pattern := range []string{"orders.eu.created", "orders.*.created", "orders.#", "#.created"} {
		name := fmt.Sprint("match", i)
		q, _, err := br.DeclareQueue("/", name, QueueOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := br.BindQueue("/", name, "events", pattern, nil); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, q)
	}
	if _, _, err := br.DeclareQueue("/", "other", QueueOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := range 60 {
		pattern := fmt.Sprintf("%s.r%d.*", []string{"orders", "users", "payments"}[i%3], i)
		if err := br.BindQueue("/", "other", "events", pattern, nil); err != nil {
			b.Fatal(err)
		}
	}
	runRoute(b, br, benchMessage("events", "orders.eu.created"), qs, 4)
}
