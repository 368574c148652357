package broker

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// owner is the lease owner the tests take messages with.
const owner queue.Owner = 42

// take leases the next message of a queue and decodes it.
func (e *env) take(name string) (queue.Delivery, *message.Message) {
	e.t.Helper()
	q, err := e.b.Queue("/", name)
	if err != nil {
		e.t.Fatal(err)
	}
	d, ok, err := q.Get(owner, false, e.b.Now())
	if err != nil || !ok {
		e.t.Fatalf("Get(%q): ok=%v err=%v", name, ok, err)
	}
	m, err := message.Decode(d.Data)
	if err != nil {
		e.t.Fatal(err)
	}
	return d, m
}

func (e *env) nack(name string, id uint64, requeue bool) {
	e.t.Helper()
	q, _ := e.b.Queue("/", name)
	if err := q.Nack(owner, id, requeue, e.b.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) flush(name string) {
	e.t.Helper()
	if err := e.b.Flush("/", name); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) stats(name string) queue.Stats {
	e.t.Helper()
	i, err := e.b.QueueInfo("/", name)
	if err != nil {
		e.t.Fatal(err)
	}
	return i.Stats
}

func deathOf(t *testing.T, m *message.Message) message.Table {
	t.Helper()
	v, ok := m.Properties.Headers.Get("x-death")
	a, _ := v.([]any)
	if !ok || len(a) == 0 {
		t.Fatalf("no x-death in %v", m.Properties.Headers)
	}
	return a[0].(message.Table)
}

func TestRejectedGoesToDeadLetterExchange(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "dlx", ExchangeOptions{Kind: "direct", Durable: true})
	e.declare("/", "dead", QueueOptions{Durable: true})
	e.bindQ("/", "dead", "dlx", "failed", nil)
	e.declare("/", "work", QueueOptions{Durable: true, Args: map[string]any{
		"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "failed"}})
	e.publish("/", "work", "m1")
	d, _ := e.take("work")
	e.nack("work", d.ID, false)
	e.flush("work")
	if s := e.stats("work"); s.Ready+s.Unacked+s.Dead != 0 || s.DeadLettered[queue.ReasonRejected] != 1 {
		t.Fatalf("work after dead-lettering: %+v", s)
	}
	_, m := e.take("dead")
	if string(m.Body) != "m1" || m.Exchange != "dlx" || m.RoutingKey != "failed" {
		t.Fatalf("dead letter %q via %q/%q", m.Body, m.Exchange, m.RoutingKey)
	}
	x := deathOf(t, m)
	if tableString(x, "reason") != "rejected" || tableString(x, "queue") != "work" || tableInt(x, "count") != 1 ||
		tableString(x, "exchange") != "" {
		t.Fatalf("x-death = %v", x)
	}
	if got := deathHeader(m, "x-first-death-queue"); got != "work" {
		t.Fatalf("x-first-death-queue = %q", got)
	}
	// Survives a restart: the dead letter is durable in its new queue, and
	// gone from the old one.
	e.restart()
	if got := e.bodies("/", "dead"); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("dead after restart = %v", got)
	}
	if got := e.bodies("/", "work"); len(got) != 0 {
		t.Fatalf("work after restart = %v", got)
	}
}

func TestDeliveryLimitGoesToAutoDLQ(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "jobs", QueueOptions{Durable: true, Args: map[string]any{"x-delivery-limit": int64(2)}})
	e.publish("/", "jobs", "j")
	for i := 1; i <= 3; i++ { // limit 2: three deliveries, the third failure kills it
		d, _ := e.take("jobs")
		if d.Deliveries != uint32(i) {
			t.Fatalf("delivery %d counted %d", i, d.Deliveries)
		}
		e.nack("jobs", d.ID, true)
	}
	e.flush("jobs")
	info, err := e.b.QueueInfo("/", "jobs.dlq")
	if err != nil {
		t.Fatalf("no auto dead-letter queue: %v", err)
	}
	if !info.Durable || info.Stats.Ready != 1 {
		t.Fatalf("jobs.dlq = %+v", info)
	}
	_, m := e.take("jobs.dlq")
	if x := deathOf(t, m); tableString(x, "reason") != "delivery_limit" || tableString(x, "queue") != "jobs" {
		t.Fatalf("x-death = %v", x)
	}
}

func TestDeadLetterDropAndNoTarget(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "drop", QueueOptions{Args: map[string]any{"x-delivery-limit": int64(0), "x-dead-letter-drop": true}})
	e.declare("/", "plain", QueueOptions{})
	e.publish("/", "drop", "a")
	e.publish("/", "plain", "b")
	d, _ := e.take("drop")
	e.nack("drop", d.ID, true) // limit 0: the first failure kills it
	d, _ = e.take("plain")
	e.nack("plain", d.ID, false) // rejected with no exchange: dropped, as RabbitMQ
	e.flush("drop")
	e.flush("plain")
	if _, err := e.b.QueueInfo("/", "drop.dlq"); err == nil {
		t.Fatal("x-dead-letter-drop still declared drop.dlq")
	}
	for _, q := range []string{"drop", "plain"} {
		if s := e.stats(q); s.Ready+s.Unacked+s.Dead != 0 {
			t.Fatalf("%s kept the message: %+v", q, s)
		}
	}
	if got := e.b.deadDropped.Load(); got != 2 {
		t.Fatalf("dropped = %d, want 2", got)
	}
}

