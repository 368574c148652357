package amqp_test

import (
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// syncChannel makes a round trip on ch, so every method sent before it
// (acks and nacks have no reply) has been handled by the server.
func syncChannel(t *testing.T, ch *amqp091.Channel, q string) {
	t.Helper()
	_, err := ch.QueueDeclarePassive(q, false, false, false, false, nil)
	must(t, err)
}

// TestRetryBackoff: with x-retry-initial-delay a nacked (requeued)
// message is not redelivered until the delay has passed, then comes back
// redelivered; the next failure waits twice as long.
func TestRetryBackoff(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "retry", amqp091.Table{"x-retry-initial-delay": int32(1000)})
	_, ds := consume(t, e, "retry", 1)
	publish(t, ch, "", "retry", "job")
	d := await(t, ds)
	if d.Redelivered {
		t.Fatal("first delivery marked redelivered")
	}
	for _, delay := range []time.Duration{time.Second, 2 * time.Second} {
		at := clk.Now().Add(delay)
		must(t, d.Nack(false, true))
		clk.waitTimer(t, at)
		info, err := e.broker.QueueInfo("/", "retry")
		must(t, err)
		if s := info.Stats; s.Delayed != 1 || s.Ready != 0 || s.Unacked != 0 {
			t.Fatalf("after nack: %+v, want the message delayed", s)
		}
		clk.Advance(delay - time.Millisecond)
		none(t, ds, "before the retry delay")
		if _, ok, err := ch.Get("retry", false); err != nil || ok {
			t.Fatalf("get before the retry delay: ok=%v err=%v", ok, err)
		}
		clk.Advance(time.Millisecond)
		d = await(t, ds)
		if string(d.Body) != "job" || !d.Redelivered {
			t.Fatalf("redelivery: %q redelivered=%v", d.Body, d.Redelivered)
		}
	}
	must(t, d.Ack(false))
}

// TestDelayHeader: a message with header x-delay is not delivered before
// the clock reaches publish time + delay; a message without it is
// delivered at once, overtaking it.
func TestDelayHeader(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declare(t, ch, "later")
	_, ds := consume(t, e, "later", 0)
	at := clk.Now().Add(3 * time.Second)
	publishMsg(t, ch, "", "later", amqp091.Publishing{Body: []byte("delayed"), Headers: amqp091.Table{"x-delay": int32(3000)}})
	publish(t, ch, "", "later", "now")
	if d := await(t, ds); string(d.Body) != "now" {
		t.Fatalf("first delivery %q, want the undelayed message", d.Body)
	}
	clk.waitTimer(t, at)
	clk.Advance(3*time.Second - time.Millisecond)
	none(t, ds, "before x-delay")
	info, err := e.broker.QueueInfo("/", "later")
	must(t, err)
	if info.Stats.Delayed != 1 {
		t.Fatalf("before x-delay: %+v", info.Stats)
	}
	clk.Advance(time.Millisecond)
	d := await(t, ds)
	if string(d.Body) != "delayed" || d.Redelivered {
		t.Fatalf("delayed delivery %q redelivered=%v", d.Body, d.Redelivered)
	}
}

// TestDeduplication: two publishes with the same x-deduplication-id are
// both confirmed; the queue delivers one.
func TestDeduplication(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	declare(t, ch, "dedup")
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 3))
	for _, body := range []string{"first", "second"} {
		publishMsg(t, ch, "", "dedup", amqp091.Publishing{Body: []byte(body), Headers: amqp091.Table{"x-deduplication-id": "order-1"}})
	}
	publish(t, ch, "", "dedup", "marker")
	for i := range 3 {
		if c := <-confirms; !c.Ack || c.DeliveryTag != uint64(i+1) {
			t.Fatalf("confirm %d: %+v", i+1, c)
		}
	}
	_, ds := consume(t, e, "dedup", 0)
	// The marker comes right after the one copy: nothing in between.
	for _, want := range []string{"first", "marker"} {
		if d := await(t, ds); string(d.Body) != want {
			t.Fatalf("delivery %q, want %q", d.Body, want)
		}
	}
	info, err := e.broker.QueueInfo("/", "dedup")
	must(t, err)
	if s := info.Stats; s.Deduplicated != 1 || s.Published != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestFIFOGroups: in an x-fifo queue a group's next message waits while
