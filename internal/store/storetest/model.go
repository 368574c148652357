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

// modelMsg is what the model knows of a live message.
type modelMsg struct {
	data       []byte
	deliveries uint32
}

// modelLog is a map model of one log, against which the engine is checked.
type modelLog struct {
	name   string
	l      store.Log
	live   map[uint64]modelMsg
	lastID uint64
	nextID uint64
	bytes  int64
}

func (m *modelLog) apply(r store.Record) {
	m.lastID = max(m.lastID, r.ID)
	switch r.Kind {
	case store.Enqueue:
		if old, ok := m.live[r.ID]; ok {
			m.bytes -= int64(len(old.data))
		}
		m.live[r.ID] = modelMsg{data: r.Data, deliveries: r.Deliveries}
		m.bytes += int64(len(r.Data))
	case store.Ack, store.DeadLetter:
		if old, ok := m.live[r.ID]; ok {
			m.bytes -= int64(len(old.data))
			delete(m.live, r.ID)
		}
	case store.Requeue:
		if old, ok := m.live[r.ID]; ok {
			old.deliveries = max(old.deliveries, r.Deliveries)
			m.live[r.ID] = old
		}
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

// testModel runs a seeded random sequence of Enqueue, Ack, Requeue,
// DeadLetter, Read, settle and Restart over two logs and checks every
// Read, Stats and Replay against the map model.
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
				if en.ID != want[i] || en.Deliveries != mm.deliveries || en.Size != len(mm.data) {
					t.Fatalf("log %s: Replay entry %d = %+v, want {ID:%d Deliveries:%d Size:%d}",
						m.name, i, en, want[i], mm.deliveries, len(mm.data))
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
		case p < 40:
			r = enq(m.nextID, payload(m.nextID, rng.IntN(2000)))
			m.nextID += 1 + uint64(rng.IntN(3)) // gaps, as ids are shared with other queues
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
			r = store.Record{Kind: store.Enqueue, ID: id, Deliveries: m.live[id].deliveries, Data: payload(id+1, rng.IntN(500))}
		case p < 95:
			id := uint64(rng.IntN(int(m.nextID))) + 1
			if mm, ok := m.live[id]; ok {
				mustRead(t, m.l, id, mm.data)
			} else {
				mustNotFound(t, m.l, id)
			}
			continue
		case p < 97:
			wait()
			e.settle(m.l)
			for id, mm := range m.live {
				mustRead(t, m.l, id, mm.data)
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
		if st := m.l.Stats(); st.Messages != len(m.live) || st.Bytes != m.bytes {
			t.Fatalf("op %d: log %s: Stats = %d messages %d bytes, want %d, %d",
				op, m.name, st.Messages, st.Bytes, len(m.live), m.bytes)
		}
	}
	wait()
	e.restart()
	reopen()
}
