package broker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// publishH publishes body to queue name with headers h.
func (e *env) publishH(name, body string, h message.Table) {
	e.t.Helper()
	m := &message.Message{RoutingKey: name, Body: []byte(body)}
	if len(h) > 0 {
		m.Properties.Flags = message.FlagHeaders
		m.Properties.Headers = h
	}
	if err := e.b.Publish("/", name, m, nil); err != nil {
		e.t.Fatal(err)
	}
}

func hdrs(kv ...any) message.Table {
	var t message.Table
	for i := 0; i < len(kv); i += 2 {
		t.Set(kv[i].(string), kv[i+1])
	}
	return t
}

// TestRedriveMatch: only messages whose every named header equals the
// value (as text) move, in order; the others stay in order with their
// delivery counts untouched, even on a queue with a delivery limit.
func TestRedriveMatch(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "dlq", QueueOptions{Args: map[string]any{"x-delivery-limit": int64(1)}})
	e.declare("/", "dst", QueueOptions{})
	e.publishH("dlq", "a1", hdrs("tenant", "acme", "attempt", int32(7)))
	e.publishH("dlq", "b1", hdrs("tenant", "bolt", "attempt", int32(7)))
	e.publishH("dlq", "a2", hdrs("tenant", "acme", "attempt", int64(8)))
	e.publishH("dlq", "none", nil)
	e.publishH("dlq", "a3", hdrs("tenant", []byte("acme"), "attempt", int8(7), "vip", true))
	e.publishH("dlq", "b2", hdrs("tenant", "bolt"))

	var progress []int
	n, err := e.b.Redrive(context.Background(), "/", "dlq", RedriveOptions{To: "dst",
		Match: map[string]string{"tenant": "acme", "attempt": "7"}, Progress: func(m int) { progress = append(progress, m) }})
	if err != nil || n != 2 || !slices.Equal(progress, []int{1, 2}) {
		t.Fatalf("Redrive: moved %d, %v, progress %v; want 2", n, err, progress)
	}
	q, _ := e.b.Queue("/", "dlq")
	left, err := q.Browse(0, 100, true)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, mi := range left {
		m, _ := message.Decode(mi.Data)
		bodies = append(bodies, string(m.Body))
		if mi.Deliveries != 0 {
			t.Errorf("%s stayed with %d deliveries, want 0", m.Body, mi.Deliveries)
		}
	}
	if !slices.Equal(bodies, []string{"b1", "a2", "none", "b2"}) {
		t.Errorf("left in dlq: %v", bodies)
	}
	if got := e.bodies("/", "dst"); !slices.Equal(got, []string{"a1", "a3"}) {
		t.Errorf("dst = %v, want [a1 a3]", got)
	}

	// Limit counts matches; a bool header matches "true".
	e.publishH("dlq", "a4", hdrs("tenant", "acme"))
	n, err = e.b.Redrive(context.Background(), "/", "dlq", RedriveOptions{To: "dst", Limit: 1, Match: map[string]string{"tenant": "acme"}})
	if err != nil || n != 1 {
		t.Fatalf("limited: %d %v", n, err)
	}
	if got := e.bodies("/", "dst"); !slices.Equal(got, []string{"a1", "a3", "a2"}) {
		t.Errorf("dst = %v, want a2 added", got)
	}
	if n, err := e.b.Redrive(context.Background(), "/", "dlq", RedriveOptions{To: "dst", Match: map[string]string{"vip": "true"}}); n != 0 || err != nil {
		t.Errorf("vip (already moved): %d %v", n, err)
	}
	if s := e.stats("dlq"); s.Ready != 4 || s.Unacked != 0 { // b1 none b2 a4
		t.Errorf("dlq: %+v", s)
	}
}

// TestRedriveMatchSkipsLaterMessages: a filtered redrive considers what
// the queue held when it began.
func TestRedriveMatchSkipsLaterMessages(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "src", QueueOptions{})
	e.declare("/", "dst", QueueOptions{})
	e.publishH("src", "old", hdrs("k", "v"))
	e.clock.Advance(time.Second)
	progress := make(chan int)
	done := make(chan int)
	go func() {
		n, _ := e.b.Redrive(context.Background(), "/", "src", RedriveOptions{To: "dst", Rate: 1,
			Match: map[string]string{"k": "v"}, Progress: func(m int) { progress <- m }})
		done <- n
	}()
	<-progress // "old" moved; the redrive began at this clock reading
	e.clock.Advance(time.Second)
	e.publishH("src", "new", hdrs("k", "v"))
	if n := <-done; n != 1 {
		t.Fatalf("moved %d, want 1 (the message published after the start stays)", n)
	}
	if got := e.bodies("/", "src"); !slices.Equal(got, []string{"new"}) {
		t.Errorf("src = %v", got)
	}
}

func TestHeaderText(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{{"s", "s"}, {[]byte("b"), "b"}, {true, "true"}, {int16(-3), "-3"}, {uint32(9), "9"}, {1.5, "1.5"}, {float32(0.25), "0.25"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"}, {nil, ""}} {
		if got := HeaderText(c.v); got != c.want {
			t.Errorf("HeaderText(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestRedriveMatchIntoItself: a filtered redrive whose target is its own
// queue moves each match once (the copies it publishes come after the
// start), even on a clock that does not move.
func TestRedriveMatchIntoItself(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{})
	e.publishH("q", "m1", hdrs("k", "v"))
	e.publishH("q", "other", nil)
	e.publishH("q", "m2", hdrs("k", "v"))
	n, err := e.b.Redrive(context.Background(), "/", "q", RedriveOptions{To: "q", Match: map[string]string{"k": "v"}})
	if err != nil || n != 2 {
		t.Fatalf("moved %d, %v; want 2", n, err)
	}
	if got := e.bodies("/", "q"); !slices.Equal(got, []string{"other", "m1", "m2"}) {
		t.Errorf("q = %v, want [other m1 m2]", got)
	}
}

// TestRedriveMatchLeavesLeasedMessages: a matching message that a
// consumer leases after the redrive has read its page stays with that
// consumer; the redrive moves only what is still ready when its turn
// comes, and the holder's ack still settles its lease.
func TestRedriveMatchLeavesLeasedMessages(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "dlq", QueueOptions{})
	e.declare("/", "dst", QueueOptions{})
	e.publishH("dlq", "first", hdrs("tenant", "acme"))
	e.publishH("dlq", "second", hdrs("tenant", "acme"))
	q, _ := e.b.Queue("/", "dlq")
	const holder = 7
	var held queue.Delivery
	n, err := e.b.Redrive(context.Background(), "/", "dlq", RedriveOptions{To: "dst", Match: map[string]string{"tenant": "acme"},
		Progress: func(moved int) {
			if moved == 1 { // "second" is on the page already, read as ready
				d, ok, err := q.Get(holder, false, e.b.Now())
				if err != nil || !ok {
					t.Errorf("Get: %v %v", ok, err)
				}
				held = d
			}
		}})
	if err != nil || n != 1 {
		t.Fatalf("Redrive: moved %d, %v; want 1", n, err)
	}
	if got := e.bodies("/", "dst"); !slices.Equal(got, []string{"first"}) {
		t.Errorf("dst = %v, want [first]", got)
	}
	if err := q.Ack(holder, held.ID, e.b.Now(), nil); err != nil {
		t.Fatalf("the holder's ack after the redrive: %v", err)
	}
	if st := q.Stats(e.b.Now()); st.Ready != 0 || st.Unacked != 0 {
		t.Errorf("dlq after: ready %d unacked %d, want 0 0", st.Ready, st.Unacked)
	}
}
