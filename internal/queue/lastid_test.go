package queue

import "testing"

// TestLastID: the highest ID used, kept across a restart, and raised by
// every publish.
func TestLastID(t *testing.T) {
	f := newFixture(t)
	if f.q.LastID() != 0 {
		t.Fatalf("empty queue: LastID %d", f.q.LastID())
	}
	f.publish("a")
	id := f.publish("b")
	if f.q.LastID() != id {
		t.Fatalf("LastID = %d, want %d", f.q.LastID(), id)
	}
	d, _ := f.get(1, false)
	f.ack(1, d.ID)
	f.restart()
	if f.q.LastID() != id {
		t.Fatalf("after restart LastID = %d, want %d", f.q.LastID(), id)
	}
	if next := f.publish("c"); next <= id || f.q.LastID() != next {
		t.Fatalf("next publish %d, LastID %d; want above %d", next, f.q.LastID(), id)
	}
}