// one of the group is unacked, even when a consumer is free; other
// groups go on.
func TestFIFOGroups(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "fifo", amqp091.Table{"x-fifo": true})
	grp := func(body, g string) {
		publishMsg(t, ch, "", "fifo", amqp091.Publishing{Body: []byte(body), Headers: amqp091.Table{"x-group-id": g}})
	}
	ch1, c1 := consume(t, e, "fifo", 1)
	grp("a1", "a")
	a1 := await(t, c1)
	if string(a1.Body) != "a1" {
		t.Fatalf("c1 got %q", a1.Body)
	}
	ch2, c2 := consume(t, e, "fifo", 1)
	grp("a2", "a")
	grp("b1", "b")
	// c2 is free, but a2 waits for a1: c2 gets b1.
	b1 := await(t, c2)
	if string(b1.Body) != "b1" {
		t.Fatalf("c2 got %q, want b1 (a2 must wait for a1)", b1.Body)
	}
	must(t, b1.Ack(false))
	syncChannel(t, ch2, "fifo")
	info, err := e.broker.QueueInfo("/", "fifo")
	must(t, err)
	if s := info.Stats; s.Ready != 1 || s.Unacked != 1 || s.BlockedGroups != 1 {
		t.Fatalf("a2 held back: %+v", s)
	}
	none(t, c2, "a2 while a1 is unacked")
	must(t, a1.Ack(false))
	syncChannel(t, ch1, "fifo")
	var a2 amqp091.Delivery
	select {
	case a2 = <-c1:
	case a2 = <-c2:
	case <-time.After(hangGuard):
		t.Fatal("a2 not delivered after a1's ack")
	}
	if string(a2.Body) != "a2" || a2.Redelivered {
		t.Fatalf("after a1's ack: %q redelivered=%v", a2.Body, a2.Redelivered)
	}
}

// TestConsumerTimeout: a consumer that holds a message past
// x-consumer-timeout is cancelled (basic.cancel from the server); its
// channel stays open, its late ack is ignored, and the message goes to
// another consumer, redelivered.
func TestConsumerTimeout(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "slow", amqp091.Table{"x-consumer-timeout": int32(10000)})
	_, ch1 := e.channel()
	cancels := ch1.NotifyCancel(make(chan string, 1))
	closed := ch1.NotifyClose(make(chan *amqp091.Error, 1))
	c1, err := ch1.Consume("slow", "slowpoke", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "slow", "work")
	at := clk.Now().Add(10 * time.Second)
	d := await(t, c1)
	ch2, c2 := consume(t, e, "slow", 0)
	closed2 := ch2.NotifyClose(make(chan *amqp091.Error, 1))
	cancels2 := ch2.NotifyCancel(make(chan string, 1))
	defer func() {
		if t.Failed() {
			select {
			case err := <-closed2:
				t.Logf("ch2 closed: %v", err)
			default:
			}
			select {
			case tag := <-cancels2:
				t.Logf("ch2 consumer cancelled: %v", tag)
			default:
			}
		}
	}()
	clk.waitTimer(t, at)
	clk.Advance(10*time.Second - time.Millisecond)
	none(t, c2, "before the consumer timeout")
	clk.Advance(time.Millisecond)
	select {
	case tag := <-cancels:
		if tag != "slowpoke" {
			t.Fatalf("cancelled %q", tag)
		}
	case <-time.After(hangGuard):
		t.Fatal("no basic.cancel")
	}
	r := await(t, c2)
	if string(r.Body) != "work" || !r.Redelivered {
		t.Fatalf("redelivery %q redelivered=%v", r.Body, r.Redelivered)
	}
	// The channel goes on: the late ack is ignored, and methods work.
	must(t, d.Ack(false))
	syncChannel(t, ch1, "slow")
	publish(t, ch1, "", "slow", "more")
	if m := await(t, c2); string(m.Body) != "more" {
		t.Fatalf("got %q", m.Body)
	}
	select {
	case err := <-closed:
		t.Fatalf("channel closed: %v", err)
	default:
	}
	must(t, r.Ack(false))
}

