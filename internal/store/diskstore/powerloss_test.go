package diskstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

var errPowerCut = errors.New("power cut")

// plQueue is what the power-loss test knows of one queue. Fields written
// by done callbacks are guarded by mu; the rest belong to the driver.
type plQueue struct {
	name string
	l    store.Log

	mu           sync.Mutex
	enqConfirmed map[uint64]bool
	ackConfirmed map[uint64]bool
	reqConfirmed map[uint64]uint32 // highest confirmed Requeue count
	maxConfirmed uint64

	ackSent map[uint64]bool // driver only
	guess   []uint64        // ids enqueued and not acked: what the driver may ack
}

func newPLQueue(name string) *plQueue {
	return &plQueue{name: name, enqConfirmed: map[uint64]bool{}, ackConfirmed: map[uint64]bool{},
		reqConfirmed: map[uint64]uint32{}, ackSent: map[uint64]bool{}}
}

// plPayload is the only valid body of id in queue q.
func plPayload(q string, id uint64) []byte {
	n := int(id*131%700) + len(q)
	b := []byte(fmt.Sprintf("%s/%d/", q, id))
	for len(b) < n {
		b = append(b, byte(id+uint64(len(b))))
	}
	return b
}

// TestPowerLoss runs random workloads (enqueue, ack, requeue, compaction)
// on CrashFS with sync=always and cuts the power at a random file-system
// operation, keeping a torn part of unsynced writes half the time. After
// each cut the store is reopened: every confirmed enqueue without an ack
// is there with its payload, every confirmed ack holds, and delivery
// counts are at least what was confirmed.
func TestPowerLoss(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	iterations := 40
	if testing.Short() {
		iterations = 8
	}
	var checked int
	for it := range iterations {
		rng := rand.New(rand.NewPCG(seed, uint64(it)))
		checked += powerLossRun(t, rng, it)
		if t.Failed() {
			t.Fatalf("failed in iteration %d with seed %d", it, seed)
		}
	}
	t.Logf("%d iterations, %d confirmed records checked", iterations, checked)
}

func powerLossRun(t *testing.T, rng *rand.Rand, it int) int {
	cfs := segment.NewCrashFS()
	// Every other iteration with preallocated segments: rotations then
	// rename prepared files into place, and a crash can leave one behind.
	opts := diskstore.Options{FS: cfs, SegmentSize: int64(1<<10 + rng.IntN(8<<10)), Preallocate: it%2 == 1, Logger: quiet}
	queues := []*plQueue{newPLQueue("a"), newPLQueue("b/β")}
	checked := 0
	for cycle := range 4 {
		var cut atomic.Bool
		var ops atomic.Int64
		cutAt := int64(rng.IntN(300) + 1)
		cfs.OnOp(func(op, name string) error {
			if cut.Load() || ops.Add(1) >= cutAt {
				cut.Store(true)
				return errPowerCut
			}
			return nil
		})
		s, err := diskstore.Open("/data", opts)
		if err != nil {
			if !cut.Load() {
				t.Fatalf("iteration %d cycle %d: Open: %v", it, cycle, err)
			}
		} else {
			powerLossWorkload(rng, s, queues, &cut)
			s.Close() // fails after the cut; stops every goroutine
		}
		// Now nothing runs: cut the power as of the failed operation.
		if rng.IntN(2) == 0 {
			cfs.CrashTorn(rand.New(rand.NewPCG(rng.Uint64(), 0)))
		} else {
			cfs.Crash()
		}
		cfs.OnOp(nil)
		checked += powerLossVerify(t, cfs, opts, queues, fmt.Sprintf("iteration %d cycle %d", it, cycle))
	}
	return checked
}

