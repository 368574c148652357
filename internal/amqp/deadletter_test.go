package amqp_test

import (
	"reflect"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/queue"
)

// deaths returns d's x-death entries as amqp091-go decodes them.
func deaths(t *testing.T, d amqp091.Delivery) []amqp091.Table {
	t.Helper()
	v, ok := d.Headers["x-death"]
	if !ok {
		t.Fatalf("no x-death in %v", d.Headers)
	}
	a, ok := v.([]interface{})
	if !ok {
		t.Fatalf("x-death is %T, want []interface{}", v)
	}
	out := make([]amqp091.Table, len(a))
	for i, x := range a {
		if out[i], ok = x.(amqp091.Table); !ok {
			t.Fatalf("x-death[%d] is %T, want amqp091.Table", i, x)
		}
	}
	return out
}

// wantDeath checks one x-death entry, field by field with its type.
func wantDeath(t *testing.T, got amqp091.Table, count int64, reason, q string, at time.Time, exchange string, keys ...string) {
	t.Helper()
	if c, ok := got["count"].(int64); !ok || c != count {
		t.Errorf("count = %#v, want int64 %d", got["count"], count)
	}
	if r, ok := got["reason"].(string); !ok || r != reason {
		t.Errorf("reason = %#v, want %q", got["reason"], reason)
	}
	if s, ok := got["queue"].(string); !ok || s != q {
		t.Errorf("queue = %#v, want %q", got["queue"], q)
	}
	if tm, ok := got["time"].(time.Time); !ok || !tm.Equal(at) {
		t.Errorf("time = %#v, want time.Time %v", got["time"], at)
	}
	if x, ok := got["exchange"].(string); !ok || x != exchange {
		t.Errorf("exchange = %#v, want %q", got["exchange"], exchange)
	}
	rk, ok := got["routing-keys"].([]interface{})
	want := make([]interface{}, len(keys))
	for i, k := range keys {
		want[i] = k
	}
	if !ok || !reflect.DeepEqual(rk, want) {
		t.Errorf("routing-keys = %#v, want []interface{} %v", got["routing-keys"], want)
	}
}

func wantHeader(t *testing.T, d amqp091.Delivery, key, want string) {
	t.Helper()
	if v, ok := d.Headers[key].(string); !ok || v != want {
		t.Errorf("header %s = %#v, want %q", key, d.Headers[key], want)
	}
}

// TestDeadLetterRejected: a nack and a reject without requeue send the
// message to the dead-letter exchange with the dead-letter routing key;
// x-death and x-first/last-death-* are RabbitMQ's, and a second death
// in the same queue for the same reason folds into count 2, keeping the
// first death's time.
func TestDeadLetterRejected(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	must(t, ch.ExchangeDeclare("dlx", "direct", false, false, false, false, nil))
	declare(t, ch, "dead")
	must(t, ch.QueueBind("dead", "dl-key", "dlx", false, nil))
	declareArgs(t, ch, "work", amqp091.Table{
		"x-dead-letter-exchange":    "dlx",
		"x-dead-letter-routing-key": "dl-key",
	})
	must(t, ch.ExchangeDeclare("in", "direct", false, false, false, false, nil))
	must(t, ch.QueueBind("work", "orders", "in", false, nil))

	_, work := consume(t, e, "work", 1)
	_, dead := consume(t, e, "dead", 0)

	publishMsg(t, ch, "in", "orders", amqp091.Publishing{Body: []byte("m"), Headers: amqp091.Table{"app": "x"}})
	first := clk.Now()
	d := await(t, work)
	must(t, d.Nack(false, false))
	dl := await(t, dead)
	if string(dl.Body) != "m" || dl.Exchange != "dlx" || dl.RoutingKey != "dl-key" {
		t.Fatalf("dead letter: body %q exchange %q key %q", dl.Body, dl.Exchange, dl.RoutingKey)
	}
	xd := deaths(t, dl)
	if len(xd) != 1 {
		t.Fatalf("x-death has %d entries: %v", len(xd), xd)
	}
	wantDeath(t, xd[0], 1, "rejected", "work", first, "in", "orders")
	for _, k := range []string{"x-first-death", "x-last-death"} {
		wantHeader(t, dl, k+"-reason", "rejected")
		wantHeader(t, dl, k+"-queue", "work")
		wantHeader(t, dl, k+"-exchange", "in")
	}
	wantHeader(t, dl, "app", "x")
	must(t, dl.Ack(false))

	// The same message dies in work again, 5 s later, by basic.reject.
	clk.Advance(5 * time.Second)
	publishMsg(t, ch, "in", "orders", amqp091.Publishing{Body: dl.Body, Headers: dl.Headers})
	d = await(t, work)
	must(t, d.Reject(false))
	dl = await(t, dead)
	xd = deaths(t, dl)
	if len(xd) != 1 {
		t.Fatalf("second death: x-death has %d entries: %v", len(xd), xd)
	}
	wantDeath(t, xd[0], 2, "rejected", "work", first, "in", "orders")
	wantHeader(t, dl, "x-first-death-queue", "work")
	wantHeader(t, dl, "x-last-death-reason", "rejected")
}