// TestGetVisibilityTimeout: a message taken by basic.get from a queue
// with x-visibility-timeout returns by itself when the timeout passes.
func TestGetVisibilityTimeout(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "vis", amqp091.Table{"x-visibility-timeout": int32(30000)})
	publish(t, ch, "", "vis", "task")
	at := clk.Now().Add(30 * time.Second)
	d, ok, err := ch.Get("vis", false)
	must(t, err)
	if !ok || string(d.Body) != "task" {
		t.Fatalf("get: ok=%v %q", ok, d.Body)
	}
	clk.waitTimer(t, at)
	clk.Advance(30*time.Second - time.Millisecond)
	_, ch2 := e.channel()
	if _, ok, err := ch2.Get("vis", false); err != nil || ok {
		t.Fatalf("get before the visibility timeout: ok=%v err=%v", ok, err)
	}
	_, ds := consume(t, e, "vis", 0)
	clk.Advance(time.Millisecond)
	r := await(t, ds)
	if string(r.Body) != "task" || !r.Redelivered {
		t.Fatalf("after the visibility timeout: %q redelivered=%v", r.Body, r.Redelivered)
	}
	// The late ack of the first get is ignored: it neither closes the
	// channel nor settles the consumer's delivery.
	must(t, d.Ack(false))
	syncChannel(t, ch, "vis")
	info, err := e.broker.QueueInfo("/", "vis")
	must(t, err)
	if s := info.Stats; s.Unacked != 1 || s.Acked != 0 {
		t.Fatalf("after a late ack: %+v", s)
	}
	must(t, r.Ack(false))
}

// TestQueueExpires: a queue with x-expires that nobody uses is deleted
// once the clock passes it; a redeclare counts as a use.
func TestQueueExpires(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	args := amqp091.Table{"x-expires": int32(60000)}
	declareArgs(t, ch, "temp", args)
	clk.waitTimer(t, clk.Now().Add(time.Minute))
	clk.Advance(30 * time.Second)
	declareArgs(t, ch, "temp", args) // used: the minute starts again
	at := clk.Now().Add(time.Minute)
	clk.Advance(30 * time.Second) // the first deadline: the worker looks, and waits on
	clk.waitTimer(t, at)
	clk.Advance(30*time.Second - time.Millisecond)
	if _, err := e.broker.QueueInfo("/", "temp"); err != nil {
		t.Fatalf("temp gone before x-expires: %v", err)
	}
	clk.Advance(time.Millisecond)
	waitFor(t, "temp to be deleted", func() bool {
		_, err := e.broker.QueueInfo("/", "temp")
		return err != nil
	})
	_, err := ch.QueueDeclarePassive("temp", false, false, false, false, nil)
	wantCode(t, "passive declare of the expired queue", err, 404)
}

// TestConsumerTimeoutFreesConsumer: a consumer the server cancelled for
// its timeout is gone: its tag may be used again on the channel, and
// its exclusive claim on the queue ends, as after a basic.cancel.
func TestConsumerTimeoutFreesConsumer(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "excl", amqp091.Table{"x-consumer-timeout": int32(1000)})
	_, ch1 := e.channel()
	cancels := ch1.NotifyCancel(make(chan string, 1))
	c1, err := ch1.Consume("excl", "solo", false, true, false, false, nil)
	must(t, err)
	publish(t, ch, "", "excl", "work")
	at := clk.Now().Add(time.Second)
	await(t, c1)
	clk.waitTimer(t, at)
	clk.Advance(time.Second)
	select {
	case <-cancels:
	case <-time.After(hangGuard):
		t.Fatal("no basic.cancel")
	}
	// amqp091-go tells NotifyCancel before it closes the consumer's
	// delivery channel; wait for that close, or the client could close the
	// channel of the tag's next Consume below instead.
	for closed := false; !closed; {
		select {
		case _, ok := <-c1:
			closed = !ok
		case <-time.After(hangGuard):
			t.Fatal("the cancelled consumer's delivery channel stays open")
		}
	}
	// Another channel may now consume exclusively...
	_, ch2 := e.channel()
	c2, err := ch2.Consume("excl", "other", false, true, false, false, nil)
	must(t, err)
	r := await(t, c2)
	if string(r.Body) != "work" || !r.Redelivered {
		t.Fatalf("redelivery %q redelivered=%v", r.Body, r.Redelivered)
	}
	must(t, ch2.Cancel("other", false))
	must(t, r.Ack(false))
	// ...and the first channel may reuse its tag.
	c1, err = ch1.Consume("excl", "solo", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "excl", "again")
	if d := await(t, c1); string(d.Body) != "again" {
		t.Fatalf("got %q", d.Body)
	}
}