// powerLossWorkload drives random operations until the cut or 500 ops.
func powerLossWorkload(rng *rand.Rand, s *diskstore.Store, queues []*plQueue, cut *atomic.Bool) {
	for _, q := range queues {
		q.l = nil
	}
	next := map[*plQueue]uint64{}
	var pending sync.WaitGroup
	for op := 0; op < 500 && !cut.Load(); op++ {
		q := queues[rng.IntN(len(queues))]
		if q.l == nil {
			l, err := s.Open(q.name)
			if err != nil {
				return
			}
			last, err := l.Replay(func(store.Entry) error { return nil })
			if err != nil {
				return
			}
			q.l, next[q] = l, last+1
		}
		switch p := rng.IntN(100); {
		case p < 50:
			id := next[q]
			next[q]++
			q.guess = append(q.guess, id)
			pending.Add(1)
			q.l.Append(store.Record{Kind: store.Enqueue, ID: id, Data: plPayload(q.name, id)}, func(err error) {
				if err == nil {
					q.mu.Lock()
					q.enqConfirmed[id] = true
					q.maxConfirmed = max(q.maxConfirmed, id)
					q.mu.Unlock()
				}
				pending.Done()
			})
		case p < 80 && len(q.guess) > 0:
			i := rng.IntN(len(q.guess))
			id := q.guess[i]
			q.guess = slices.Delete(q.guess, i, i+1)
			q.ackSent[id] = true
			pending.Add(1)
			kind := store.Ack
			if rng.IntN(4) == 0 {
				kind = store.DeadLetter
			}
			q.l.Append(store.Record{Kind: kind, ID: id}, func(err error) {
				if err == nil {
					q.mu.Lock()
					q.ackConfirmed[id] = true
					q.mu.Unlock()
				}
				pending.Done()
			})
		case p < 88 && len(q.guess) > 0:
			id := q.guess[rng.IntN(len(q.guess))]
			d := uint32(rng.IntN(20))
			pending.Add(1)
			q.l.Append(store.Record{Kind: store.Requeue, ID: id, Deliveries: d}, func(err error) {
				if err == nil {
					q.mu.Lock()
					q.reqConfirmed[id] = max(q.reqConfirmed[id], d)
					q.mu.Unlock()
				}
				pending.Done()
			})
		case p < 91:
			q.l.(*diskstore.Log).Compact()
		case p < 100:
			pending.Wait()
		}
	}
}

// powerLossVerify reopens the store after a cut, checks it against the
// model and makes the model match what survived.
func powerLossVerify(t *testing.T, cfs *segment.CrashFS, opts diskstore.Options, queues []*plQueue, where string) int {
	t.Helper()
	s, err := diskstore.Open("/data", opts)
	if err != nil {
		t.Fatalf("%s: reopen: %v", where, err)
	}
	defer s.Close()
	names, err := s.Names()
	if err != nil {
		t.Fatalf("%s: Names: %v", where, err)
	}
	checked := 0
	for _, q := range queues {
		q.mu.Lock()
		defer q.mu.Unlock()
		if len(q.enqConfirmed) > 0 && !slices.Contains(names, q.name) {
			t.Fatalf("%s: queue %q with confirmed messages is missing from Names %q", where, q.name, names)
		}
		l, err := s.Open(q.name)
		if err != nil {
			t.Fatalf("%s: reopen %q: %v", where, q.name, err)
		}
		live := map[uint64]uint32{} // id -> deliveries
		last, err := l.Replay(func(e store.Entry) error {
			live[e.ID] = e.Deliveries
			data, err := l.Read(e.ID)
			switch {
			case err != nil:
				return fmt.Errorf("Read(%d): %w", e.ID, err)
			case !bytes.Equal(data, plPayload(q.name, e.ID)):
				return fmt.Errorf("id %d: %q is not its payload", e.ID, data)
			case q.ackConfirmed[e.ID]:
				return fmt.Errorf("id %d is live, but its ack was confirmed", e.ID)
			case e.Deliveries < q.reqConfirmed[e.ID]:
				return fmt.Errorf("id %d: %d deliveries, but %d was confirmed", e.ID, e.Deliveries, q.reqConfirmed[e.ID])
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: queue %q: %v", where, q.name, err)
		}
		if last < q.maxConfirmed {
			t.Fatalf("%s: queue %q: lastID %d below confirmed %d", where, q.name, last, q.maxConfirmed)
		}
		for id := range q.enqConfirmed {
			if _, ok := live[id]; !ok && !q.ackSent[id] {
				t.Fatalf("%s: queue %q: confirmed id %d is lost", where, q.name, id)
			}
		}
		checked += len(q.enqConfirmed) + len(q.ackConfirmed)
		// What survived is durable now: it is the new truth.
		clear(q.enqConfirmed)
		clear(q.ackSent)
		clear(q.reqConfirmed)
		q.guess = q.guess[:0]
		for id, d := range live {
			q.enqConfirmed[id] = true
			q.reqConfirmed[id] = d
			q.guess = append(q.guess, id)
		}
		slices.Sort(q.guess)
		q.maxConfirmed = max(q.maxConfirmed, last)
	}
	return checked
}