// TestDeliveryLimitAutoDLQ: with x-delivery-limit 2 and no dead-letter
// exchange, the message is delivered 3 times, then moved to the queue
// "<queue>.dlq", which the broker declares, with reason delivery_limit.
func TestDeliveryLimitAutoDLQ(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "lim", amqp091.Table{"x-delivery-limit": int32(2)})
	_, work := consume(t, e, "lim", 1)
	publish(t, ch, "", "lim", "poison")
	at := clk.Now()
	for i := range 3 {
		d := await(t, work)
		if string(d.Body) != "poison" || d.Redelivered != (i > 0) {
			t.Fatalf("delivery %d: %q redelivered=%v", i+1, d.Body, d.Redelivered)
		}
		must(t, d.Nack(false, true))
	}
	waitFor(t, "lim.dlq to hold the message", func() bool {
		info, err := e.broker.QueueInfo("/", "lim.dlq")
		return err == nil && info.Stats.Ready == 1
	})
	none(t, work, "after the delivery limit")
	dl, ok, err := ch.Get("lim.dlq", false)
	must(t, err)
	if !ok || string(dl.Body) != "poison" || dl.RoutingKey != "lim.dlq" {
		t.Fatalf("get lim.dlq: ok=%v %q key %q", ok, dl.Body, dl.RoutingKey)
	}
	xd := deaths(t, dl)
	if len(xd) != 1 {
		t.Fatalf("x-death: %v", xd)
	}
	wantDeath(t, xd[0], 1, "delivery_limit", "lim", at, "", "lim")
	wantHeader(t, dl, "x-first-death-reason", "delivery_limit")
	info, err := e.broker.QueueInfo("/", "lim")
	must(t, err)
	if s := info.Stats; s.Ready != 0 || s.Unacked != 0 || s.Delivered != 3 {
		t.Fatalf("lim after the limit: %+v", s)
	}
}

// TestDeliveryLimitDrop: with x-dead-letter-drop the message that runs
// out of deliveries is dropped, and no .dlq queue appears.
func TestDeliveryLimitDrop(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "drop", amqp091.Table{"x-delivery-limit": int32(1), "x-dead-letter-drop": true})
	_, work := consume(t, e, "drop", 1)
	publish(t, ch, "", "drop", "poison")
	for range 2 {
		must(t, await(t, work).Nack(false, true))
	}
	waitFor(t, "the message to be dropped", func() bool {
		info, err := e.broker.QueueInfo("/", "drop")
		s := info.Stats
		return err == nil && s.DeadLettered[queue.ReasonDeliveryLimit] == 1 && s.Dead == 0
	})
	info, err := e.broker.QueueInfo("/", "drop")
	must(t, err)
	if s := info.Stats; s.Ready != 0 || s.Unacked != 0 || s.Delayed != 0 {
		t.Fatalf("drop: %+v", s)
	}
	if _, err := e.broker.QueueInfo("/", "drop.dlq"); err == nil {
		t.Fatal("drop.dlq was declared")
	}
	none(t, work, "after the drop")
}

