package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store/memstore"
)

// TestLeaseTimeoutReturnsWithRetryDelay: a Get lease past the policy's
// LeaseTimeout returns by itself as a failed delivery.
func TestLeaseTimeoutReturnsWithRetryDelay(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{LeaseTimeout: 30 * s, Retry: Backoff{Initial: 5 * s}})
	x.pub("a", PublishOptions{})
	x.at(s)
	x.mustGet(1, 1, 1)
	x.wantDeadline(31 * s)
	x.at(31*s - 1)
	x.tick()
	if st := x.stats(); st.Unacked != 1 || st.LeaseExpired != 0 {
		t.Fatalf("before the deadline: Stats = %+v", st)
	}
	x.at(31 * s)
	x.tick()
	if st := x.stats(); st.Unacked != 0 || st.LeaseExpired != 1 || st.Delayed != 1 || st.Retried != 1 {
		t.Fatalf("after the deadline: Stats = %+v, want expired lease, delayed retry", st)
	}
	if err := x.q.Ack(1, 1, x.now, nil); !errors.Is(err, ErrUnknownDelivery) {
		t.Fatalf("ack of an expired lease: %v, want ErrUnknownDelivery", err)
	}
	x.wantDeadline(36 * s)
	x.none(1)
	x.at(36 * s)
	x.tick()
	x.mustGet(2, 1, 2)
	x.wantDeadline(66 * s)
	x.ack(2, 1)
	x.at(66 * s) // the acked lease's timer is stale: nothing happens
	x.tick()
	if st := x.stats(); st.LeaseExpired != 1 || st.Acked != 1 || st.Requeued != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	x.wantDeadline(-1)
}

func TestGetLeased(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{LeaseTimeout: 30 * s})
	for range 3 {
		x.pub("m", PublishOptions{})
	}
	if _, _, err := x.q.GetLeased(1, -s, x.now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("GetLeased(-1s): %v, want ErrInvalid", err)
	}
	if _, ok, err := x.q.GetLeased(1, 10*s, x.now); !ok || err != nil {
		t.Fatal("GetLeased(10s) got nothing")
	}
	if _, ok, err := x.q.GetLeased(1, 0, x.now); !ok || err != nil { // no timeout at all
		t.Fatal("GetLeased(0) got nothing")
	}
	x.mustGet(1, 3, 1) // the policy's 30s
	x.wantDeadline(10 * s)
	x.at(10 * s)
	x.tick()
	x.wantDeadline(30 * s)
	x.at(time.Hour)
	x.tick()
	if st := x.stats(); st.Unacked != 1 || st.LeaseExpired != 2 || st.Ready != 2 {
		t.Fatalf("Stats = %+v, want only message 2 still leased", st)
	}
	x.ack(1, 2)
}

func TestChangeVisibility(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{MaxDeliveries: 2, Retry: Backoff{Initial: time.Hour}})
	x.pub("a", PublishOptions{})
	x.pub("b", PublishOptions{})
	if _, _, err := x.q.GetLeased(1, 10*s, x.now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		owner   Owner
		id      uint64
		timeout time.Duration
		err     error
	}{{2, 1, s, ErrUnknownDelivery}, {1, 2, s, ErrUnknownDelivery}, {1, 1, -s, ErrInvalid}} {
		if err := x.q.ChangeVisibility(tc.owner, tc.id, tc.timeout, x.now); !errors.Is(err, tc.err) {
			t.Fatalf("ChangeVisibility(%d, %d, %v) = %v, want %v", tc.owner, tc.id, tc.timeout, err, tc.err)
		}
	}
	// Extend: the old deadline passes without effect.
	x.at(5 * s)
	if err := x.q.ChangeVisibility(1, 1, 20*s, x.now); err != nil {
		t.Fatal(err)
	}
	x.wantDeadline(10 * s) // the stale timer first; a Tick there does nothing
	x.at(10 * s)
	x.tick()
	if st := x.stats(); st.Unacked != 1 {
		t.Fatalf("extended lease returned at its old deadline: %+v", st)
	}
	x.wantDeadline(25 * s)
	// Shorten to 0: back at once, no retry delay, count kept.
	if err := x.q.ChangeVisibility(1, 1, 0, x.now); err != nil {
		t.Fatal(err)
	}
	if st := x.stats(); st.Delayed != 0 || st.Ready != 2 || st.Requeued != 1 || st.LeaseExpired != 0 {
		t.Fatalf("after visibility 0: Stats = %+v", st)
	}
	x.mustGet(1, 1, 2)
	// Second delivery reached MaxDeliveries: visibility 0 kills it.
	if err := x.q.ChangeVisibility(1, 1, 0, x.now); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "dead", x.bury(), []string{"1:delivery_limit/2:a"})
	x.mustGet(1, 2, 1)
}

