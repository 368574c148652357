package amqp_test

import (
	"fmt"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// getN gets n messages without auto-ack and returns them in order.
func getN(t *testing.T, ch *amqp091.Channel, q string, n int) []amqp091.Delivery {
	t.Helper()
	var out []amqp091.Delivery
	for range n {
		d, ok, err := ch.Get(q, false)
		must(t, err)
		if !ok {
			t.Fatalf("get-empty after %d of %d", len(out), n)
		}
		out = append(out, d)
	}
	return out
}

func bodies(ds []amqp091.Delivery) string {
	s := ""
	for _, d := range ds {
		s += string(d.Body) + " "
	}
	return s
}

func TestGetAckNackReject(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "g")
	for i := range 6 {
		publish(t, ch, "", "g", fmt.Sprint(i))
	}
	ds := getN(t, ch, "g", 6)
	if bodies(ds) != "0 1 2 3 4 5 " {
		t.Fatalf("got %q", bodies(ds))
	}
	if ds[0].MessageCount != 5 || ds[5].MessageCount != 0 {
		t.Fatalf("message counts %d, %d; want 5, 0", ds[0].MessageCount, ds[5].MessageCount)
	}
	must(t, ds[1].Ack(true))         // acks 0 and 1
	must(t, ds[2].Reject(false))     // 2 dropped
	must(t, ds[4].Nack(true, true))  // 3 and 4 back, in order
	must(t, ds[5].Nack(false, true)) // 5 back
	again := getN(t, ch, "g", 3)
	if bodies(again) != "3 4 5 " {
		t.Fatalf("after nack: %q", bodies(again))
	}
	for _, d := range again {
		if !d.Redelivered {
			t.Fatalf("message %s not marked redelivered", d.Body)
		}
	}
	must(t, again[2].Ack(true))
	if _, ok, err := ch.Get("g", false); ok || err != nil {
		t.Fatalf("queue should be empty: ok=%v err=%v", ok, err)
	}
}

func TestUnknownDeliveryTag(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	declare(t, ch, "u")
	publish(t, ch, "", "u", "x")
	d := getN(t, ch, "u", 1)[0]
	must(t, d.Ack(false))
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	must(t, d.Ack(false)) // twice: the tag is gone
	err := amqpErr(t, closed)
	if err.Code != 406 || err.Reason != "PRECONDITION_FAILED - unknown delivery tag 1" {
		t.Fatalf("double ack: %v", err)
	}
	// Only the channel closed.
	ch2, err2 := c.Channel()
	must(t, err2)
	declare(t, ch2, "u2")
}

func TestPrefetchHoldsExactly(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "pf")
	for i := range 5 {
		publish(t, ch, "", "pf", fmt.Sprint(i))
	}
	must(t, ch.Qos(2, 0, false))
	msgs, err := ch.Consume("pf", "", false, false, false, false, nil)
	must(t, err)
	d0, d1 := recv(t, msgs), recv(t, msgs)
	// The broker's view: exactly 2 leased, 3 ready.
	info, err := e.broker.QueueInfo("/", "pf")
	must(t, err)
	if info.Stats.Unacked != 2 || info.Stats.Ready != 3 {
		t.Fatalf("with prefetch 2: unacked %d ready %d", info.Stats.Unacked, info.Stats.Ready)
	}
	select {
	case d := <-msgs:
		t.Fatalf("third delivery %q beyond prefetch", d.Body)
	default:
	}
	must(t, d0.Ack(false))
	d2 := recv(t, msgs)
	if string(d2.Body) != "2" {
		t.Fatalf("after one ack got %q", d2.Body)
	}
	must(t, d1.Ack(false))
	must(t, d2.Ack(false))
	for _, want := range []string{"3", "4"} {
		d := recv(t, msgs)
		if string(d.Body) != want {
			t.Fatalf("got %q want %q", d.Body, want)
		}
		must(t, d.Ack(false))
	}
}

func TestGlobalPrefetchAcrossConsumers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "ga")
	declare(t, ch, "gb")
	for i := range 3 {
		publish(t, ch, "", "ga", fmt.Sprint("a", i))
		publish(t, ch, "", "gb", fmt.Sprint("b", i))
	}
	must(t, ch.Qos(3, 0, true))
	a, err := ch.Consume("ga", "ca", false, false, false, false, nil)
	must(t, err)
	b, err := ch.Consume("gb", "cb", false, false, false, false, nil)
	must(t, err)
	// Three deliveries in all reach the client, from either consumer.
	got := map[string]amqp091.Delivery{}
	for len(got) < 3 {
		select {
		case d := <-a:
			got[string(d.Body)] = d
		case d := <-b:
			got[string(d.Body)] = d
		}
	}
	// Acking one lets exactly one more through; a round trip (a declare)
	// on the channel proves nothing else was sent meanwhile.
	declare(t, ch, "ga")
	select {
	case d := <-a:
		t.Fatalf("delivery %q beyond the channel limit", d.Body)
	case d := <-b:
		t.Fatalf("delivery %q beyond the channel limit", d.Body)
	default:
	}
	for _, d := range got {
		must(t, d.Ack(false))
		break
	}
	select {
	case <-a:
	case <-b:
	}
}

func TestRecoverRedelivers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "rc")
	publish(t, ch, "", "rc", "x")
	d := getN(t, ch, "rc", 1)[0]
	if d.Redelivered {
		t.Fatal("first delivery marked redelivered")
	}
	must(t, ch.Recover(true))
	again := getN(t, ch, "rc", 1)[0]
	if !again.Redelivered || string(again.Body) != "x" {
		t.Fatalf("after recover: %q redelivered=%v", again.Body, again.Redelivered)
	}
	must(t, again.Ack(false))
}

// TestDroppedConsumerRedelivers: a consumer's connection goes away with
// unacked messages; another consumer gets them, marked redelivered.
func TestDroppedConsumerRedelivers(t *testing.T) {
	e := start(t)
	c1, ch1 := e.channel()
	declare(t, ch1, "drop")
	for i := range 3 {
		publish(t, ch1, "", "drop", fmt.Sprint(i))
	}
	msgs, err := ch1.Consume("drop", "", false, false, false, false, nil)
	must(t, err)
	for range 3 {
		recv(t, msgs)
	}
	must(t, c1.Close())

	_, ch2 := e.channel()
	msgs2, err := ch2.Consume("drop", "", false, false, false, false, nil)
	must(t, err)
	for i := range 3 {
		d := recv(t, msgs2)
		if string(d.Body) != fmt.Sprint(i) || !d.Redelivered {
			t.Fatalf("delivery %d: %q redelivered=%v", i, d.Body, d.Redelivered)
		}
		must(t, d.Ack(false))
	}
}

func TestNoAckConsumer(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "na")
	publish(t, ch, "", "na", "x")
	msgs, err := ch.Consume("na", "", true, false, false, false, nil)
	must(t, err)
	d := recv(t, msgs)
	if string(d.Body) != "x" {
		t.Fatalf("got %q", d.Body)
	}
	info, err := e.broker.QueueInfo("/", "na")
	must(t, err)
	if info.Stats.Unacked != 0 || info.Stats.Ready != 0 {
		t.Fatalf("no-ack delivery left unacked %d ready %d", info.Stats.Unacked, info.Stats.Ready)
	}
}
