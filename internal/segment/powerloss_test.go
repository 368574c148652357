package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPowerLoss cuts the power at a random file-system operation, many
// times per seed and across all sync modes, with and without
// preallocated (and recycled) segments, while appends go on and old
// segments are removed, then reboots: what Scan returns must be the
// records appended in the segments not removed, in order, up to some
// point (no garbage, nothing after a gap, no record of a removed segment),
// and must hold every record confirmed under SyncAlways and every record
// covered by a Sync that returned.
func TestPowerLoss(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	var lost, cuts, kept, renames, removed int
	for seed := range uint64(seeds) {
		mode := []SyncMode{SyncAlways, SyncInterval, SyncNone}[seed%3]
		prealloc := seed/3%2 == 1
		var st powerStats
		name := fmt.Sprintf("seed=%d/%v/prealloc=%v", seed, mode, prealloc)
		if !t.Run(name, func(t *testing.T) { st = powerLossRun(t, seed, mode, prealloc) }) {
			t.FailNow()
		}
		lost, cuts, kept, renames, removed = lost+st.lost, cuts+st.cuts, kept+st.kept, renames+st.renames, removed+st.removed
	}
	// The test means something only if crashes lost unconfirmed records,
	// tore tails that had to be cut, and kept confirmed ones, and if
	// preallocated segments were used.
	if lost == 0 || cuts == 0 || kept == 0 || renames == 0 || removed == 0 {
		t.Fatalf("weak run: %d records lost, %d tails cut, %d confirmed records kept, %d renames of spare files, %d segments removed",
			lost, cuts, kept, renames, removed)
	}
	t.Logf("%d seeds: %d unconfirmed records lost, %d torn tails cut, %d confirmed records checked, %d renames of spare files, %d segments removed",
		seeds, lost, cuts, kept, renames, removed)
}

// powerStats is what one powerLossRun saw.
type powerStats struct {
	lost, cuts, kept, renames, removed int
}

// powerState is what the test knows while one life of the log runs.
type powerState struct {
	mu        sync.Mutex
	confirmed int // records [0, confirmed) were confirmed, in order
	failed    bool
}

// powerLossRun lives through four crashes of one log and reports how many
// appended records were lost, how many WARNs about cut data were logged,
// how many records that had to survive were checked, how many spare files
// (prepared or recycled) were renamed, and how many segments removed.
func powerLossRun(t *testing.T, seed uint64, mode SyncMode, prealloc bool) (st powerStats) {
	rng := rand.New(rand.NewPCG(seed, 99))
	c := NewCrashFS()
	tick := make(chan time.Time, 1)
	var logs logCapture
	opts := Options{FS: c, Sync: mode, SegmentSize: int64(256 + rng.IntN(4096)), Preallocate: prealloc, testTick: tick, Logger: logs.logger()}
	var history []rec // what was appended and not known lost or removed, in order
	keep := 0         // how many of history must survive the next crash
	dropped := 0      // records appended before history[0] (removed segments); indices below count from the first append
	// gone: the records of segments Remove was called on; they are not
	// in history. A Remove the crash interrupted may or may not have
	// happened: its records may come back. (Such a segment may even
	// become the active one again, when the ones after it were never
	// synced, and take new records.)
	gone := map[Pos]bool{}
	for life := range 4 {
		// This life's view: after the crash below, its log's goroutines
		// and Close can no longer touch the files the next life opens.
		opts.FS = c.Life()
		l, err := Open(testDir, opts)
		if err != nil {
			t.Fatalf("life %d: Open: %v", life, err)
		}
		// Records of removed segments that came back are dropped again;
		// the positions of those that did not are forgotten, as a segment
		// that came back cut short reuses them.
		all := scanAll(t, l)
		back := map[Pos]bool{}
		for _, r := range all {
			if gone[r.pos] {
				back[r.pos] = true
			}
		}
		gone = back
		got := slices.DeleteFunc(all, func(r rec) bool { return gone[r.pos] })
		for i, r := range got {
			if i >= len(history) || r.pos != history[i].pos || !bytes.Equal(r.payload, history[i].payload) {
				t.Fatalf("life %d (seed %d, %v, prealloc %v): record %d of %d scanned (%v) is not the record appended there (%v)", life, seed, mode, prealloc, i, len(got), r.pos, history[min(i, len(history)-1)].pos)
			}
			if p, err := l.ReadAt(r.pos); err != nil || !bytes.Equal(p, r.payload) {
				t.Fatalf("life %d: ReadAt %v: %v", life, r.pos, err)
			}
		}
		if len(got) < keep {
			t.Fatalf("life %d: %d records survived, but %d were confirmed durable", life, len(got), keep)
		}
		st.lost += len(history) - len(got)
		st.kept += keep
		history = history[:len(got)]
		durable := dropped + len(history) // survived a crash, so on disk

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
		ps := &powerState{confirmed: dropped + len(history)}
		n := 1 + rng.IntN(150)
		for range n {
			idx := dropped + len(history)
			p := payloadFor(rng, idx, rng.IntN(300))
			pos, err := l.Append(p, func(err error) {
				ps.mu.Lock()
				defer ps.mu.Unlock()
				if err != nil {
					ps.failed = true
					return
				}
				if ps.failed || idx != ps.confirmed {
					t.Errorf("record %d confirmed out of order (next expected %d, failed before: %v)", idx, ps.confirmed, ps.failed)
				}
				ps.confirmed = idx + 1
			})
			if err != nil {
				break // the log failed after the crash
			}
			history = append(history, rec{pos: pos, payload: p})
			switch rng.IntN(20) {
			case 2:
				// Remove the oldest segment, as a store does once its
				// records are settled: its records leave history (and
				// the counts of what must survive) whether or not the
				// crash lets the Remove finish.
				segs := l.Segments()
				if len(segs) < 3 {
					break
				}
				seq := segs[0].Seq
				drop := 0
				for drop < len(history) && history[drop].pos.Seg == seq {
					gone[history[drop].pos] = true
					drop++
				}
				history, dropped = history[drop:], dropped+drop
				if l.Remove(seq) == nil {
					st.removed++
				}
			case 0:
				if l.Sync() == nil {
					durable = dropped + len(history)
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
		ps.mu.Lock()
		keep = durable
		if mode == SyncAlways {
			keep = max(keep, ps.confirmed)
		}
		keep = max(0, keep-dropped)
		ps.mu.Unlock()
	}
	for _, w := range logs.entries(t, "WARN") {
		if msg, _ := w["msg"].(string); strings.Contains(msg, "torn tail") {
			st.cuts++
		}
	}
	st.renames = c.Count(OpRename)
	return st
}
