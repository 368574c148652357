package storetest

import (
	"math"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// now is a plausible current time in Unix ns, as the queue engine writes.
const now = int64(1_780_000_000_000_000_000)

// metaCases are Metas an Enqueue may carry: each field alone, together,
// and the extremes of their types.
var metaCases = []store.Meta{
	{},
	{Due: now + 5e9},
	{Expires: now + 60e9},
	{Key: "group-a"},
	{Due: now + 1, Expires: now + 2, Key: "g"},
	{Due: math.MaxInt64, Expires: math.MinInt64, Key: strings.Repeat("k", 300)},
	{Due: -1, Expires: 1, Key: "ÜñíçødΣ 🚀\x00"},
}

// msgEntry is the Entry a replay gives for a message.
func msgEntry(id uint64, deliveries uint32, size int, m store.Meta) store.Entry {
	return store.Entry{Kind: store.Enqueue, ID: id, Deliveries: deliveries, Size: size, Meta: m}
}

// dedupEntry is the Entry a replay gives for a Dedup record.
func dedupEntry(id uint64, key string, expires int64) store.Entry {
	return store.Entry{Kind: store.Dedup, ID: id, Meta: store.Meta{Key: key, Expires: expires}}
}

func dedup(id uint64, key string, expires int64) store.Record {
	return store.Record{Kind: store.Dedup, ID: id, Meta: store.Meta{Key: key, Expires: expires}}
}

// checkStats checks that Stats counts msgs messages of bytes bytes.
func checkStats(t *testing.T, l store.Log, msgs int, bytes int64) {
	t.Helper()
	if st := l.Stats(); st.Messages != msgs || st.Bytes != bytes {
		t.Fatalf("Stats = %d messages %d bytes, want %d, %d (Dedup records are not messages)",
			st.Messages, st.Bytes, msgs, bytes)
	}
}

// testMetaRoundTrip: an Enqueue's Meta comes back from Replay after a
// restart exactly as given, whatever its fields hold, and a second restart
// keeps it.
func testMetaRoundTrip(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	var want []store.Entry
	for i, m := range metaCases {
		id := uint64(i + 1)
		mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: id, Deliveries: uint32(i), Data: payload(id, 10*i), Meta: m})
		mustRead(t, l, id, payload(id, 10*i))
		want = append(want, msgEntry(id, uint32(i), 10*i, m))
	}
	for range 2 {
		e.restart()
		l = e.open("q")
		got, _ := replayAll(t, l)
		wantEntries(t, got, want)
		for i := range metaCases {
			mustRead(t, l, uint64(i+1), payload(uint64(i+1), 10*i))
		}
	}
}

// testRequeueDue: a Requeue's Due replaces the message's Due (zero
// included: ready at once) and leaves Expires and Key alone; a Requeue
// does not touch a Dedup record.
func testRequeueDue(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	m := store.Meta{Due: now, Expires: now + 100e9, Key: "g"}
	for id := uint64(1); id <= 4; id++ {
		mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: id, Data: payload(id, 5), Meta: m})
	}
	mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: 5, Data: payload(5, 5)})
	mustAppend(t, l, dedup(6, "d", now+300e9))
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 1, Deliveries: 1, Meta: store.Meta{Due: now + 2e9}})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 1, Deliveries: 2, Meta: store.Meta{Due: now + 4e9}})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 2, Deliveries: 1}) // Due 0: ready now
	// A Requeue carries only Due; other fields it is given are ignored.
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 3, Deliveries: 1,
		Meta: store.Meta{Due: now + 8e9, Expires: 1, Key: "other"}})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 5, Deliveries: 1, Meta: store.Meta{Due: now + 3e9}})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 6, Deliveries: 7, Meta: store.Meta{Due: now + 9e9}})
	e.restart()
	l = e.open("q")
	got, _ := replayAll(t, l)
	want := []store.Entry{
		msgEntry(1, 2, 5, store.Meta{Due: now + 4e9, Expires: now + 100e9, Key: "g"}),
		msgEntry(2, 1, 5, store.Meta{Expires: now + 100e9, Key: "g"}),
		msgEntry(3, 1, 5, store.Meta{Due: now + 8e9, Expires: now + 100e9, Key: "g"}),
		msgEntry(4, 0, 5, m),
		msgEntry(5, 1, 5, store.Meta{Due: now + 3e9}),
		dedupEntry(6, "d", now+300e9),
	}
	wantEntries(t, got, want)

	// Once more after the restart: the new Due lands on the replayed state.
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 1, Deliveries: 3})
	mustAppend(t, l, store.Record{Kind: store.Requeue, ID: 5, Deliveries: 2})
	e.restart()
	l = e.open("q")
	got, _ = replayAll(t, l)
	want[0] = msgEntry(1, 3, 5, store.Meta{Expires: now + 100e9, Key: "g"})
	want[4] = msgEntry(5, 2, 5, store.Meta{})
	wantEntries(t, got, want)
}

