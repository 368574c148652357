package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// confirmedPublisher publishes with confirms on its own channel and waits
// for each confirm.
type confirmedPublisher struct {
	t    *testing.T
	ch   *amqp.Channel
	acks chan amqp.Confirmation
}

func newConfirmedPublisher(t *testing.T, conn *amqp.Connection) *confirmedPublisher {
	t.Helper()
	ch, err := conn.Channel()
	must(t, err)
	must(t, ch.Confirm(false))
	return &confirmedPublisher{t: t, ch: ch, acks: ch.NotifyPublish(make(chan amqp.Confirmation, 1))}
}

// publish sends one persistent message to queue and returns once it is
// confirmed (and fails the test on a nack).
func (p *confirmedPublisher) publish(queue, body string, headers amqp.Table) {
	p.t.Helper()
	must(p.t, p.ch.PublishWithContext(context.Background(), "", queue, false, false, amqp.Publishing{
		DeliveryMode: amqp.Persistent, Headers: headers, Body: []byte(body)}))
	if c := <-p.acks; !c.Ack {
		p.t.Fatalf("publish of %q to %s was nacked", body, queue)
	}
}

// bodiesOf takes every ready message of queue with basic.get, acks them,
// and returns their bodies in order.
func bodiesOf(t *testing.T, ch *amqp.Channel, queue string) []string {
	t.Helper()
	var out []string
	for {
		d, ok, err := ch.Get(queue, false)
		must(t, err)
		if !ok {
			return out
		}
		out = append(out, string(d.Body))
		must(t, d.Ack(false))
	}
}

