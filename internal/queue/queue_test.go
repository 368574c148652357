package queue

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/hist"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

func TestGetFIFO(t *testing.T) {
	f := newFixture(t)
	for _, b := range []string{"a", "b", "c"} {
		f.publish(b)
	}
	for i, want := range []string{"a", "b", "c"} {
		d, ok := f.get(1, false)
		if !ok || string(d.Data) != want || d.ID != uint64(i+1) || d.Deliveries != 1 || d.Consumer != "" {
			t.Fatalf("Get %d = %+v, %v; want id %d body %q, first delivery", i, d, ok, i+1, want)
		}
	}
	if d, ok := f.get(1, false); ok {
		t.Fatalf("Get on empty queue = %+v, want nothing", d)
	}
}

func TestRequeueGoesBackInIDOrder(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.publish("m")
	}
	for range 3 {
		f.get(1, false)
	}
	f.nack(1, 3, true)
	f.nack(1, 1, true)
	wantStrings(t, "ready", f.readyIDs(), []string{"1/1", "3/1", "4/0", "5/0"})
	var got []uint64
	var counts []uint32
	for {
		d, ok := f.get(2, false)
		if !ok {
			break
		}
		got, counts = append(got, d.ID), append(counts, d.Deliveries)
	}
	if !reflect.DeepEqual(got, []uint64{1, 3, 4, 5}) || !reflect.DeepEqual(counts, []uint32{2, 2, 1, 1}) {
		t.Fatalf("after requeue got ids %v counts %v, want [1 3 4 5] [2 2 1 1]", got, counts)
	}
	if s := f.q.Stats(f.now); s.Redelivered != 2 || s.Requeued != 2 || s.Delivered != 7 {
		t.Fatalf("Stats = %+v, want 2 redelivered, 2 requeued, 7 delivered", s)
	}
}

func TestSettleRequiresOwnerAndLease(t *testing.T) {
	f := newFixture(t)
	f.publish("a")
	f.publish("b")
	d, _ := f.get(1, false)
	before := f.q.snapshot()
	f.log.takeRecords()
	for _, tc := range []struct {
		name  string
		owner Owner
		id    uint64
	}{{"other owner", 2, d.ID}, {"ready message", 1, 2}, {"never published", 1, 99}} {
		if err := f.q.Ack(tc.owner, tc.id, f.tick(), func(error) { t.Errorf("%s: done ran for a failed ack", tc.name) }); !errors.Is(err, ErrUnknownDelivery) {
			t.Errorf("Ack %s: err = %v, want ErrUnknownDelivery", tc.name, err)
		}
		for _, requeue := range []bool{true, false} {
			if err := f.q.Nack(tc.owner, tc.id, requeue, f.tick()); !errors.Is(err, ErrUnknownDelivery) {
				t.Errorf("Nack(requeue=%v) %s: err = %v, want ErrUnknownDelivery", requeue, tc.name, err)
			}
		}
	}
	if after := f.q.snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("failed settles changed state:\n%+v\n%+v", before, after)
	}
	if r := f.log.takeRecords(); len(r) != 0 {
		t.Fatalf("failed settles wrote %v", r)
	}
	f.ack(1, d.ID)
	if err := f.q.Ack(1, d.ID, f.tick(), nil); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("second Ack: err = %v, want ErrUnknownDelivery", err)
	}
}

func TestPrefetchCredit(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.publish("m")
	}
	f.consume("c", 1, 2, false)
	wantStrings(t, "first deliveries", f.takeGot(), []string{"c:1/1", "c:2/1"})
	f.publish("m")
	wantStrings(t, "with no credit", f.takeGot(), nil)
	f.ack(1, 1)
	wantStrings(t, "after ack", f.takeGot(), []string{"c:3/1"})
	f.nack(1, 2, false)
	wantStrings(t, "after nack", f.takeGot(), []string{"c:4/1"})
	f.nack(1, 3, true)
	wantStrings(t, "after requeue", f.takeGot(), []string{"c:3/2"})
	if s := f.q.Stats(f.now); s.Unacked != 2 || s.Ready != 2 || s.Consumers != 1 || s.Rejected != 1 || s.Acked != 1 {
		t.Fatalf("Stats = %+v, want 2 unacked, 2 ready, 1 consumer, 1 rejected, 1 acked", s)
	}
}

func TestRoundRobin(t *testing.T) {
	f := newFixture(t)
	a := f.consume("a", 1, 0, false)
	f.consume("b", 2, 0, false)
	f.consume("c", 3, 0, false)
	for range 4 {
		f.publish("m")
	}
	wantStrings(t, "deliveries", f.takeGot(), []string{"a:1/1", "b:2/1", "c:3/1", "a:4/1"})
	f.q.Cancel(a, f.tick())
	f.consume("d", 4, 0, false)
	for range 4 {
		f.publish("m")
	}
	// After a, b was due; d joined at the end of the round.
	wantStrings(t, "after cancel and join", f.takeGot(), []string{"b:5/1", "c:6/1", "d:7/1", "b:8/1"})
}

