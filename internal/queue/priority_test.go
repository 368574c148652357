package queue

import "testing"

// The highest priority with credit is served first, whatever the order
// of registration; negative priorities come after the default 0.
func TestPriorityOrder(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.publish("m")
	}
	f.consumeOpts(ConsumerOptions{Tag: "lo", Owner: 1, Prefetch: 1, Priority: -1})
	wantStrings(t, "alone", f.takeGot(), []string{"lo:1/1"})
	f.consumeOpts(ConsumerOptions{Tag: "mid", Owner: 2, Prefetch: 1})
	f.consumeOpts(ConsumerOptions{Tag: "hi", Owner: 3, Prefetch: 1, Priority: 5})
	wantStrings(t, "joined", f.takeGot(), []string{"mid:2/1", "hi:3/1"})
	f.ack(1, 1)
	f.ack(2, 2)
	f.ack(3, 3)
	f.publish("m")
	f.publish("m")
	f.publish("m")
	wantStrings(t, "by priority", f.takeGot(), []string{"hi:4/1", "mid:5/1", "lo:6/1"})
	f.ack(1, 6)
	f.ack(3, 4)
	f.publish("m")
	wantStrings(t, "highest free", f.takeGot(), []string{"hi:7/1"})
}

// Consumers of equal priority share in round-robin; a lower one gets
// nothing while one of them has room.
func TestPriorityRoundRobinAmongEquals(t *testing.T) {
	f := newFixture(t)
	f.consumeOpts(ConsumerOptions{Tag: "low", Owner: 1})
	f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Priority: 3})
	f.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1, Priority: 3})
	f.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1, Priority: 3, Prefetch: 1})
	for range 6 {
		f.publish("m")
	}
	wantStrings(t, "deliveries", f.takeGot(), []string{"a:1/1", "b:2/1", "c:3/1", "a:4/1", "b:5/1", "a:6/1"})
	// Serving another priority keeps the round's place.
	f.consumeOpts(ConsumerOptions{Tag: "top", Owner: 1, Priority: 9, Prefetch: 1})
	f.publish("m")
	f.publish("m")
	wantStrings(t, "top, then the round goes on", f.takeGot(), []string{"top:7/1", "b:8/1"})
}

// A blocked higher consumer (prefetch or limiter) lets the lower one
// have messages, and takes them back once it has room.
func TestPriorityBlockedHigherLetsLowerReceive(t *testing.T) {
	f := newFixture(t)
	l := NewLimiter(1)
	f.consumeOpts(ConsumerOptions{Tag: "lo", Owner: 3})
	f.consumeOpts(ConsumerOptions{Tag: "hl", Owner: 2, Priority: 5, Limiter: l})
	f.consumeOpts(ConsumerOptions{Tag: "hi", Owner: 1, Prefetch: 1, Priority: 10})
	for range 4 {
		f.publish("m")
	}
	wantStrings(t, "blocked", f.takeGot(), []string{"hi:1/1", "hl:2/1", "lo:3/1", "lo:4/1"})
	f.ack(1, 1)
	f.publish("m")
	wantStrings(t, "prefetch room", f.takeGot(), []string{"hi:5/1"})
	f.ack(2, 2)
	f.publish("m")
	f.publish("m")
	wantStrings(t, "limiter resumed", f.takeGot(), []string{"hl:6/1", "lo:7/1"})
	f.wantStats("end", 0, 5)
}

// Cancelling consumers keeps the priority bookkeeping right: back to one
// priority, the plain round-robin goes on.
func TestPriorityCancel(t *testing.T) {
	f := newFixture(t)
	a := f.consumeOpts(ConsumerOptions{Tag: "a", Owner: 1, Priority: 1})
	f.consumeOpts(ConsumerOptions{Tag: "b", Owner: 1})
	f.consumeOpts(ConsumerOptions{Tag: "c", Owner: 1})
	f.publish("m")
	wantStrings(t, "top", f.takeGot(), []string{"a:1/1"})
	f.q.Cancel(a, f.tick())
	for range 3 {
		f.publish("m")
	}
	wantStrings(t, "after cancel", f.takeGot(), []string{"b:2/1", "c:3/1", "b:4/1"})
	f.consumeOpts(ConsumerOptions{Tag: "d", Owner: 1, Priority: -2})
	f.publish("m")
	f.publish("m")
	wantStrings(t, "lower joined", f.takeGot(), []string{"c:5/1", "b:6/1"})
	f.wantStats("end", 0, 6)
}
