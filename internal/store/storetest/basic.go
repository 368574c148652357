package storetest

import (
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// wantEntries compares a replay with the expected live set.
func wantEntries(t *testing.T, got []store.Entry, want []store.Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Replay gave %d entries %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Replay entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// testRoundTrip: what is appended can be read back at once, and after a
// restart it is replayed and read back the same.
func testRoundTrip(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	if got, last := replayAll(t, l); len(got) != 0 || last != 0 {
		t.Fatalf("new log: Replay gave %v, lastID %d; want nothing, 0", got, last)
	}
	sizes := []int{0, 1, 17, 1024, 70000}
	var want []store.Entry
	for i, n := range sizes {
		id := uint64(i + 1)
		mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: id, Deliveries: uint32(i), Data: payload(id, n)})
		mustRead(t, l, id, payload(id, n))
		want = append(want, store.Entry{Kind: store.Enqueue, ID: id, Deliveries: uint32(i), Size: n})
	}
	e.restart()
	l = e.open("q")
	got, last := replayAll(t, l)
	wantEntries(t, got, want)
	if last != uint64(len(sizes)) {
		t.Fatalf("lastID = %d, want %d", last, len(sizes))
	}
	for i, n := range sizes {
		mustRead(t, l, uint64(i+1), payload(uint64(i+1), n))
	}
}

// testAckDeadLetterRequeue: acks and dead-letters remove, requeues keep
// the highest delivery count, and all of it survives a restart.
func testAckDeadLetterRequeue(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	for id := uint64(1); id <= 6; id++ {
		mustAppend(t, l, enq(id, payload(id, 10)))
	}
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 1})
	mustAppend(t, l, store.Record{Kind: store.DeadLetter, ID: 2, Data: []byte("rejected")})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 3, Deliveries: 2})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 3, Deliveries: 1}) // max wins
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 4, Deliveries: 5})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 1, Deliveries: 9}) // acked: no effect
	mustNotFound(t, l, 1)
	mustNotFound(t, l, 2)
	mustRead(t, l, 3, payload(3, 10))

	e.restart()
	l = e.open("q")
	got, last := replayAll(t, l)
	wantEntries(t, got, []store.Entry{{Kind: store.Enqueue, ID: 3, Deliveries: 2, Size: 10}, {Kind: store.Enqueue, ID: 4, Deliveries: 5, Size: 10},
		{Kind: store.Enqueue, ID: 5, Size: 10}, {Kind: store.Enqueue, ID: 6, Size: 10}})
	if last != 6 {
		t.Fatalf("lastID = %d, want 6", last)
	}
	mustNotFound(t, l, 1)
	mustNotFound(t, l, 2)

	// The counts survive a second round of changes and restart too.
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 3, Deliveries: 3})
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 4})
	mustAppend(t, l, store.Record{Kind: store.DeadLetter, ID: 5})
	e.restart()
	l = e.open("q")
	got, _ = replayAll(t, l)
	wantEntries(t, got, []store.Entry{{Kind: store.Enqueue, ID: 3, Deliveries: 3, Size: 10}, {Kind: store.Enqueue, ID: 6, Size: 10}})
	mustRead(t, l, 6, payload(6, 10))
}

// testReplaceEnqueue: a second Enqueue of a live id replaces its data (a
// compaction copy does this inside the disk engine).
func testReplaceEnqueue(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	mustAppend(t, l, enq(1, []byte("first")))
	mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: 1, Deliveries: 4, Data: []byte("second!")})
	mustRead(t, l, 1, []byte("second!"))
	if st := l.Stats(); st.Messages != 1 || st.Bytes != 7 {
		t.Fatalf("Stats = %d messages %d bytes, want 1, 7", st.Messages, st.Bytes)
	}
	e.restart()
	l = e.open("q")
	got, _ := replayAll(t, l)
	wantEntries(t, got, []store.Entry{{Kind: store.Enqueue, ID: 1, Deliveries: 4, Size: 7}})
	mustRead(t, l, 1, []byte("second!"))
}

// testNotFound: unknown, acked and dead-lettered ids are not found, before
// and after a restart.
func testNotFound(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	mustNotFound(t, l, 1)
	mustAppend(t, l, enq(1, []byte("a")))
	mustAppend(t, l, enq(2, []byte("b")))
	mustAppend(t, l, enq(3, []byte("c")))
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 1})
	mustAppend(t, l, store.Record{Kind: store.DeadLetter, ID: 2})
	for _, id := range []uint64{0, 1, 2, 4, 1 << 40} {
		mustNotFound(t, l, id)
	}
	e.restart()
	l = e.open("q")
	replayAll(t, l)
	for _, id := range []uint64{0, 1, 2, 4, 1 << 40} {
		mustNotFound(t, l, id)
	}
	mustRead(t, l, 3, []byte("c"))
}

// testStats: Messages and Bytes count live messages and their data.
func testStats(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	check := func(msgs int, bytes int64) {
		t.Helper()
		st := l.Stats()
		if st.Messages != msgs || st.Bytes != bytes || st.Err != nil {
			t.Fatalf("Stats = %d messages, %d bytes, err %v; want %d, %d, nil", st.Messages, st.Bytes, st.Err, msgs, bytes)
		}
		if st.Segments < 0 || st.DiskBytes < 0 {
			t.Fatalf("Stats = %d segments, %d disk bytes; want >= 0", st.Segments, st.DiskBytes)
		}
	}
	check(0, 0)
	for id := uint64(1); id <= 10; id++ {
		mustAppend(t, l, enq(id, payload(id, int(id)*100)))
	}
	check(10, 5500)
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 10})
	mustAppend(t, l, store.Record{Kind: store.DeadLetter, ID: 9, Data: []byte("why")})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 8, Deliveries: 3})
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 77}) // unknown: no change
	check(8, 3600)
	e.restart()
	l = e.open("q")
	replayAll(t, l)
	check(8, 3600)
}
