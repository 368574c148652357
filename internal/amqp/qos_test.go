package amqp_test

import (
	"fmt"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// wantQueue checks a queue's ready and unacked counts in the broker.
// Callers make a round trip first (syncChannel, or a synchronous method)
// on every channel whose methods could still change them.
func wantQueue(t *testing.T, e *env, name string, ready, unacked int) {
	t.Helper()
	info, err := e.broker.QueueInfo("/", name)
	must(t, err)
	if info.Stats.Ready != ready || info.Stats.Unacked != unacked {
		t.Fatalf("queue %s: ready %d unacked %d, want %d and %d", name, info.Stats.Ready, info.Stats.Unacked, ready, unacked)
	}
}

// recvAny waits for a delivery from either consumer.
func recvAny(t *testing.T, a, b <-chan amqp091.Delivery) amqp091.Delivery {
	t.Helper()
	select {
	case d := <-a:
		return d
	case d := <-b:
		return d
	case <-time.After(hangGuard):
		t.Fatal("no delivery")
	}
	panic("unreachable")
}

// basic.qos global=2 with two consumers of one queue: the queue leases
// 2 in all, as RabbitMQ does, not 2 per consumer.
func TestGlobalQosBoundsWhatTheQueueLeases(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "g10")
	for i := range 10 {
		publish(t, ch, "", "g10", fmt.Sprint(i))
	}
	must(t, ch.Qos(2, 0, true))
	a, err := ch.Consume("g10", "a", false, false, false, false, nil)
	must(t, err)
	b, err := ch.Consume("g10", "b", false, false, false, false, nil)
	must(t, err)
	d1, d2 := recvAny(t, a, b), recvAny(t, a, b)
	syncChannel(t, ch, "g10")
	wantQueue(t, e, "g10", 8, 2)
	none(t, a, "beyond the channel's limit")
	none(t, b, "beyond the channel's limit")
	// One ack lets exactly one more through.
	must(t, d1.Ack(false))
	d3 := recvAny(t, a, b)
	syncChannel(t, ch, "g10")
	wantQueue(t, e, "g10", 7, 2)
	// Ack with multiple returns both credits.
	if d2.DeliveryTag > d3.DeliveryTag {
		d3 = d2
	}
	must(t, d3.Ack(true))
	recvAny(t, a, b)
	recvAny(t, a, b)
	syncChannel(t, ch, "g10")
	wantQueue(t, e, "g10", 5, 2)
}

// basic.qos global=1 sent after basic.consume: the channel's consumer
// holds one message; a consumer on another channel gets the other 49.
func TestGlobalQosAfterConsumeLeavesTheRestToOthers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "late")
	a, err := ch.Consume("late", "a", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Qos(1, 0, true))
	_, pub := e.channel()
	for i := range 50 {
		publish(t, pub, "", "late", fmt.Sprint(i))
	}
	syncChannel(t, pub, "late")
	if d := await(t, a); string(d.Body) != "0" {
		t.Fatalf("first delivery %q", d.Body)
	}
	syncChannel(t, ch, "late")
	wantQueue(t, e, "late", 49, 1)
	_, ch2 := e.channel()
	b, err := ch2.Consume("late", "b", false, false, false, false, nil)
	must(t, err)
	for i := 1; i < 50; i++ {
		if d := await(t, b); string(d.Body) != fmt.Sprint(i) {
			t.Fatalf("delivery %d to the other channel: %q", i, d.Body)
		}
	}
	syncChannel(t, ch, "late")
	none(t, a, "beyond the channel's limit")
	wantQueue(t, e, "late", 0, 50)
}

// Per-consumer and global prefetch both apply; raising the global limit
// lets more through at once.
func TestGlobalAndPerConsumerQos(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "both")
	for i := range 10 {
		publish(t, ch, "", "both", fmt.Sprint(i))
	}
	must(t, ch.Qos(1, 0, false))
	must(t, ch.Qos(3, 0, true))
	var cs []<-chan amqp091.Delivery
	for i := range 4 {
		c, err := ch.Consume("both", fmt.Sprint("c", i), false, false, false, false, nil)
		must(t, err)
		cs = append(cs, c)
	}
	syncChannel(t, ch, "both")
	wantQueue(t, e, "both", 7, 3)
	must(t, ch.Qos(2, 0, false)) // for consumers from now on
	c5, err := ch.Consume("both", "c5", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Qos(6, 0, true))
	syncChannel(t, ch, "both")
	// c3 takes one (prefetch 1), c5 two (prefetch 2): 6 out, the limit.
	wantQueue(t, e, "both", 4, 6)
	must(t, ch.Qos(20, 0, true))
	syncChannel(t, ch, "both")
	wantQueue(t, e, "both", 4, 6) // now the consumers' own prefetch holds
	for _, c := range append(cs, c5) {
		recv(t, c)
	}
}