// TestChangeVisibilityOnPushLease: a push lease can be given a visibility
// deadline too.
func TestChangeVisibilityOnPushLease(t *testing.T) {
	x := memPQ(t, Policy{})
	x.pub("a", PublishOptions{})
	c := x.consume("c", 1, 1, nil)
	wantStrings(t, "pushed", x.takeGot(), []string{"c:1/1"})
	x.q.Cancel(c, x.now)
	if err := x.q.ChangeVisibility(1, 1, time.Second, x.now); err != nil {
		t.Fatal(err)
	}
	x.at(time.Second)
	x.tick()
	x.mustGet(2, 1, 2)
}

// TestConsumerTimeout: a consumer holding a message too long is
// cancelled alone; what it held returns; the channel's other consumer and
// other owners keep theirs.
func TestConsumerTimeout(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{ConsumerTimeout: 30 * s})
	for range 4 {
		x.pub("m", PublishOptions{})
	}
	timedOut := map[string]int{}
	onTimeout := func(tag string) func() { return func() { timedOut[tag]++ } }
	x.consume("slow", 1, 2, onTimeout("slow")) // takes 1, 2 at 0s
	x.at(10 * s)
	x.consume("same-channel", 1, 1, onTimeout("same-channel")) // takes 3 at 10s
	x.consume("other", 2, 1, onTimeout("other"))               // takes 4 at 10s
	wantStrings(t, "first", x.takeGot(), []string{"slow:1/1", "slow:2/1", "same-channel:3/1", "other:4/1"})
	x.wantDeadline(30 * s)
	x.ack(1, 2) // slow settles one; message 1 is still too old at 30s
	x.at(30 * s)
	x.tick()
	if timedOut["slow"] != 1 || len(timedOut) != 1 {
		t.Fatalf("OnTimeout calls = %v, want slow once", timedOut)
	}
	st := x.stats()
	if st.ConsumerTimeout != 1 || st.Consumers != 2 || st.Unacked != 2 || st.Ready != 1 || st.LeaseExpired != 0 {
		t.Fatalf("Stats = %+v, want slow gone, 1 returned, 2 still leased", st)
	}
	// The others keep their leases and can settle them.
	x.ack(1, 3)
	wantStrings(t, "after ack 3", x.takeGot(), []string{"same-channel:1/2"})
	x.ack(2, 4)
	x.at(40 * s) // the timers of 3 and 4, now stale
	x.tick()
	if len(timedOut) != 1 {
		t.Fatalf("OnTimeout calls = %v after stale timers", timedOut)
	}
	x.wantDeadline(60 * s) // same-channel took 1 at 30s
	x.at(60 * s)
	x.tick()
	if timedOut["same-channel"] != 1 || timedOut["other"] != 0 {
		t.Fatalf("OnTimeout calls = %v", timedOut)
	}
	wantStrings(t, "after second timeout", x.takeGot(), []string{"other:1/3"})
}

