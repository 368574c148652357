package queue

import (
	"fmt"
	"testing"
	"time"
)

// TestFIFOTwoGroupsTwoConsumers: each group is handed out strictly in
// order, one message at a time; the other group flows meanwhile.
func TestFIFOTwoGroupsTwoConsumers(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true})
	// IDs: a1=1 b1=2 a2=3 b2=4 a3=5 b3=6
	for i := 1; i <= 3; i++ {
		x.pub(fmt.Sprintf("a%d", i), PublishOptions{Group: "A"})
		x.pub(fmt.Sprintf("b%d", i), PublishOptions{Group: "B"})
	}
	x.consume("c1", 1, 1, nil)
	x.consume("c2", 2, 1, nil)
	// c1 took a1 at registration; c2 gets b1 when it comes. a2, a3, b2,
	// b3 are held back.
	wantStrings(t, "first", x.takeGot(), []string{"c1:1/1", "c2:2/1"})
	x.none(3) // a third taker finds both groups held
	if s := x.stats(); s.BlockedGroups != 2 || s.Ready != 4 || s.Unacked != 2 {
		t.Fatalf("Stats = %+v, want 2 blocked groups, 4 ready, 2 unacked", s)
	}
	x.ack(2, 2) // b1 done: b2 goes to c2, the one with credit
	wantStrings(t, "after ack b1", x.takeGot(), []string{"c2:4/1"})
	x.ack(1, 1) // a1 done: a2 goes
	wantStrings(t, "after ack a1", x.takeGot(), []string{"c1:3/1"})
	if s := x.stats(); s.BlockedGroups != 2 || s.Ready != 2 {
		t.Fatalf("Stats = %+v, want 2 blocked, 2 ready", s)
	}
	// Settle the rest; each group's order is strict.
	order := map[string][]uint64{}
	var pending []Delivery
	pending = append(pending, x.leased()...)
	for len(pending) > 0 {
		d := pending[0]
		pending = pending[1:]
		order[d.Group] = append(order[d.Group], d.ID)
		x.ack(ownerOf(d), d.ID)
		x.got = nil
		pending = append(pending, x.leased()...)
		pending = dedupDeliveries(pending)
	}
	if fmt.Sprint(order["A"]) != "[3 5]" || fmt.Sprint(order["B"]) != "[4 6]" {
		t.Fatalf("order = %v", order)
	}
	if s := x.stats(); s.BlockedGroups != 0 || s.Ready != 0 || s.Unacked != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

// leased returns the queue's leases as deliveries (ID, group, owner in
// Consumer), in ID order.
func (x *pq) leased() []Delivery {
	x.q.mu.Lock()
	defer x.q.mu.Unlock()
	var out []Delivery
	for _, id := range x.q.allLeaseIDsLocked() {
		l := x.q.leases[id]
		d := Delivery{ID: id, Consumer: fmt.Sprint(l.owner.id)}
		if l.grp != nil {
			d.Group = l.grp.key
		}
		out = append(out, d)
	}
	return out
}

func ownerOf(d Delivery) Owner {
	var o Owner
	fmt.Sscan(d.Consumer, &o)
	return o
}

func dedupDeliveries(ds []Delivery) []Delivery {
	seen := map[uint64]bool{}
	var out []Delivery
	for _, d := range ds {
		if !seen[d.ID] {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	return out
}

// TestFIFOGet: Get skips held groups and hands out the others.
func TestFIFOGet(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.pub("n", PublishOptions{}) // no group: never held
	x.pub("b1", PublishOptions{Group: "B"})
	d := x.mustGet(1, 1, 1)
	if d.Group != "A" {
		t.Fatalf("Group = %q", d.Group)
	}
	x.mustGet(2, 3, 1)
	x.mustGet(2, 4, 1)
	x.none(2)
	x.nack(1, 1, true) // immediate requeue: a1 again, before a2
	x.mustGet(2, 1, 2)
	x.none(2)
	x.ack(2, 1)
	x.mustGet(2, 2, 1)
}

// TestFIFORetryHoldsGroup: while a message waits out its retry delay, its
// group's later messages wait too; other groups flow.
func TestFIFORetryHoldsGroup(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true, Retry: Backoff{Initial: 10 * time.Second}})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.pub("b1", PublishOptions{Group: "B"})
	x.mustGet(1, 1, 1)
	x.nack(1, 1, true)
	x.mustGet(1, 3, 1) // B flows; a2 is held
	x.none(1)
	if s := x.stats(); s.BlockedGroups != 1 || s.Delayed != 1 || s.Ready != 1 {
		t.Fatalf("Stats = %+v, want A blocked, a1 delayed, a2 waiting", s)
	}
	x.at(10 * time.Second)
	x.tick()
	x.mustGet(1, 1, 2)
	x.none(1)
	x.ack(1, 1)
	x.mustGet(1, 2, 1)
}

