package amqp_test

import (
	"context"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// BenchmarkConfirmed1KiB: one producer and one consumer on their
// own connections; the producer publishes 1 KiB persistent messages to a
// durable queue on the disk store (sync=always) with publisher confirms,
// keeping up to 256 unconfirmed; the consumer (prefetch 256) acks each.
// Reports end-to-end messages per second. The transient variant (memory
// store, no fsync) shows what the front end costs without the disk.
func BenchmarkConfirmed1KiB(b *testing.B) {
	b.Run("durable-disk-sync-always", func(b *testing.B) { benchConfirmed(b, true) })
	b.Run("transient-memory", func(b *testing.B) { benchConfirmed(b, false) })
}

func benchConfirmed(b *testing.B, durable bool) {
	e := start(b)

	pc, err := amqp091.Dial(e.url("guest", "guest"))
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	cc, err := amqp091.Dial(e.url("guest", "guest"))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	pch, _ := pc.Channel()
	cch, _ := cc.Channel()
	mode := amqp091.Transient
	if durable {
		mode = amqp091.Persistent
	}
	if _, err := pch.QueueDeclare("bench", durable, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	if err := pch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	const window = 256
	confirms := pch.NotifyPublish(make(chan amqp091.Confirmation, window))
	if err := cch.Qos(window, 0, false); err != nil {
		b.Fatal(err)
	}
	msgs, err := cch.Consume("bench", "", false, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	start := time.Now()

	consumed := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			d, ok := <-msgs
			if !ok {
				consumed <- errClosed
				return
			}
			if err := d.Ack(false); err != nil {
				consumed <- err
				return
			}
		}
		consumed <- nil
	}()
	slots := make(chan struct{}, window)
	nacks := make(chan int, 1)
	go func() {
		n := 0
		for i := 0; i < b.N; i++ {
			c := <-confirms
			if !c.Ack {
				n++
			}
			<-slots
		}
		nacks <- n
	}()
	for i := 0; i < b.N; i++ {
		slots <- struct{}{}
		if err := pch.PublishWithContext(context.Background(), "", "bench", false, false,
			amqp091.Publishing{DeliveryMode: mode, Body: body}); err != nil {
			b.Fatal(err)
		}
	}
	if n := <-nacks; n != 0 {
		b.Fatalf("%d nacks", n)
	}
	if err := <-consumed; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

type benchErr string

func (e benchErr) Error() string { return string(e) }

const errClosed = benchErr("delivery channel closed")