// testDedupRecords: a Dedup record is live until an Ack of its id, is
// replayed as Kind Dedup with its Meta, is not a message (Read says
// ErrNotFound, Stats does not count it), and holds its place in the id
// sequence like a message.
func testDedupRecords(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	mustAppend(t, l, enq(1, payload(1, 100)))
	mustAppend(t, l, dedup(2, "order-17", now+300e9))
	mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: 3, Data: payload(3, 50), Meta: store.Meta{Key: "grp"}})
	mustAppend(t, l, dedup(4, "order-18", now+301e9))
	mustAppend(t, l, dedup(5, "order-19", now+302e9))
	checkStats(t, l, 2, 150)
	for _, id := range []uint64{2, 4, 5} {
		mustNotFound(t, l, id)
	}
	mustAppend(t, l, store.Record{Kind: store.Ack, ID: 4})
	checkStats(t, l, 2, 150)

	e.restart()
	l = e.open("q")
	got, last := replayAll(t, l)
	wantEntries(t, got, []store.Entry{
		msgEntry(1, 0, 100, store.Meta{}),
		dedupEntry(2, "order-17", now+300e9),
		msgEntry(3, 0, 50, store.Meta{Key: "grp"}),
		dedupEntry(5, "order-19", now+302e9),
	})
	if last != 5 {
		t.Fatalf("lastID = %d, want 5", last)
	}
	checkStats(t, l, 2, 150)
	mustNotFound(t, l, 2)
	mustNotFound(t, l, 5)
	mustRead(t, l, 3, payload(3, 50))

	// Forgetting every dedup id and the messages leaves nothing, but the
	// last id stays.
	for _, id := range []uint64{1, 2, 3, 5} {
		mustAppend(t, l, store.Record{Kind: store.Ack, ID: id})
	}
	checkStats(t, l, 0, 0)
	e.settle(l)
	e.restart()
	l = e.open("q")
	if got, last := replayAll(t, l); len(got) != 0 || last != 5 {
		t.Fatalf("after acking all: Replay gave %v, lastID %d; want nothing, 5", got, last)
	}
}

// testMetaAcrossCompaction: messages with Meta (some requeued to a new
// Due, before and after the engine's background work) and Dedup records
// keep everything across deletion and compaction of the segments that
// held them, and across restarts. The acks thin the log out so that a
// disk engine compacts.
func testMetaAcrossCompaction(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	type item struct {
		entry store.Entry
		data  []byte
	}
	live := map[uint64]*item{}
	const n = 400
	for id := uint64(1); id <= n; id++ {
		if id%5 == 0 {
			r := dedup(id, "dedup-"+strings.Repeat("x", int(id%40)), now+int64(id))
			mustAppend(t, l, r)
			live[id] = &item{entry: dedupEntry(id, r.Meta.Key, r.Meta.Expires)}
			continue
		}
		m := metaCases[id%uint64(len(metaCases))]
		data := payload(id, 200+int(id%7)*30)
		mustAppend(t, l, store.Record{Kind: store.Enqueue, ID: id, Data: data, Meta: m})
		live[id] = &item{entry: msgEntry(id, 0, len(data), m), data: data}
	}
	requeue := func(id uint64, due int64) {
		it := live[id]
		if it == nil || it.entry.Kind != store.Enqueue {
			return
		}
		it.entry.Deliveries++
		it.entry.Meta.Due = due
		mustAppend(t, l, store.Record{Kind: store.Requeue, ID: id, Deliveries: it.entry.Deliveries, Meta: store.Meta{Due: due}})
	}
	for id := uint64(1); id <= n; id += 3 {
		requeue(id, now+int64(id)*1e6)
	}
	// Ack three messages in four and one Dedup record in three.
	for id := uint64(1); id <= n; id++ {
		it := live[id]
		if it.entry.Kind == store.Enqueue && id%4 != 0 || it.entry.Kind == store.Dedup && id%3 == 0 {
			mustAppend(t, l, store.Record{Kind: store.Ack, ID: id})
			delete(live, id)
		}
	}
	e.settle(l)
	// Requeues after the background work land on the copies.
	for id := uint64(4); id <= n; id += 8 {
		requeue(id, 0)
	}
	for id := uint64(8); id <= n; id += 16 {
		requeue(id, now+7)
	}
	check := func(stage string) {
		t.Helper()
		got, last := replayAll(t, l)
		if last != n {
			t.Fatalf("%s: lastID = %d, want %d", stage, last, n)
		}
		var want []store.Entry
		msgs, bytes := 0, int64(0)
		for id := uint64(1); id <= n; id++ {
			if it := live[id]; it != nil {
				want = append(want, it.entry)
				if it.entry.Kind == store.Enqueue {
					msgs++
					bytes += int64(len(it.data))
				}
			}
		}
		wantEntries(t, got, want)
		checkStats(t, l, msgs, bytes)
		for id := uint64(1); id <= n; id++ {
			if it := live[id]; it != nil && it.entry.Kind == store.Enqueue {
				mustRead(t, l, id, it.data)
			} else {
				mustNotFound(t, l, id)
			}
		}
	}
	e.settle(l)
	e.restart()
	l = e.open("q")
	check("after compaction and restart")
	// The replayed index must be as good as the one built by appends:
	// more acks, settle, restart.
	for id := uint64(1); id <= n; id++ {
		if it := live[id]; it != nil && id%8 == 0 {
			mustAppend(t, l, store.Record{Kind: store.Ack, ID: id})
			delete(live, id)
		}
	}
	e.settle(l)
	e.restart()
	l = e.open("q")
	check("after a second round")
}