// TestCrashDeliveryStateSurvivesKill9 is issue 4's crash test: what the
// delivery rules keep on disk (delays, deduplication ids, delivery counts,
// dead-letter moves) is still right after SIGKILL and a restart.
func TestCrashDeliveryStateSurvivesKill9(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startNode(t, dir, "--sync=always")
	conn := n.dial(t)
	ch, err := conn.Channel()
	must(t, err)
	declare := func(name string, args amqp.Table) {
		_, err := ch.QueueDeclare(name, true, false, false, false, args)
		must(t, err)
	}
	declare("rules.dedup", nil)
	declare("rules.delay", nil)
	declare("rules.count-dead", nil)
	declare("rules.count", amqp.Table{"x-delivery-limit": int32(1),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "rules.count-dead"})
	declare("rules.dead-dlq", nil)
	declare("rules.dead", amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "rules.dead-dlq"})
	pub := newConfirmedPublisher(t, conn)

	// Deduplication ids, confirmed before the crash.
	for i := range 20 {
		pub.publish("rules.dedup", fmt.Sprint("d", i), amqp.Table{"x-deduplication-id": fmt.Sprint("id-", i)})
	}
	// Delayed messages, published latest-due first (so due order is not
	// publish order): due 2.4 s down to 1.5 s after their publish.
	type delayed struct {
		body string
		due  time.Time
	}
	var delays []delayed
	for i := range 10 {
		d := 2400*time.Millisecond - time.Duration(i)*100*time.Millisecond
		body := fmt.Sprint("late-", i)
		delays = append(delays, delayed{body, time.Now().Add(d)})
		pub.publish("rules.delay", body, amqp.Table{"x-delay": int64(d / time.Millisecond)})
	}
	// Delivery counts: five messages delivered and nacked once each. A
	// confirmed publish to the same queue on the same channel after the
	// nacks puts their Requeue records on disk (a channel's methods are
	// handled in order, and a queue's log is written in order).
	for i := range 5 {
		pub.publish("rules.count", fmt.Sprint("c", i), nil)
	}
	var held []amqp.Delivery // all five leased first, or a nacked one would be got again
	for range 5 {
		d, ok, err := pub.ch.Get("rules.count", false)
		must(t, err)
		if !ok {
			t.Fatal("rules.count is empty")
		}
		held = append(held, d)
	}
	for _, d := range held {
		must(t, d.Nack(false, true))
	}
	pub.publish("rules.count", "marker", nil)
	// Dead-letter moves in flight at the kill: ten rejects, then SIGKILL
	// without waiting for the moves.
	for i := range 10 {
		pub.publish("rules.dead", fmt.Sprint("x", i), nil)
	}
	for range 10 {
		d, ok, err := ch.Get("rules.dead", false)
		must(t, err)
		if !ok {
			t.Fatal("rules.dead is empty")
		}
		must(t, d.Nack(false, false))
	}
	n.kill9(t)

	n = startNode(t, dir, "--sync=always")
	conn = n.dial(t)
	ch, err = conn.Channel()
	must(t, err)
	pub = newConfirmedPublisher(t, conn)

	// Dedup ids survived: publishing them again is confirmed and dropped.
	for i := range 20 {
		pub.publish("rules.dedup", fmt.Sprint("again-d", i), amqp.Table{"x-deduplication-id": fmt.Sprint("id-", i)})
	}
	got := bodiesOf(t, ch, "rules.dedup")
	want := make([]string, 20)
	for i := range want {
		want[i] = fmt.Sprint("d", i)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules.dedup after restart and republish = %v, want the 20 originals once", got)
	}

	// Delivery counts survived: one more failure each reaches the limit
	// (1 return allowed), so they go to the dead-letter queue, not back.
	held = nil
	for range 6 {
		d, ok, err := ch.Get("rules.count", false)
		must(t, err)
		if !ok {
			t.Fatal("rules.count lost messages in the crash")
		}
		if string(d.Body) == "marker" {
			must(t, d.Ack(false))
			continue
		}
		if !d.Redelivered {
			t.Errorf("%s: not marked redelivered after restart", d.Body)
		}
		held = append(held, d)
	}
	for _, d := range held {
		must(t, d.Nack(false, true))
	}
	deadCh, err := conn.Channel()
	must(t, err)
	dead, err := deadCh.Consume("rules.count-dead", "", false, false, false, false, nil)
	must(t, err)
	var counted []string
	for len(counted) < 5 {
		d := <-dead
		if r, _ := d.Headers["x-first-death-reason"].(string); r != "delivery_limit" {
			t.Errorf("%s died of %q, want delivery_limit", d.Body, r)
		}
		counted = append(counted, string(d.Body))
		must(t, d.Ack(false))
	}
	slices.Sort(counted)
	if want := []string{"c0", "c1", "c2", "c3", "c4"}; !slices.Equal(counted, want) {
		t.Errorf("dead after the limit: %v, want %v", counted, want)
	}

	// Dead-letter moves: each rejected message is in the dead-letter queue
	// or back in its queue (a move cut by the kill is redone), never lost.
	seen := map[string]int{}
	for _, b := range bodiesOf(t, ch, "rules.dead-dlq") {
		seen[b]++
	}
	for _, b := range bodiesOf(t, ch, "rules.dead") {
		seen[b]++
	}
	for i := range 10 {
		if b := fmt.Sprint("x", i); seen[b] == 0 {
			t.Errorf("dead letter %s lost in the crash", b)
		}
	}

	// Delays survived: each delayed message comes, not before it was due,
	// in due order.
	delayCh, err := conn.Channel()
	must(t, err)
	late, err := delayCh.Consume("rules.delay", "", false, false, false, false, nil)
	must(t, err)
	var order []string
	for len(order) < len(delays) {
		d := <-late
		arrived := time.Now()
		must(t, d.Ack(false))
		i := slices.IndexFunc(delays, func(x delayed) bool { return x.body == string(d.Body) })
		if i < 0 {
			t.Fatalf("unexpected %q", d.Body)
		}
		if arrived.Before(delays[i].due) {
			t.Errorf("%s delivered %v before it was due", d.Body, delays[i].due.Sub(arrived))
		}
		order = append(order, string(d.Body))
	}
	for i, b := range order {
		if b != delays[len(delays)-1-i].body {
			t.Errorf("delayed messages out of due order: %v", order)
			break
		}
	}
	n.stop(t)
}