// TestExpiredDeadLetter: a message past the queue's x-message-ttl, and
// one past its own expiration, are dead-lettered with reason expired;
// only the second has original-expiration, and its expiration property
// is gone.
func TestExpiredDeadLetter(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declare(t, ch, "expired")
	declareArgs(t, ch, "ttl", amqp091.Table{
		"x-message-ttl":             int32(5000),
		"x-dead-letter-exchange":    "",
		"x-dead-letter-routing-key": "expired",
	})
	declareArgs(t, ch, "own", amqp091.Table{
		"x-dead-letter-exchange":    "",
		"x-dead-letter-routing-key": "expired",
	})
	_, dead := consume(t, e, "expired", 0)

	t0 := clk.Now()
	publish(t, ch, "", "ttl", "queue-ttl")
	clk.waitTimer(t, t0.Add(5*time.Second+1)) // expired is strictly after the TTL
	clk.Advance(5 * time.Second)
	info, err := e.broker.QueueInfo("/", "ttl")
	must(t, err)
	if s := info.Stats; s.Ready != 1 || s.Dead != 0 || s.Expired != 0 {
		t.Fatalf("ttl at its TTL: %+v, want the message still there", s)
	}
	none(t, dead, "at the TTL")
	clk.Advance(1)
	dl := await(t, dead)
	if string(dl.Body) != "queue-ttl" {
		t.Fatalf("dead letter %q", dl.Body)
	}
	xd := deaths(t, dl)
	wantDeath(t, xd[0], 1, "expired", "ttl", t0.Add(5*time.Second), "", "ttl")
	if _, ok := xd[0]["original-expiration"]; ok {
		t.Errorf("queue TTL death has original-expiration: %v", xd[0])
	}
	wantHeader(t, dl, "x-first-death-reason", "expired")

	t1 := clk.Now()
	publishMsg(t, ch, "", "own", amqp091.Publishing{Body: []byte("own-ttl"), Expiration: "2000"})
	clk.waitTimer(t, t1.Add(2*time.Second+1))
	clk.Advance(2*time.Second + 1)
	dl = await(t, dead)
	if string(dl.Body) != "own-ttl" || dl.Expiration != "" {
		t.Fatalf("dead letter %q expiration %q", dl.Body, dl.Expiration)
	}
	xd = deaths(t, dl)
	wantDeath(t, xd[0], 1, "expired", "own", t1.Add(2*time.Second).Truncate(time.Second), "", "own")
	if v, ok := xd[0]["original-expiration"].(string); !ok || v != "2000" {
		t.Errorf("original-expiration = %#v, want \"2000\"", xd[0]["original-expiration"])
	}
}

// TestMaxLengthDropHead: a full queue (x-max-length 2, drop-head)
// dead-letters its oldest message with reason maxlen.
func TestMaxLengthDropHead(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declare(t, ch, "ml-dead")
	declareArgs(t, ch, "ml", amqp091.Table{
		"x-max-length":              int32(2),
		"x-dead-letter-exchange":    "",
		"x-dead-letter-routing-key": "ml-dead",
	})
	_, dead := consume(t, e, "ml-dead", 0)
	for _, b := range []string{"m1", "m2", "m3"} {
		publish(t, ch, "", "ml", b)
	}
	dl := await(t, dead)
	if string(dl.Body) != "m1" {
		t.Fatalf("dead letter %q, want m1", dl.Body)
	}
	wantDeath(t, deaths(t, dl)[0], 1, "maxlen", "ml", clk.Now(), "", "ml")
	for _, want := range []string{"m2", "m3"} {
		d, ok, err := ch.Get("ml", true)
		must(t, err)
		if !ok || string(d.Body) != want {
			t.Fatalf("get: ok=%v %q, want %q", ok, d.Body, want)
		}
	}
}

