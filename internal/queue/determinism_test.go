package queue

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestDeterminism feeds two queues, on separate stores, the same random
// command sequence and checks after every command that they agree on
// everything: internal state (counters, cursor, leases, credit), answers,
// push deliveries and the records written to their logs. This is what a
// replica applying the same Raft entries relies on.
func TestDeterminism(t *testing.T) {
	steps := 2000
	if testing.Short() {
		steps = 500
	}
	for _, seed := range seeds(t, 4) {
		r := rand.New(rand.NewPCG(seed, 0xd00d))
		m := newModel() // only to generate plausible steps
		a, b := newDriver(t, memEngine), newDriver(t, memEngine)
		now := t0
		for i := range steps {
			now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			s := m.gen(r, now)
			m.do(s)
			m.pushed = nil
			oa, ob := a.do(s), b.do(s)
			if oa != ob {
				t.Fatalf("seed %d step %d %v: answers %+v and %+v", seed, i, s, oa, ob)
			}
			if pa, pb := a.takePushed(), b.takePushed(); !slices.Equal(pa, pb) {
				t.Fatalf("seed %d step %d %v: pushed %v and %v", seed, i, s, pa, pb)
			}
			if ra, rb := a.takeRecords(), b.takeRecords(); !reflect.DeepEqual(ra, rb) {
				t.Fatalf("seed %d step %d %v: log records %v and %v", seed, i, s, ra, rb)
			}
			if sa, sb := a.q.snapshot(), b.q.snapshot(); !reflect.DeepEqual(sa, sb) {
				t.Fatalf("seed %d step %d %v: state\n%+v\n%+v", seed, i, s, sa, sb)
			}
		}
		a.close()
		b.close()
	}
}