// TestDelaysSurviveRestart: a durable queue's delayed message and a
// message waiting out its retry delay keep their due times across a
// restart of the node.
func TestDelaysSurviveRestart(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("keep", true, false, false, false, amqp091.Table{"x-retry-initial-delay": int32(4000)})
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 2))
	t0 := clk.Now()
	publishMsg(t, ch, "", "keep", amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte("retry")})
	publishMsg(t, ch, "", "keep", amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte("delayed"),
		Headers: amqp091.Table{"x-delay": int32(6000)}})
	for range 2 {
		if c := <-confirms; !c.Ack {
			t.Fatalf("confirm %+v", c)
		}
	}
	d, ok, err := ch.Get("keep", false)
	must(t, err)
	if !ok || string(d.Body) != "retry" {
		t.Fatalf("get: ok=%v %q", ok, d.Body)
	}
	must(t, d.Nack(false, true))
	clk.waitTimer(t, t0.Add(4*time.Second))
	e.restart()

	_, ds := consume(t, e, "keep", 0)
	clk.waitTimer(t, t0.Add(4*time.Second))
	clk.Advance(4*time.Second - time.Millisecond)
	none(t, ds, "before the retry delay, after a restart")
	clk.Advance(time.Millisecond)
	r := await(t, ds)
	if string(r.Body) != "retry" || !r.Redelivered {
		t.Fatalf("after the retry delay: %q redelivered=%v", r.Body, r.Redelivered)
	}
	clk.waitTimer(t, t0.Add(6*time.Second))
	clk.Advance(2*time.Second - time.Millisecond)
	none(t, ds, "before x-delay, after a restart")
	clk.Advance(time.Millisecond)
	if m := await(t, ds); string(m.Body) != "delayed" || m.Redelivered {
		t.Fatalf("after x-delay: %q redelivered=%v", m.Body, m.Redelivered)
	}
}

// TestDeduplicationWindow: an id is remembered for
// x-deduplication-window only; with x-deduplication-message-id the
// message-id property is the id.
func TestDeduplicationWindow(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "win", amqp091.Table{"x-deduplication-window": int32(10000), "x-deduplication-message-id": true})
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 4))
	_, ds := consume(t, e, "win", 0)
	pub := func(body string) {
		publishMsg(t, ch, "", "win", amqp091.Publishing{MessageId: "m-1", Body: []byte(body)})
		if c := <-confirms; !c.Ack {
			t.Fatalf("%s: confirm %+v", body, c)
		}
	}
	t0 := clk.Now()
	pub("one")
	if d := await(t, ds); string(d.Body) != "one" {
		t.Fatalf("got %q", d.Body)
	}
	pub("dup")
	clk.waitTimer(t, t0.Add(10*time.Second))
	clk.Advance(10*time.Second - time.Millisecond)
	pub("dup-again")
	publish(t, ch, "", "win", "marker")
	if d := await(t, ds); string(d.Body) != "marker" {
		t.Fatalf("got %q, want the duplicates dropped", d.Body)
	}
	<-confirms
	clk.Advance(time.Millisecond)
	waitFor(t, "the id to be forgotten", func() bool {
		info, err := e.broker.QueueInfo("/", "win")
		return err == nil && info.Stats.DedupIDs == 0
	})
	pub("two")
	if d := await(t, ds); string(d.Body) != "two" {
		t.Fatalf("after the window: got %q", d.Body)
	}
}

