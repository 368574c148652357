package diskstore

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

func TestEntIs24Bytes(t *testing.T) {
	if n := unsafe.Sizeof(ent{}); n != 24 {
		t.Fatalf("ent is %d bytes, want 24: the heap budget per message depends on it", n)
	}
}

// TestSegIndexFindsOutOfOrder adds ids in random order, kills some, and
// checks find against a map after every step, across tail merges and
// shrinks.
func TestSegIndexFindsOutOfOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := newSegIndex(1)
	model := map[uint64]uint32{} // live id -> off
	for i := range 5000 {
		id := uint64(rng.IntN(3000)) + 1
		if off, ok := model[id]; ok && rng.IntN(2) == 0 {
			e := s.find(id)
			if e == nil || e.off != off {
				t.Fatalf("step %d: find(%d) = %+v, want off %d", i, id, e, off)
			}
			s.kill(e, 10)
			s.shrink()
			delete(model, id)
		} else if !ok {
			s.add(ent{id: id, off: uint32(i)}, 10)
			model[id] = uint32(i)
		}
		probe := uint64(rng.IntN(3000)) + 1
		e := s.find(probe)
		off, ok := model[probe]
		if ok != (e != nil) || ok && e.off != off {
			t.Fatalf("step %d: find(%d) = %+v, model has %d, %v", i, probe, e, off, ok)
		}
		if s.live != len(model) || s.liveBytes != int64(10*len(model)) {
			t.Fatalf("step %d: live %d bytes %d, want %d", i, s.live, s.liveBytes, len(model))
		}
	}
	live := s.appendLive(nil)
	if len(live) != len(model) {
		t.Fatalf("appendLive gave %d, want %d", len(live), len(model))
	}
	for i := 1; i < len(live); i++ {
		if live[i].id <= live[i-1].id {
			t.Fatalf("appendLive not sorted at %d: %d after %d", i, live[i].id, live[i-1].id)
		}
	}
}
