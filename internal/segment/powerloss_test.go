package segment

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPowerLoss cuts the power at a random file-system operation, many
// times per seed and across all sync modes, with and without
// preallocated segments, then reboots: what Scan
// returns must be a prefix of what was appended (no garbage, nothing after
// a gap), and must hold every record confirmed under SyncAlways and every
// record covered by a Sync that returned.
func TestPowerLoss(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	var lost, cuts, kept, renames int
	for seed := range uint64(seeds) {
		mode := []SyncMode{SyncAlways, SyncInterval, SyncNone}[seed%3]
		prealloc := seed/3%2 == 1
		l, c, k, r := powerLossRun(t, seed, mode, prealloc)
		if t.Failed() {
			t.Fatalf("seed %d, mode %v, preallocate %v failed", seed, mode, prealloc)
		}
		lost, cuts, kept, renames = lost+l, cuts+c, kept+k, renames+r
	}
	// The test means something only if crashes lost unconfirmed records,
	// tore tails that had to be cut, and kept confirmed ones, and if
	// preallocated segments were used.
	if lost == 0 || cuts == 0 || kept == 0 || renames == 0 {
		t.Fatalf("weak run: %d records lost, %d tails cut, %d confirmed records kept, %d prepared segments used",
			lost, cuts, kept, renames)
	}
	t.Logf("%d seeds: %d unconfirmed records lost, %d torn tails cut, %d confirmed records checked, %d prepared segments used",
		seeds, lost, cuts, kept, renames)
}

// powerState is what the test knows while one life of the log runs.
type powerState struct {
	mu        sync.Mutex
	confirmed int // records [0, confirmed) were confirmed, in order
	failed    bool
}

// powerLossRun lives through four crashes of one log and reports how many
// appended records were lost, how many WARNs about cut data were logged,
// how many records that had to survive were checked, and how many
// prepared segments were renamed into place.
func powerLossRun(t *testing.T, seed uint64, mode SyncMode, prealloc bool) (lost, cuts, kept, renames int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	c := NewCrashFS()
	tick := make(chan time.Time, 1)
	var logs logCapture
	opts := Options{FS: c, Sync: mode, SegmentSize: int64(256 + rng.IntN(4096)), Preallocate: prealloc, testTick: tick, Logger: logs.logger()}
	var history [][]byte // what was appended and not known lost, in order
	keep := 0            // how many of history must survive the next crash
	for life := range 4 {
		// This life's view: after the crash below, its log's goroutines
		// and Close can no longer touch the files the next life opens.
		opts.FS = c.Life()
		l, err := Open(testDir, opts)
		if err != nil {
			t.Fatalf("life %d: Open: %v", life, err)
		}
		got := scanAll(t, l)
		for i, r := range got {
			if i >= len(history) || !bytes.Equal(r.payload, history[i]) {
				t.Fatalf("life %d: record %d of %d scanned is not the record appended there", life, i, len(got))
			}
			if p, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(p, r.payload) {
				t.Fatalf("life %d: ReadAt %v: %v", life, r.pos, err)
			}
		}
		if len(got) < keep {
			t.Fatalf("life %d: %d records survived, but %d were confirmed durable", life, len(got), keep)
		}
		lost += len(history) - len(got)
		kept += keep
		history = history[:len(got)]
		durable := len(history) // survived a crash, so on disk

		// Run until the power goes, at a random operation of this life.
		crashAt := 1 + rng.IntN(60)
		crashRng := rand.New(rand.NewPCG(seed, uint64(life)))
		torn := rng.IntN(2) == 0
		var ops atomic.Int64
		var crashOnce sync.Once
		crash := func() {
			crashOnce.Do(func() {
				if torn {
					c.CrashTorn(crashRng)
				} else {
					c.Crash()
				}
			})
		}
		c.OnOp(func(op, _ string) error {
			if ops.Add(1) == int64(crashAt) {
				crash()
			}
			return nil
		})
		st := &powerState{confirmed: len(history)}
		base := len(history)
		n := 1 + rng.IntN(150)
		for i := range n {
			p := payloadFor(rng, base+i, rng.IntN(300))
			idx := base + i
			_, err := l.Append(p, func(err error) {
				st.mu.Lock()
				defer st.mu.Unlock()
				if err != nil {
					st.failed = true
					return
				}
				if st.failed || idx != st.confirmed {
					t.Errorf("record %d confirmed out of order (next expected %d, failed before: %v)", idx, st.confirmed, st.failed)
				}
				st.confirmed = idx + 1
			})
			if err != nil {
				break // the log failed after the crash
			}
			history = append(history, p)
			switch rng.IntN(20) {
			case 0:
				if l.Sync() == nil {
					durable = len(history)
				}
			case 1:
				select {
				case tick <- time.Time{}:
				default:
				}
			}
		}
		l.Sync()
		crash() // if it has not happened yet
		l.Close()
		c.OnOp(nil)
		st.mu.Lock()
		keep = durable
		if mode == SyncAlways {
			keep = max(keep, st.confirmed)
		}
		st.mu.Unlock()
	}
	for _, w := range logs.entries(t, "WARN") {
		if msg, _ := w["msg"].(string); strings.Contains(msg, "torn tail") {
			cuts++
		}
	}
	return lost, cuts, kept, c.Count(OpRename)
}