// TestQueueExpiresAfterLastConsumer: x-expires counts from when the
// queue was last used; a consumer that leaves is a use at the time it
// leaves, as in RabbitMQ.
func TestQueueExpiresAfterLastConsumer(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "idle", amqp091.Table{"x-expires": int32(60000)})
	t0 := clk.Now()
	clk.waitTimer(t, t0.Add(time.Minute))
	_, cch := e.channel()
	_, err := cch.Consume("idle", "c", false, false, false, false, nil)
	must(t, err)
	clk.Advance(50 * time.Second)
	must(t, cch.Cancel("c", false))
	left := clk.Now()
	clk.Advance(10 * time.Second)           // t0 + 1 min: in use until 10 s ago
	clk.waitTimer(t, left.Add(time.Minute)) // the worker looked at t0 + 1 min, and waits on
	if _, err := e.broker.QueueInfo("/", "idle"); err != nil {
		t.Fatalf("idle deleted 10 s after its consumer left: %v", err)
	}
	clk.Advance(50 * time.Second)
	waitFor(t, "idle to be deleted", func() bool {
		_, err := e.broker.QueueInfo("/", "idle")
		return err != nil
	})
}

// TestQueueDefaultDelay: a queue's x-delay holds every message back; a
// message's own x-delay header, 0 included, overrides it.
func TestQueueDefaultDelay(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "slowq", amqp091.Table{"x-delay": int32(2000)})
	_, ds := consume(t, e, "slowq", 0)
	at := clk.Now().Add(2 * time.Second)
	publish(t, ch, "", "slowq", "default")
	publishMsg(t, ch, "", "slowq", amqp091.Publishing{Body: []byte("own"), Headers: amqp091.Table{"x-delay": int32(0)}})
	if d := await(t, ds); string(d.Body) != "own" {
		t.Fatalf("got %q, want the message with x-delay 0", d.Body)
	}
	clk.waitTimer(t, at)
	clk.Advance(2*time.Second - time.Millisecond)
	none(t, ds, "before the queue's x-delay")
	clk.Advance(time.Millisecond)
	if d := await(t, ds); string(d.Body) != "default" {
		t.Fatalf("got %q", d.Body)
	}
}

// TestQuorumDefaultDeliveryLimit: a quorum queue declared without
// x-delivery-limit allows 20 returns, as RabbitMQ 4 does; the 21st
// moves the message to "<queue>.dlq".
func TestQuorumDefaultDeliveryLimit(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("qq", true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
	must(t, err)
	_, ds := consume(t, e, "qq", 1)
	publish(t, ch, "", "qq", "poison")
	for range 21 {
		must(t, await(t, ds).Nack(false, true))
	}
	waitFor(t, "qq.dlq to hold the message", func() bool {
		info, err := e.broker.QueueInfo("/", "qq.dlq")
		return err == nil && info.Stats.Ready == 1
	})
	info, err := e.broker.QueueInfo("/", "qq.dlq")
	must(t, err)
	if !info.Durable {
		t.Error("the dead-letter queue of a durable queue is not durable")
	}
	none(t, ds, "after 21 deliveries")
}

// TestConsumerTimeoutAutoDelete: an auto-delete queue whose last
// consumer the server cancels for its timeout is deleted, as after a
// basic.cancel.
func TestConsumerTimeoutAutoDelete(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("ad", false, true, false, false, amqp091.Table{"x-consumer-timeout": int32(1000)})
	must(t, err)
	_, ch1 := e.channel()
	cancels := ch1.NotifyCancel(make(chan string, 1))
	c1, err := ch1.Consume("ad", "c", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "ad", "work")
	at := clk.Now().Add(time.Second)
	await(t, c1)
	clk.waitTimer(t, at)
	clk.Advance(time.Second)
	select {
	case <-cancels:
	case <-time.After(hangGuard):
		t.Fatal("no basic.cancel")
	}
	waitFor(t, "ad to be deleted", func() bool {
		_, err := e.broker.QueueInfo("/", "ad")
		return err != nil
	})
}
