package queue

import (
	"fmt"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store/memstore"
)

// recorder keeps a queue's events as text.
type recorder struct{ got []string }

func (r *recorder) observe(e Event) {
	s := fmt.Sprintf("%s %d", e.Kind, e.ID)
	switch e.Kind {
	case EventPublished:
		s += fmt.Sprintf(" note=%v size=%d", e.Note, e.Size)
	case EventDelivered:
		s += fmt.Sprintf(" n=%d c=%q by=%q noack=%v", e.Deliveries, e.Consumer, e.Connection, e.NoAck)
	case EventAcked, EventRequeued:
		s += fmt.Sprintf(" c=%q by=%q", e.Consumer, e.Connection)
	case EventNacked:
		s += fmt.Sprintf(" requeue=%v", e.Requeue)
	case EventRetryScheduled:
		s += fmt.Sprintf(" due=+%v", time.Duration(e.Due-e.At))
	case EventDied:
		s += " " + e.Reason.String()
	}
	r.got = append(r.got, s)
}

func (r *recorder) take() []string {
	g := r.got
	r.got = nil
	return g
}

func openObserved(t *testing.T, p Policy) (*Queue, *recorder) {
	t.Helper()
	l, _ := memstore.New().Open("obs")
	q, err := Open(Options{Name: "obs", Log: l, Now: t0, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	r := &recorder{}
	q.SetObserver(r.observe)
	return q, r
}

func TestObserverHearsEveryStep(t *testing.T) {
	q, r := openObserved(t, Policy{Retry: Backoff{Initial: time.Second}, MaxDeliveries: 2})
	now := t0
	at := func(d time.Duration) time.Time { return now.Add(d) }
	if _, err := q.PublishWith([]byte("abc"), PublishOptions{Note: "from-c1"}, now, nil); err != nil {
		t.Fatal(err)
	}
	var got []Delivery
	c, err := q.Consume(ConsumerOptions{Tag: "w", Owner: 1, Prefetch: 1, Connection: "c2",
		Deliver: func(d Delivery) { got = append(got, d) }}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Nack(1, 1, true, now); err != nil {
		t.Fatal(err)
	}
	q.Tick(at(time.Second)) // the retry is due: delivered again
	if err := q.Nack(1, 1, false, at(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	q.Cancel(c, now)
	wantStrings(t, "events", r.take(), []string{
		`published 1 note=from-c1 size=3`,
		`delivered 1 n=1 c="w" by="c2" noack=false`,
		`nacked 1 requeue=true`,
		`retry_scheduled 1 due=+1s`,
		`delivered 1 n=2 c="w" by="c2" noack=false`,
		`nacked 1 requeue=false`,
		`died 1 rejected`,
	})

	q.Publish([]byte("x"), now, nil)
	d, ok, err := q.GetAs(7, "sqs-sender", false, now)
	if !ok || err != nil {
		t.Fatalf("get = %v, %v", ok, err)
	}
	if err := q.Ack(7, d.ID, now, nil); err != nil {
		t.Fatal(err)
	}
	q.Publish([]byte("y"), now, nil)
	if _, _, err := q.GetLeasedAs(8, "s2", time.Second, now); err != nil {
		t.Fatal(err)
	}
	q.Tick(at(time.Second)) // lease ends: a failed delivery, then a retry
	q.Publish([]byte("z"), now, nil)
	if err := q.Delete(4, now, nil); err != nil {
		t.Fatal(err)
	}
	q.Publish([]byte("p"), now, nil)
	if _, err := q.Purge(now); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "events", r.take(), []string{
		`published 2 note=<nil> size=1`,
		`delivered 2 n=1 c="" by="sqs-sender" noack=false`,
		`acked 2 c="" by="sqs-sender"`,
		`published 3 note=<nil> size=1`,
		`delivered 3 n=1 c="" by="s2" noack=false`,
		`retry_scheduled 3 due=+1s`,
		`published 4 note=<nil> size=1`,
		`deleted 4`,
		`published 5 note=<nil> size=1`,
		`purged 3`, // delayed first
		`purged 5`,
	})
	q.SetObserver(nil)
	q.Publish([]byte("q"), now, nil)
	if g := r.take(); len(g) != 0 {
		t.Errorf("events after SetObserver(nil): %v", g)
	}
	if len(got) != 2 {
		t.Errorf("consumer got %d deliveries, want 2", len(got))
	}
}

func TestObserverHearsExpiryNoAckAndNotClose(t *testing.T) {
	q, r := openObserved(t, Policy{MessageTTL: time.Second, HasMessageTTL: true})
	q.Publish([]byte("a"), t0, nil)
	q.Tick(t0.Add(2 * time.Second))
	q.Publish([]byte("b"), t0.Add(2*time.Second), nil)
	if _, ok, _ := q.GetAs(1, "c", true, t0.Add(2*time.Second)); !ok {
		t.Fatal("nothing to get")
	}
	q.Publish([]byte("c"), t0.Add(2*time.Second), nil)
	if _, ok, _ := q.Get(2, false, t0.Add(2*time.Second)); !ok {
		t.Fatal("nothing to get")
	}
	q.Close() // returns the lease, which is no event of the message's
	wantStrings(t, "events", r.take(), []string{
		`published 1 note=<nil> size=1`,
		`died 1 expired`,
		`published 2 note=<nil> size=1`,
		`delivered 2 n=1 c="" by="c" noack=true`,
		`published 3 note=<nil> size=1`,
		`delivered 3 n=1 c="" by="" noack=false`,
	})
}

// TestObservedHotPathDoesNotAllocate: an observer is handed events by
// value, so watching a queue adds no allocation of the engine's own.
func TestObservedHotPathDoesNotAllocate(t *testing.T) {
	l, _ := memstore.New().Open("hot")
	q, err := Open(Options{Name: "hot", Log: l, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	n := 0
	q.SetObserver(func(Event) { n++ })
	var last Delivery
	if _, err := q.Consume(ConsumerOptions{Tag: "c", Owner: 1, Prefetch: 100,
		Deliver: func(d Delivery) { last = d }}, t0); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := q.Publish(body, t0, nil); err != nil {
			t.Fatal(err)
		}
		if err := q.Ack(1, last.ID, t0, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("observed publish → deliver → ack allocates %.1f times", allocs)
	}
	if n < 3000 {
		t.Errorf("observer heard %d events for 1001 round trips", n)
	}
}