// TestConsumerTimeoutRetryAndLimit: messages returned by a consumer
// timeout are failed deliveries.
func TestConsumerTimeoutRetryAndLimit(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{ConsumerTimeout: 10 * s, MaxDeliveries: 2, Retry: Backoff{Initial: s}})
	x.pub("a", PublishOptions{})
	x.pub("b", PublishOptions{})
	x.consume("c1", 1, 2, nil)
	wantStrings(t, "c1", x.takeGot(), []string{"c1:1/1", "c1:2/1"})
	x.at(10 * s)
	x.tick()
	if st := x.stats(); st.Delayed != 2 || st.Retried != 2 || st.Consumers != 0 {
		t.Fatalf("Stats = %+v, want both waiting out the retry delay", st)
	}
	x.consume("c2", 1, 2, nil)
	wantStrings(t, "c2 at once", x.takeGot(), nil)
	x.wantDeadline(11 * s)
	x.at(11 * s)
	x.tick()
	wantStrings(t, "c2", x.takeGot(), []string{"c2:1/2", "c2:2/2"})
	x.at(21 * s)
	x.tick()
	wantStrings(t, "dead", x.bury(), []string{"1:delivery_limit/2:a", "2:delivery_limit/2:b"})
	if st := x.stats(); st.ConsumerTimeout != 2 || st.DeadLettered[ReasonDeliveryLimit] != 2 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestNotify: Notify fires when the next deadline moves earlier than what
// NextDeadline last said, and when a message dies.
func TestNotify(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{})
	x.wantDeadline(-1)
	x.pub("a", PublishOptions{Delay: 30 * s})
	if x.notified != 1 {
		t.Fatalf("first deadline: notified %d times, want 1", x.notified)
	}
	x.pub("b", PublishOptions{Delay: 40 * s}) // later: no need
	if x.notified != 1 {
		t.Fatalf("later deadline: notified %d times, want 1", x.notified)
	}
	x.pub("c", PublishOptions{Delay: 20 * s})
	if x.notified != 2 {
		t.Fatalf("earlier deadline: notified %d times, want 2", x.notified)
	}
	x.wantDeadline(20 * s)
	x.pub("d", PublishOptions{TTL: 50 * s, HasTTL: true}) // expires after 20s: no need
	x.pub("e", PublishOptions{DedupID: "k"})              // forgotten after 5m: no need
	if x.notified != 2 {
		t.Fatalf("later deadlines: notified %d times, want 2", x.notified)
	}
	x.mustGet(1, 4, 1)
	x.nack(1, 4, false)
	if x.notified != 3 {
		t.Fatalf("a death: notified %d times, want 3", x.notified)
	}
	x.wantDeadline(20 * s)
	x.q.SetPolicy(Policy{LeaseTimeout: s}, x.now)
	if x.notified != 4 {
		t.Fatalf("SetPolicy: notified %d times, want 4", x.notified)
	}
}

// TestNextDeadline: the earliest of a due delayed message, the head's
// expiry, a lease end and a deduplication id's end.
func TestNextDeadline(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name string
		do   func(x *pq)
		want time.Duration
	}{
		{"nothing", func(x *pq) { x.pub("a", PublishOptions{}) }, -1},
		{"delay", func(x *pq) { x.pub("a", PublishOptions{Delay: 7 * s}) }, 7 * s},
		{"ttl", func(x *pq) { x.pub("a", PublishOptions{TTL: 7 * s, HasTTL: true}) }, 7*s + 1},
		{"lease", func(x *pq) {
			x.pub("a", PublishOptions{})
			x.q.GetLeased(1, 7*s, x.now)
		}, 7 * s},
		{"consumer timeout", func(x *pq) {
			x.q.SetPolicy(Policy{ConsumerTimeout: 7 * s}, x.now)
			x.pub("a", PublishOptions{})
			x.consume("c", 1, 0, nil)
		}, 7 * s},
		{"dedup", func(x *pq) {
			x.q.SetPolicy(Policy{DedupWindow: 7 * s}, x.now)
			x.pub("a", PublishOptions{DedupID: "k"})
		}, 7 * s},
		{"earliest of all", func(x *pq) {
			x.pub("a", PublishOptions{Delay: 9 * s})
			x.pub("b", PublishOptions{TTL: 8 * s, HasTTL: true})
			x.pub("c", PublishOptions{DedupID: "k"})
			x.pub("d", PublishOptions{})
			x.q.GetLeased(1, 0, x.now) // b: no end
		}, 9 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, Policy{})
			tc.do(x)
			x.wantDeadline(tc.want)
		})
	}
	x := memPQ(t, Policy{})
	x.pub("a", PublishOptions{Delay: s})
	x.q.Close()
	x.wantDeadline(-1)
}