func TestRoundRobinSkipsConsumersWithoutCredit(t *testing.T) {
	f := newFixture(t)
	f.consume("a", 1, 1, false)
	f.consume("b", 2, 0, false)
	for range 3 {
		f.publish("m")
	}
	wantStrings(t, "deliveries", f.takeGot(), []string{"a:1/1", "b:2/1", "b:3/1"})
	f.ack(1, 1)
	wantStrings(t, "ack gives credit but nothing is ready", f.takeGot(), nil)
	f.publish("m")
	wantStrings(t, "next", f.takeGot(), []string{"a:4/1"})
}

func TestNoAck(t *testing.T) {
	f := newFixture(t)
	f.publish("a")
	f.publish("b")
	f.consume("c", 1, 1, true) // prefetch does not apply without acks
	f.publish("c")
	wantStrings(t, "no-ack deliveries", f.takeGot(), []string{"c:1/1", "c:2/1", "c:3/1"})
	f.q.Cancel(f.q.consumers[0], f.tick())
	f.publish("d")
	if d, ok := f.get(1, true); !ok || string(d.Data) != "d" {
		t.Fatalf("no-ack Get = %+v, %v; want d", d, ok)
	}
	s := f.q.Stats(f.now)
	if s.Ready != 0 || s.Unacked != 0 || s.Acked != 4 {
		t.Fatalf("Stats = %+v, want nothing held, 4 acked", s)
	}
	if ls := f.log.Stats(); ls.Messages != 0 {
		t.Fatalf("log holds %d messages after no-ack deliveries, want 0", ls.Messages)
	}
	if err := f.q.Ack(1, 4, f.tick(), nil); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("Ack of a no-ack delivery: err = %v, want ErrUnknownDelivery", err)
	}
}

func TestCancelKeepsLeases(t *testing.T) {
	f := newFixture(t)
	c := f.consume("c", 1, 0, false)
	f.publish("a")
	f.publish("b")
	f.takeGot()
	f.q.Cancel(c, f.tick())
	f.q.Cancel(c, f.tick()) // twice is harmless
	f.publish("c")
	wantStrings(t, "after cancel", f.takeGot(), nil)
	if s := f.q.Stats(f.now); s.Unacked != 2 || s.Ready != 1 || s.Consumers != 0 {
		t.Fatalf("Stats = %+v, want 2 unacked, 1 ready, 0 consumers", s)
	}
	f.ack(1, 1)
	f.nack(1, 2, true)
	wantStrings(t, "ready", f.readyIDs(), []string{"2/1", "3/0"})
}

func TestRelease(t *testing.T) {
	f := newFixture(t)
	for range 4 {
		f.publish("m")
	}
	f.get(1, false)
	f.get(2, false)
	f.get(1, false)
	if n := f.q.Release(1, f.tick()); n != 2 {
		t.Fatalf("Release = %d, want 2", n)
	}
	if n := f.q.Release(1, f.tick()); n != 0 {
		t.Fatalf("second Release = %d, want 0", n)
	}
	wantStrings(t, "ready", f.readyIDs(), []string{"1/1", "3/1", "4/0"})
	f.consume("x", 3, 0, false)
	wantStrings(t, "redelivered", f.takeGot(), []string{"x:1/2", "x:3/2", "x:4/1"})
	f.ack(2, 2) // owner 2 kept its lease
	if s := f.q.Stats(f.now); s.Unacked != 3 || s.Requeued != 2 {
		t.Fatalf("Stats = %+v, want 3 unacked, 2 requeued", s)
	}
}

func TestPurgeKeepsLeases(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.publish("m")
	}
	f.get(1, false)
	n, err := f.q.Purge(f.tick())
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if s := f.q.Stats(f.now); s.Ready != 0 || s.Unacked != 1 || s.Purged != 2 {
		t.Fatalf("Stats = %+v", s)
	}
	f.nack(1, 1, true)
	wantStrings(t, "ready", f.readyIDs(), []string{"1/1"})
}

func TestLogRecords(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.publish("m")
	}
	f.get(1, false) // 1
	f.get(1, false) // 2
	f.get(1, false) // 3
	f.get(1, true)  // 4: no-ack
	f.ack(1, 1)
	f.nack(1, 2, false)
	f.nack(1, 3, true)
	f.q.Purge(f.tick()) // 3 (returned) and 5
	want := []store.Record{
		{Kind: store.Enqueue, ID: 1}, {Kind: store.Enqueue, ID: 2}, {Kind: store.Enqueue, ID: 3},
		{Kind: store.Enqueue, ID: 4}, {Kind: store.Enqueue, ID: 5},
		{Kind: store.Ack, ID: 4}, {Kind: store.Ack, ID: 1}, {Kind: store.DeadLetter, ID: 2, Deliveries: 1},
		{Kind: store.Requeue, ID: 3, Deliveries: 1}, {Kind: store.Ack, ID: 3}, {Kind: store.Ack, ID: 5},
	}
	if got := f.log.takeRecords(); !reflect.DeepEqual(got, want) {
		t.Fatalf("records:\n got %v\nwant %v", got, want)
	}
}