// TestMaxLengthRejectPublish: with x-overflow reject-publish a publish to
// a full queue is nacked; with reject-publish-dlx it is nacked and
// dead-lettered too (reason maxlen).
func TestMaxLengthRejectPublish(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	declare(t, ch, "rp-dead")
	declareArgs(t, ch, "rp", amqp091.Table{
		"x-max-length": int32(1), "x-overflow": "reject-publish",
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "rp-dead",
	})
	declareArgs(t, ch, "rpd", amqp091.Table{
		"x-max-length": int32(1), "x-overflow": "reject-publish-dlx",
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "rp-dead",
	})
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 4))
	for _, q := range []string{"rp", "rp", "rpd", "rpd"} {
		publish(t, ch, "", q, q)
	}
	for i, ack := range []bool{true, false, true, false} {
		c := <-confirms
		if c.DeliveryTag != uint64(i+1) || c.Ack != ack {
			t.Fatalf("confirm %d: %+v, want ack=%v", i+1, c, ack)
		}
	}
	for _, q := range []string{"rp", "rpd"} {
		info, err := e.broker.QueueInfo("/", q)
		must(t, err)
		if info.Stats.Ready != 1 {
			t.Fatalf("%s: ready %d, want 1", q, info.Stats.Ready)
		}
	}
	// Only reject-publish-dlx dead-letters the refused message.
	_, dead := consume(t, e, "rp-dead", 0)
	dl := await(t, dead)
	if string(dl.Body) != "rpd" {
		t.Fatalf("dead letter %q, want rpd", dl.Body)
	}
	xd := deaths(t, dl)
	if r := xd[0]["reason"]; r != "maxlen" || xd[0]["queue"] != "rpd" {
		t.Fatalf("x-death %v", xd)
	}
	info, err := e.broker.QueueInfo("/", "rp-dead")
	must(t, err)
	if n := info.Stats.Ready + info.Stats.Unacked; n != 1 {
		t.Fatalf("rp-dead holds %d messages, want 1", n)
	}
}

// TestExpiredNotDelivered: a message past its TTL is never handed out,
// whether or not the queue's timer has run yet.
func TestExpiredNotDelivered(t *testing.T) {
	e, clk := startClock(t)
	_, ch := e.channel()
	declareArgs(t, ch, "stale", amqp091.Table{"x-message-ttl": int32(1000)})
	publish(t, ch, "", "stale", "old")
	publishMsg(t, ch, "", "stale", amqp091.Publishing{Body: []byte("own"), Expiration: "500"})
	syncChannel(t, ch, "stale") // both are in the queue, at the clock's start
	clk.Advance(2 * time.Second)
	if d, ok, err := ch.Get("stale", true); err != nil || ok {
		t.Fatalf("get after the TTL: ok=%v %q err=%v", ok, d.Body, err)
	}
	_, ds := consume(t, e, "stale", 0)
	publish(t, ch, "", "stale", "fresh")
	if d := await(t, ds); string(d.Body) != "fresh" {
		t.Fatalf("got %q", d.Body)
	}
}

// TestNackMultipleFanOut: a nack of several deliveries without requeue
// dead-letters each, in order, through a fanout exchange to every queue
// bound to it.
func TestNackMultipleFanOut(t *testing.T) {
	e, _ := startClock(t)
	_, ch := e.channel()
	must(t, ch.ExchangeDeclare("fan", "fanout", false, false, false, false, nil))
	for _, q := range []string{"d1", "d2"} {
		declare(t, ch, q)
		must(t, ch.QueueBind(q, "", "fan", false, nil))
	}
	declareArgs(t, ch, "src", amqp091.Table{"x-dead-letter-exchange": "fan"})
	for _, b := range []string{"a", "b", "c"} {
		publish(t, ch, "", "src", b)
	}
	_, ds := consume(t, e, "src", 0)
	var last amqp091.Delivery
	for range 3 {
		last = await(t, ds)
	}
	must(t, last.Nack(true, false))
	for _, q := range []string{"d1", "d2"} {
		_, dq := consume(t, e, q, 0)
		for _, want := range []string{"a", "b", "c"} {
			d := await(t, dq)
			if string(d.Body) != want || d.Exchange != "fan" || d.RoutingKey != "src" {
				t.Fatalf("%s: %q via %q/%q, want %q", q, d.Body, d.Exchange, d.RoutingKey, want)
			}
			wantDeath(t, deaths(t, d)[0], 1, "rejected", "src", epoch, "", "src")
		}
	}
	waitFor(t, "src to forget its dead letters", func() bool {
		info, err := e.broker.QueueInfo("/", "src")
		return err == nil && info.Stats.Dead == 0
	})
	info, err := e.broker.QueueInfo("/", "src")
	must(t, err)
	if s := info.Stats; s.Ready+s.Unacked+s.Delayed != 0 || s.Rejected != 3 {
		t.Fatalf("src: %+v", s)
	}
}