// TestFIFODeliveryLimitFreesGroup: a message that dies of the delivery
// limit gives its group back.
func TestFIFODeliveryLimitFreesGroup(t *testing.T) {
	for _, how := range []string{"nack", "lease timeout"} {
		t.Run(how, func(t *testing.T) {
			x := memPQ(t, Policy{FIFO: true, MaxDeliveries: 2, LeaseTimeout: time.Minute})
			x.pub("a1", PublishOptions{Group: "A"})
			x.pub("a2", PublishOptions{Group: "A"})
			for n := uint32(1); n <= 2; n++ {
				x.mustGet(1, 1, n)
				x.none(1)
				if how == "nack" {
					x.nack(1, 1, true)
				} else {
					x.at(x.now.Sub(t0) + time.Minute)
					x.tick()
				}
			}
			if s := x.stats(); s.BlockedGroups != 0 || s.Dead != 1 {
				t.Fatalf("Stats = %+v, want group free, 1 dead", s)
			}
			d := x.mustGet(1, 2, 1)
			if d.Group != "A" {
				t.Fatalf("Group = %q", d.Group)
			}
			dead := x.q.TakeDead(10)
			if len(dead) != 1 || dead[0].Group != "A" || dead[0].Reason != ReasonDeliveryLimit {
				t.Fatalf("dead = %+v", dead)
			}
		})
	}
}

// TestFIFORejectFreesGroup: a nack without requeue frees the group at
// once, before the dead letter is settled.
func TestFIFORejectFreesGroup(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.mustGet(1, 1, 1)
	if err := x.q.Nack(1, 1, false, x.now); err != nil {
		t.Fatal(err)
	}
	x.mustGet(1, 2, 1)
	wantStrings(t, "dead", x.bury(), []string{"1:rejected/1:a1"})
}

// TestGroupsWithoutFIFO: a non-FIFO queue keeps group keys but does not
// hold messages back.
func TestGroupsWithoutFIFO(t *testing.T) {
	x := memPQ(t, Policy{})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	if d := x.mustGet(1, 1, 1); d.Group != "A" {
		t.Fatalf("Group = %q", d.Group)
	}
	x.mustGet(1, 2, 1)
	if s := x.stats(); s.BlockedGroups != 0 {
		t.Fatalf("BlockedGroups = %d", s.BlockedGroups)
	}
}

// TestFIFOTurnedOffReleasesWaiting: turning FIFO off lets held-back
// messages go.
func TestFIFOTurnedOffReleasesWaiting(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.pub("a3", PublishOptions{Group: "A"})
	x.mustGet(1, 1, 1)
	x.none(1)
	x.q.SetPolicy(Policy{}, x.now)
	x.mustGet(1, 2, 1)
	x.mustGet(1, 3, 1)
	if s := x.stats(); s.BlockedGroups != 0 || s.Ready != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

// TestFIFOGroupAfterRestart: the group key survives a restart, and a
// message waiting out a retry delay still holds its group.
func TestFIFOGroupAfterRestart(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			x := newPQ(t, eng, Policy{FIFO: true, Retry: Backoff{Initial: time.Minute}})
			x.pub("a1", PublishOptions{Group: "A"})
			x.pub("a2", PublishOptions{Group: "A"})
			x.pub("b1", PublishOptions{Group: "B"})
			x.mustGet(1, 1, 1)
			x.nack(1, 1, true) // due at 1m
			x.at(time.Second)
			x.restart()
			if d := x.mustGet(1, 3, 1); d.Group != "B" {
				t.Fatalf("Group after restart = %q", d.Group)
			}
			x.none(1) // a2 must wait for a1's retry
			x.at(time.Minute)
			x.tick()
			x.mustGet(1, 1, 2)
			x.none(1)
		})
	}
}

// TestPurgeWithFIFOHeldGroup: Purge removes every waiting message, those
// held back behind a retry-delayed message included.
func TestPurgeWithFIFOHeldGroup(t *testing.T) {
	x := memPQ(t, Policy{FIFO: true, Retry: Backoff{Initial: time.Minute}})
	x.pub("a1", PublishOptions{Group: "A"})
	x.pub("a2", PublishOptions{Group: "A"})
	x.pub("a3", PublishOptions{Group: "A"})
	x.mustGet(1, 1, 1)
	x.nack(1, 1, true)
	x.none(1) // a2 parked behind a1
	n, err := x.q.Purge(x.now)
	if err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3", n, err)
	}
	if s := x.stats(); s.Ready != 0 || s.Delayed != 0 || s.BlockedGroups != 0 || s.ReadyBytes != 0 {
		t.Fatalf("after purge: Stats = %+v, want empty", s)
	}
	x.none(1)
	x.q.mu.Lock()
	ng := len(x.q.groups)
	x.q.mu.Unlock()
	if ng != 0 {
		t.Fatalf("%d groups kept after purge", ng)
	}
}
