package queue

import (
	"testing"

	"github.com/ferrymq/ferry/internal/store/memstore"
)

// TestHotPathDoesNotAllocate holds the engine's promise that publish →
// push → ack costs no allocation (a closure over a command, for one,
// would move every command to the heap).
func TestHotPathDoesNotAllocate(t *testing.T) {
	l, _ := memstore.New().Open("hot")
	q, err := Open(Options{Name: "hot", Log: l, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
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
		t.Fatalf("publish → deliver → ack allocates %.1f times", allocs)
	}
}
