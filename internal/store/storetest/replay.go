package storetest

import (
	"math/rand/v2"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// testReplayOrder: Replay reports live messages in ID order whatever order
// they were appended in, across segment boundaries and background work.
func testReplayOrder(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	const n = 300
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i+1) * 3
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids {
		mustAppend(t, l, enq(id, payload(id, 100)))
	}
	for _, id := range ids {
		if id%2 == 0 {
			mustAppend(t, l, store.Record{Kind: store.Ack, ID: id})
		}
	}
	e.settle(l)
	e.restart()
	l = e.open("q")
	got, last := replayAll(t, l)
	if last != 3*n {
		t.Fatalf("lastID = %d, want %d", last, 3*n)
	}
	if len(got) != n/2 {
		t.Fatalf("Replay gave %d entries, want %d", len(got), n/2)
	}
	for _, en := range got {
		if en.ID%2 == 0 || en.ID%3 != 0 || en.Size != 100 {
			t.Fatalf("Replay gave %+v, which was acked or never appended", en)
		}
		mustRead(t, l, en.ID, payload(en.ID, 100))
	}
}

// testLastIDMonotonic: the last ID never goes backwards, even when every
// message was acked and the engine has thrown away what held them.
func testLastIDMonotonic(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	next := uint64(1)
	for round := range 5 {
		for range 40 {
			mustAppend(t, l, enq(next, payload(next, 500)))
			next++
		}
		for id := next - 40; id < next; id++ {
			mustAppend(t, l, store.Record{Kind: store.Ack, ID: id})
		}
		e.settle(l)
		for range 2 { // a restart with nothing appended keeps it too
			e.restart()
			l = e.open("q")
			got, last := replayAll(t, l)
			if len(got) != 0 {
				t.Fatalf("round %d: Replay gave %d entries after all were acked", round, len(got))
			}
			if last != next-1 {
				t.Fatalf("round %d: lastID = %d, want %d", round, last, next-1)
			}
			if st := l.Stats(); st.Messages != 0 || st.Bytes != 0 {
				t.Fatalf("round %d: Stats = %d messages %d bytes, want 0", round, st.Messages, st.Bytes)
			}
		}
	}
}