// The credits of recovered, requeued and rejected deliveries come back:
// on a channel with global=1 and two consumers, one message is out at a
// time, and it is redelivered after basic.recover and a requeue.
func TestGlobalQosRecoverAndRequeue(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "rq")
	must(t, ch.Qos(1, 0, true))
	a, err := ch.Consume("rq", "a", false, false, false, false, nil)
	must(t, err)
	b, err := ch.Consume("rq", "b", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "rq", "x")
	publish(t, ch, "", "rq", "y")
	d := recvAny(t, a, b)
	syncChannel(t, ch, "rq")
	wantQueue(t, e, "rq", 1, 1)
	must(t, ch.Recover(true))
	again := recvAny(t, a, b)
	if string(again.Body) != string(d.Body) || !again.Redelivered {
		t.Fatalf("after recover: %q redelivered=%v", again.Body, again.Redelivered)
	}
	must(t, again.Nack(false, true))
	third := recvAny(t, a, b)
	if string(third.Body) != string(d.Body) || !third.Redelivered {
		t.Fatalf("after nack: %q redelivered=%v", third.Body, third.Redelivered)
	}
	syncChannel(t, ch, "rq")
	wantQueue(t, e, "rq", 1, 1)
	must(t, third.Reject(false))
	if last := recvAny(t, a, b); string(last.Body) != "y" {
		t.Fatalf("after reject: %q", last.Body)
	}
}

// startSlowAndOther starts a node on a fake clock with queues "slow"
// (x-consumer-timeout 10 s) and "other", and a channel with basic.qos
// global=1 consuming "slow" (tag "slow").
func startSlowAndOther(t *testing.T) (*env, *testClock, *amqp091.Channel, <-chan amqp091.Delivery) {
	t.Helper()
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "slow", amqp091.Table{"x-consumer-timeout": int32(10000)})
	declare(t, ch, "other")
	must(t, ch.Qos(1, 0, true))
	slow, err := ch.Consume("slow", "slow", false, false, false, false, nil)
	must(t, err)
	return e, clk, ch, slow
}

// Consumers parked by the channel's limit in one queue get going when a
// delivery of another queue is acked, and when the queue takes back what
// a timed-out consumer held.
func TestGlobalQosAcrossQueuesAndConsumerTimeout(t *testing.T) {
	e, clk, ch, slow := startSlowAndOther(t)
	other, err := ch.Consume("other", "other", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "slow", "s")
	publish(t, ch, "", "other", "o1")
	publish(t, ch, "", "other", "o2")
	at := clk.Now().Add(10 * time.Second)
	s := await(t, slow)
	syncChannel(t, ch, "other")
	none(t, other, "while slow holds the channel's one credit")
	wantQueue(t, e, "other", 2, 0)
	clk.waitTimer(t, at)
	clk.Advance(10 * time.Second)
	o := await(t, other)
	if string(o.Body) != "o1" {
		t.Fatalf("after the timeout: %q", o.Body)
	}
	must(t, s.Ack(false)) // late: ignored by the queue, and its credit is not given twice
	syncChannel(t, ch, "other")
	none(t, other, "beyond the channel's limit")
	wantQueue(t, e, "other", 1, 1)
	must(t, o.Ack(false))
	if o2 := await(t, other); string(o2.Body) != "o2" {
		t.Fatalf("after the ack: %q", o2.Body)
	}
}

// A consumer cancelled while it holds the channel's one credit, whose
// message the queue then takes back (x-consumer-timeout): the credit
// comes back with it, and the channel's other consumer gets going. The
// queue is the only one to see that end of the delivery.
func TestGlobalQosCreditBackAfterCancelledConsumerTimesOut(t *testing.T) {
	e, clk, ch, slow := startSlowAndOther(t)
	publish(t, ch, "", "slow", "s")
	at := clk.Now().Add(10 * time.Second)
	await(t, slow)
	must(t, ch.Cancel("slow", false))
	other, err := ch.Consume("other", "other", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "other", "o1")
	syncChannel(t, ch, "other")
	wantQueue(t, e, "other", 1, 0)
	clk.waitTimer(t, at)
	clk.Advance(10 * time.Second)
	if o := await(t, other); string(o.Body) != "o1" {
		t.Fatalf("after the cancelled consumer's timeout: %q", o.Body)
	}
	wantQueue(t, e, "slow", 1, 0)
}