// TestSetPolicyTimeouts: a new LeaseTimeout applies to new leases; a new
// ConsumerTimeout to leases already held.
func TestSetPolicyTimeouts(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{})
	x.pub("a", PublishOptions{})
	x.pub("b", PublishOptions{})
	x.consume("c", 1, 1, nil)
	x.takeGot()
	x.wantDeadline(-1)
	x.q.SetPolicy(Policy{ConsumerTimeout: 10 * s}, x.now)
	x.wantDeadline(10 * s)
	x.at(10 * s)
	x.tick()
	if st := x.stats(); st.ConsumerTimeout != 1 || st.Ready != 2 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestConsumerTimeoutAfterCancel: leases a cancelled consumer left behind
// still return at the consumer timeout, but the consumer, no longer
// registered, is not cancelled (or reported) a second time.
func TestConsumerTimeoutAfterCancel(t *testing.T) {
	s := time.Second
	x := memPQ(t, Policy{ConsumerTimeout: 10 * s})
	x.pub("a", PublishOptions{})
	calls := 0
	c := x.consume("c", 1, 1, func() { calls++ })
	wantStrings(t, "pushed", x.takeGot(), []string{"c:1/1"})
	x.q.Cancel(c, x.now)
	x.at(10 * s)
	x.tick()
	if calls != 0 {
		t.Fatalf("OnTimeout called %d times for a consumer already cancelled", calls)
	}
	if st := x.stats(); st.Unacked != 0 || st.Ready != 1 || st.ConsumerTimeout != 0 || st.LeaseExpired != 1 {
		t.Fatalf("Stats = %+v, want the lease returned as an expired lease", st)
	}
	x.mustGet(2, 1, 2)
}

// TestSetPolicyKeepsOneTimerPerLease: re-arming the lease timers on a
// policy change does not pile up copies.
func TestSetPolicyKeepsOneTimerPerLease(t *testing.T) {
	x := memPQ(t, Policy{LeaseTimeout: time.Minute})
	x.pub("a", PublishOptions{})
	x.mustGet(1, 1, 1)
	for range 5 {
		x.q.SetPolicy(Policy{LeaseTimeout: time.Minute}, x.now)
	}
	x.q.mu.Lock()
	n := len(x.q.timers)
	x.q.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d timers for one lease", n)
	}
	x.at(time.Minute)
	x.tick()
	if st := x.stats(); st.LeaseExpired != 1 || st.Ready != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestStaleLeaseCannotSettleNewer: after a lease times out and the same
// owner gets the message again, settling the old hand-out by Lease fails
// and leaves the new lease alone; settling the new one works.
func TestStaleLeaseCannotSettleNewer(t *testing.T) {
	l, _ := memstore.New().Open("q")
	q, err := Open(Options{Name: "q", Log: l, Now: t0, Policy: Policy{LeaseTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Publish([]byte("m"), t0, nil); err != nil {
		t.Fatal(err)
	}
	old, ok, _ := q.Get(1, false, t0)
	if !ok {
		t.Fatal("no message")
	}
	later := t0.Add(2 * time.Second)
	q.Tick(later)
	fresh, ok, _ := q.Get(1, false, later)
	if !ok || fresh.ID != old.ID || fresh.Deliveries != 2 {
		t.Fatalf("second get: %+v %v", fresh, ok)
	}
	for name, err := range map[string]error{
		"ack":        q.AckLease(1, old.Lease(), later, nil),
		"nack":       q.NackLease(1, old.Lease(), true, later),
		"visibility": q.ChangeLeaseVisibility(1, old.Lease(), 0, later),
	} {
		if !errors.Is(err, ErrUnknownDelivery) {
			t.Errorf("%s of the stale lease: %v, want ErrUnknownDelivery", name, err)
		}
	}
	if s := q.Stats(later); s.Unacked != 1 {
		t.Fatalf("stale settle touched the new lease: %+v", s)
	}
	if err := q.AckLease(1, fresh.Lease(), later, nil); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(later); s.Unacked != 0 || s.Acked != 1 {
		t.Fatalf("after ack: %+v", s)
	}
}
