package storetest

import (
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// modelMsg is what the model knows of a live message or Dedup record.
type modelMsg struct {
	kind       store.Kind
	data       []byte
	deliveries uint32
	meta       store.Meta
}

// modelLog is a map model of one log, against which the engine is checked.
type modelLog struct {
	name   string
	l      store.Log
	live   map[uint64]modelMsg
	lastID uint64
	nextID uint64
	msgs   int // live messages, not Dedup records
	bytes  int64
}

func (m *modelLog) apply(r store.Record) {
	m.lastID = max(m.lastID, r.ID)
	switch r.Kind {
	case store.Enqueue, store.Dedup:
		m.remove(r.ID)
		m.live[r.ID] = modelMsg{kind: r.Kind, data: r.Data, deliveries: r.Deliveries, meta: r.Meta}
		if r.Kind == store.Enqueue {
			m.msgs++
			m.bytes += int64(len(r.Data))
		}
	case store.Ack, store.DeadLetter:
		m.remove(r.ID)
	case store.Requeue:
		if old, ok := m.live[r.ID]; ok && old.kind == store.Enqueue {
			old.deliveries = max(old.deliveries, r.Deliveries)
			old.meta.Due = r.Meta.Due
			m.live[r.ID] = old
		}
	}
}

func (m *modelLog) remove(id uint64) {
	if old, ok := m.live[id]; ok {
		if old.kind == store.Enqueue {
			m.msgs--
			m.bytes -= int64(len(old.data))
		}
		delete(m.live, id)
	}
}

// randomMeta returns a Meta with each field set or not at random, times
// spread over the whole int64 range, negative ones included.
func randomMeta(rng *rand.Rand) store.Meta {
	var m store.Meta
	if rng.IntN(2) == 0 {
		m.Due = randomTime(rng)
	}
	if rng.IntN(2) == 0 {
		m.Expires = randomTime(rng)
	}
	if rng.IntN(2) == 0 {
		m.Key = string(payload(uint64(rng.IntN(1000)), 1+rng.IntN(40)))
	}
	return m
}

func randomTime(rng *rand.Rand) int64 {
	switch rng.IntN(4) {
	case 0:
		return int64(rng.Uint64())
	case 1:
		return -1 - rng.Int64N(1000)
	default: // around now, as the queue engine writes them
		return 1_780_000_000_000_000_000 + rng.Int64N(1e15)
	}
}

// checkRead checks Read of id against the model: a live message's data,
// ErrNotFound for anything else (Dedup records included).
func (m *modelLog) checkRead(t *testing.T, id uint64) {
	t.Helper()
	if mm, ok := m.live[id]; ok && mm.kind == store.Enqueue {
		mustRead(t, m.l, id, mm.data)
	} else {
		mustNotFound(t, m.l, id)
	}
}

// pickLive returns a random live id, or false if none.
func (m *modelLog) pickLive(rng *rand.Rand) (uint64, bool) {
	if len(m.live) == 0 {
		return 0, false
	}
	ids := slices.Sorted(maps.Keys(m.live))
	return ids[rng.IntN(len(ids))], true
}

// testModel runs a seeded random sequence of Enqueue (with and without
// Meta), Dedup, Ack, Requeue (with and without a new Due), DeadLetter,
// Read, settle and Restart over two logs and checks every Read, Stats and
// Replay against the map model.
func testModel(t *testing.T, h Harness) {
	seed := uint64(*seedFlag)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("model test failed with seed %d: rerun with -storetest.seed=%d", seed, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ops := 3000
	if testing.Short() {
		ops = 600
	}
	e := newEnv(t, h)
	logs := []*modelLog{{name: "a"}, {name: "b"}}
	var pending sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	reopen := func() {
		for _, m := range logs {
			m.l = e.open(m.name)
			got, last := replayAll(t, m.l)
			if last != m.lastID {
				t.Fatalf("log %s: lastID = %d, want %d", m.name, last, m.lastID)
			}
			want := slices.Sorted(maps.Keys(m.live))
			if len(got) != len(want) {
				t.Fatalf("log %s: Replay gave %d entries, want %d", m.name, len(got), len(want))
			}
			for i, en := range got {
				mm := m.live[want[i]]
				wantEn := store.Entry{Kind: mm.kind, ID: want[i], Deliveries: mm.deliveries, Size: len(mm.data), Meta: mm.meta}
				if en != wantEn {
					t.Fatalf("log %s: Replay entry %d = %+v, want %+v", m.name, i, en, wantEn)
				}
			}
		}
	}
	wait := func() {
		pending.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("append failed: %v", errs[0])
		}
	}
	for _, m := range logs {
		m.live = make(map[uint64]modelMsg)
		m.nextID = 1
	}
	reopen()
	for op := range ops {
		m := logs[rng.IntN(len(logs))]
		var r store.Record
		switch p := rng.IntN(100); {
		case p < 34:
			r = enq(m.nextID, payload(m.nextID, rng.IntN(2000)))
			if rng.IntN(2) == 0 {
				r.Meta = randomMeta(rng)
			}
			m.nextID += 1 + uint64(rng.IntN(3)) // gaps, as ids are shared with other queues
		case p < 40:
			r = store.Record{Kind: store.Dedup, ID: m.nextID, Meta: randomMeta(rng)}
			m.nextID++
		case p < 60:
			id, ok := m.pickLive(rng)
			if !ok {
				continue
			}
			r = store.Record{Kind: store.Ack, ID: id}
		case p < 72:
			id, ok := m.pickLive(rng)
			if !ok {
				continue
			}
			r = store.Record{Kind: store.Requeue, ID: id, Deliveries: uint32(rng.IntN(10))}
			if rng.IntN(2) == 0 {
				r.Meta.Due = randomTime(rng)
			}
		case p < 80:
			id, ok := m.pickLive(rng)
			if !ok {
				continue
			}
			r = store.Record{Kind: store.DeadLetter, ID: id, Data: []byte("max deliveries")}
		case p < 83: // an ack or requeue of an id that is gone or never was
			kind := store.Ack
			if rng.IntN(2) == 0 {
				kind = store.Requeue
			}
			r = store.Record{Kind: kind, ID: uint64(rng.IntN(int(m.nextID))) + 1, Deliveries: 3}
			if _, ok := m.live[r.ID]; ok {
				continue
			}
		case p < 85: // a second Enqueue of a live id replaces it
			id, ok := m.pickLive(rng)
			if !ok {
				continue
			}
			r = store.Record{Kind: store.Enqueue, ID: id, Deliveries: m.live[id].deliveries, Data: payload(id+1, rng.IntN(500)), Meta: randomMeta(rng)}
		case p < 95:
			m.checkRead(t, uint64(rng.IntN(int(m.nextID)))+1)
			continue
		case p < 97:
			wait()
			e.settle(m.l)
			for id := range m.live {
				m.checkRead(t, id)
			}
			continue
		default:
			wait()
			if rng.IntN(2) == 0 {
				for _, m := range logs {
					e.settle(m.l)
				}
			}
			e.restart()
			reopen()
			continue
		}
		m.apply(r)
		pending.Add(1)
		m.l.Append(r, func(err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			pending.Done()
		})
		if st := m.l.Stats(); st.Messages != m.msgs || st.Bytes != m.bytes {
			t.Fatalf("op %d: log %s: Stats = %d messages %d bytes, want %d, %d",
				op, m.name, st.Messages, st.Bytes, m.msgs, m.bytes)
		}
	}
	wait()
	e.restart()
	reopen()
}