func TestRestartReplaysWithCounts(t *testing.T) {
	f := newFixture(t)
	for range 4 {
		f.publish("m")
	}
	f.get(1, false)    // 1 leased at close
	f.get(1, false)    // 2
	f.nack(1, 2, true) // 2 returned once
	f.get(1, false)    // 2 again, leased at close
	f.restart()
	if f.q.Stats(f.now).OldestReadyAge != 0 {
		t.Fatalf("replayed messages should count as enqueued at Open")
	}
	wantStrings(t, "ready after restart", f.readyIDs(), []string{"1/1", "2/2", "3/0", "4/0"})
	f.consume("c", 1, 0, false)
	wantStrings(t, "deliveries after restart", f.takeGot(), []string{"c:1/2", "c:2/3", "c:3/1", "c:4/1"})
	if id := f.publish("new"); id != 5 {
		t.Fatalf("first ID after restart = %d, want 5", id)
	}
}

func TestStats(t *testing.T) {
	f := newFixture(t)
	f.publish("abc") // at t0+1s
	f.publish("de")  // at t0+2s
	f.get(1, false)
	f.now = f.now.Add(10 * time.Second)
	s := f.q.Stats(f.now)
	want := Stats{Ready: 1, Unacked: 1, ReadyBytes: 2, UnackedBytes: 3, OldestReadyAge: 11 * time.Second,
		Published: 2, Delivered: 1, AckLatency: hist.New(AckLatencyLayout)}
	if s != want {
		t.Fatalf("Stats = %+v\nwant %+v", s, want)
	}
}

func TestStickyLogError(t *testing.T) {
	f := newFixture(t)
	f.publish("a")
	f.get(1, false)
	boom := errors.New("disk on fire")
	f.log.mu.Lock()
	f.log.failErr = boom
	f.log.mu.Unlock()
	before := f.q.snapshot()
	if _, err := f.q.Publish([]byte("b"), f.tick(), nil); !errors.Is(err, boom) {
		t.Fatalf("Publish on a failed log: err = %v, want %v", err, boom)
	}
	if err := f.q.Ack(1, 1, f.tick(), nil); !errors.Is(err, boom) {
		t.Fatalf("Ack on a failed log: err = %v, want %v", err, boom)
	}
	if after := f.q.snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused commands changed state")
	}
	if s := f.q.Stats(f.now); !errors.Is(s.Err, boom) {
		t.Fatalf("Stats.Err = %v, want %v", s.Err, boom)
	}
}

func TestUnreadableMessageIsSkippedUntilReopen(t *testing.T) {
	f := newFixture(t)
	f.publish("a")
	f.publish("b")
	f.log.mu.Lock()
	f.log.readFail = map[uint64]bool{1: true}
	f.log.mu.Unlock()
	if d, ok := f.get(1, false); !ok || d.ID != 2 {
		t.Fatalf("Get = %+v, %v; want message 2", d, ok)
	}
	if s := f.q.Stats(f.now); s.Unreadable != 1 || s.Ready != 0 {
		t.Fatalf("Stats = %+v, want 1 unreadable, 0 ready", s)
	}
	f.restart() // the new testLog reads fine
	wantStrings(t, "ready after reopen", f.readyIDs(), []string{"1/0", "2/1"})
}

func TestClosed(t *testing.T) {
	f := newFixture(t)
	c := f.consume("c", 1, 0, false)
	if err := f.q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.q.Publish(nil, f.now, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, _, err := f.q.Get(1, false, f.now); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := f.q.Consume(ConsumerOptions{Deliver: func(Delivery) {}}, f.now); !errors.Is(err, ErrClosed) {
		t.Fatalf("Consume after Close: %v", err)
	}
	if _, err := f.q.Purge(f.now); !errors.Is(err, ErrClosed) {
		t.Fatalf("Purge after Close: %v", err)
	}
	f.q.Cancel(c, f.now)
	if n := f.q.Release(1, f.now); n != 0 {
		t.Fatalf("Release after Close = %d", n)
	}
}

func TestConsumeValidates(t *testing.T) {
	f := newFixture(t)
	if _, err := f.q.Consume(ConsumerOptions{Tag: "x"}, f.now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Consume without Deliver: err = %v, want ErrInvalid", err)
	}
	if _, err := f.q.Consume(ConsumerOptions{Tag: "x", Prefetch: -1, Deliver: func(Delivery) {}}, f.now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Consume with negative prefetch: err = %v, want ErrInvalid", err)
	}
	if s := f.q.Stats(f.now); s.Consumers != 0 {
		t.Fatalf("invalid consumers registered: %+v", s)
	}
}

func TestOpenRequiresLog(t *testing.T) {
	if _, err := Open(Options{Name: "x"}); err == nil {
		t.Fatal("Open without a log succeeded")
	}
	l, _ := memstore.New().Open("x")
	q, err := Open(Options{Name: "x", Log: l})
	if err != nil || q.Name() != "x" {
		t.Fatalf("Open = %v, %v", q, err)
	}
}