func TestExpiredAndMaxLenDeadLetters(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "dead", QueueOptions{})
	e.declare("/", "ttl", QueueOptions{Args: map[string]any{"x-message-ttl": int64(1000),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dead"}})
	e.declare("/", "short", QueueOptions{Args: map[string]any{"x-max-length": int64(1),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dead"}})
	e.publish("/", "ttl", "old")
	e.publish("/", "short", "first")
	e.publish("/", "short", "second") // pushes "first" out
	e.clock.Advance(1001 * time.Millisecond)
	e.flush("ttl")
	e.flush("short")
	var reasons []string
	for range 2 {
		_, m := e.take("dead")
		reasons = append(reasons, string(m.Body)+":"+tableString(deathOf(t, m), "reason"))
	}
	slices.Sort(reasons)
	if want := []string{"first:maxlen", "old:expired"}; !slices.Equal(reasons, want) {
		t.Fatalf("dead letters %v, want %v", reasons, want)
	}
	if got := e.bodies("/", "short"); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("short = %v", got)
	}
}

func TestRejectPublishDLX(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "dead", QueueOptions{})
	e.declare("/", "full", QueueOptions{Args: map[string]any{"x-max-length": int64(1), "x-overflow": "reject-publish-dlx",
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dead"}})
	e.publish("/", "full", "kept")
	m := &message.Message{RoutingKey: "full", Body: []byte("refused")}
	var got error
	if _, err := e.b.Route("/", m, func(err error) { got = err }); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got, queue.ErrRejected) {
		t.Fatalf("confirm of a refused publish: %v", got)
	}
	if b := e.bodies("/", "dead"); !slices.Equal(b, []string{"refused"}) {
		t.Fatalf("dead = %v", b)
	}
	if b := e.bodies("/", "full"); !slices.Equal(b, []string{"kept"}) {
		t.Fatalf("full = %v", b)
	}
}

func TestDeadLetterCycleIsCut(t *testing.T) {
	e := newEnv(t)
	// a expires into b, b expires into a: RabbitMQ drops the message when
	// it would come back to a queue it expired in.
	e.declare("/", "a", QueueOptions{Args: map[string]any{"x-message-ttl": int64(10),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "b"}})
	e.declare("/", "b", QueueOptions{Args: map[string]any{"x-message-ttl": int64(10),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "a"}})
	e.publish("/", "a", "loop")
	for range 3 {
		e.clock.Advance(11 * time.Millisecond)
		e.flush("a")
		e.flush("b")
	}
	if sa, sb := e.stats("a"), e.stats("b"); sa.Ready+sb.Ready+sa.Dead+sb.Dead != 0 ||
		sa.Expired != 1 || sb.Expired != 1 {
		t.Fatalf("a %+v\nb %+v", sa, sb)
	}
}

func TestRedrive(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "orders", QueueOptions{Durable: true, Args: map[string]any{"x-delivery-limit": int64(0)}})
	for _, b := range []string{"o1", "o2", "o3"} {
		e.publish("/", "orders", b)
		d, _ := e.take("orders")
		e.nack("orders", d.ID, true)
	}
	e.flush("orders")
	if s := e.stats("orders.dlq"); s.Ready != 3 {
		t.Fatalf("orders.dlq holds %d", s.Ready)
	}
	var progress []int
	n, err := e.b.Redrive(context.Background(), "/", "orders.dlq", RedriveOptions{Limit: 2, Progress: func(m int) { progress = append(progress, m) }})
	if err != nil || n != 2 || !slices.Equal(progress, []int{1, 2}) {
		t.Fatalf("Redrive: %d %v progress %v", n, err, progress)
	}
	_, m := e.take("orders")
	if string(m.Body) != "o1" || m.RoutingKey != "orders" || m.Exchange != "" {
		t.Fatalf("redriven %q via %q/%q", m.Body, m.Exchange, m.RoutingKey)
	}
	if x := deathOf(t, m); tableInt(x, "count") != 1 {
		t.Fatalf("history lost: %v", x)
	}
	// The rest, to a named queue.
	e.declare("/", "elsewhere", QueueOptions{})
	if n, err := e.b.Redrive(context.Background(), "/", "orders.dlq", RedriveOptions{To: "elsewhere"}); n != 1 || err != nil {
		t.Fatalf("Redrive to elsewhere: %d %v", n, err)
	}
	if got := e.bodies("/", "elsewhere"); !slices.Equal(got, []string{"o3"}) {
		t.Fatalf("elsewhere = %v", got)
	}
	if s := e.stats("orders.dlq"); s.Ready+s.Unacked != 0 {
		t.Fatalf("dlq after redrive: %+v", s)
	}
	// A target that is gone stops the redrive and loses nothing.
	d, _ := e.take("orders")
	e.nack("orders", d.ID, true) // o1 dies again
	e.flush("orders")
	if _, err := e.b.DeleteQueue("/", "orders", false, false); err != nil {
		t.Fatal(err)
	}
	n, err = e.b.Redrive(context.Background(), "/", "orders.dlq", RedriveOptions{})
	wantCode(t, "redrive to a deleted queue", err, NotFound)
	if n != 0 || e.stats("orders.dlq").Ready != 1 { // o1 (o2 went with orders)
		t.Fatalf("after failed redrive: moved %d, dlq %+v", n, e.stats("orders.dlq"))
	}
}

func TestRedriveRateUsesClock(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "src", QueueOptions{})
	e.declare("/", "dst", QueueOptions{})
	for range 3 {
		e.publish("/", "src", "m")
	}
	progress := make(chan int)
	done := make(chan int)
	go func() {
		n, _ := e.b.Redrive(context.Background(), "/", "src", RedriveOptions{To: "dst", Rate: 1,
			Progress: func(m int) { progress <- m }})
		done <- n
	}()
	// One message a second on the fake clock: after the k-th, the clock
	// has moved k-1 seconds, so the next must wait for it.
	for k := 1; k <= 3; k++ {
		if got := <-progress; got != k {
			t.Fatalf("progress %d, want %d", got, k)
		}
		if s := e.stats("dst"); s.Ready != k {
			t.Fatalf("after %d seconds dst holds %d, want %d", k-1, s.Ready, k)
		}
		e.clock.Advance(time.Second)
	}
	if n := <-done; n != 3 {
		t.Fatalf("moved %d", n)
	}
}

func TestQueueExpires(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "tmp", QueueOptions{Durable: true, Args: map[string]any{"x-expires": int64(60000)}})
	e.clock.Advance(59 * time.Second)
	e.flush("tmp")
	e.declare("/", "tmp", QueueOptions{Durable: true, Args: map[string]any{"x-expires": int64(60000)}}) // a redeclare is a use
	e.clock.Advance(59 * time.Second)
	e.flush("tmp")
	if _, err := e.b.QueueInfo("/", "tmp"); err != nil {
		t.Fatalf("expired early: %v", err)
	}
	e.clock.Advance(2 * time.Second)
	e.b.Flush("/", "tmp") // the worker deletes its own queue
	if _, err := e.b.QueueInfo("/", "tmp"); err == nil {
		t.Fatal("unused queue not deleted after x-expires")
	}
	e.restart()
	if _, err := e.b.QueueInfo("/", "tmp"); err == nil {
		t.Fatal("expired queue came back after restart")
	}
}

func TestPoliciesApplyLive(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "orders.eu", QueueOptions{})
	e.declare("/", "other", QueueOptions{})
	err := e.b.SetPolicies([]Policy{{Name: "limit", Pattern: `^orders\.`, Definition: map[string]any{"delivery-limit": 0, "dead-letter-drop": true}}})
	if err != nil {
		t.Fatal(err)
	}
	if p := must(e.b.Queue("/", "orders.eu")).Policy(); p.MaxDeliveries != 1 {
		t.Fatalf("orders.eu policy: %+v", p)
	}
	if p := must(e.b.Queue("/", "other")).Policy(); p.MaxDeliveries != 0 {
		t.Fatalf("other got the policy: %+v", p)
	}
	if err := e.b.SetPolicies([]Policy{{Name: "bad", Pattern: "(", Definition: nil}}); err == nil {
		t.Fatal("a bad pattern was accepted")
	}
	if len(e.b.Policies()) != 1 {
		t.Fatal("a refused set replaced the policies")
	}
	// An argument wins over the policy, key by key.
	e.declare("/", "orders.us", QueueOptions{Args: map[string]any{"x-delivery-limit": int64(5)}})
	if p := must(e.b.Queue("/", "orders.us")).Policy(); p.MaxDeliveries != 6 {
		t.Fatalf("orders.us policy: %+v", p)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
