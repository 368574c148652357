package queue

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

func TestDedupWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		want   time.Duration
	}{
		{"default", 0, DefaultDedupWindow},
		{"policy", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := memPQ(t, Policy{DedupWindow: tc.window})
			first := x.pub("a", PublishOptions{DedupID: "k"})
			if first.Duplicate {
				t.Fatal("first publish reported duplicate")
			}
			x.wantDeadline(tc.want)
			x.mustGet(1, first.ID, 1)
			x.ack(1, first.ID) // acked: still remembered
			x.at(tc.want - 1)
			var done error = errors.New("not called")
			r, err := x.q.PublishWith([]byte("a2"), PublishOptions{DedupID: "k"}, x.now, func(err error) { done = err })
			if err != nil || !r.Duplicate || r.ID != first.ID || done != nil {
				t.Fatalf("duplicate publish = %+v, %v, done %v; want duplicate of %d, confirmed", r, err, done, first.ID)
			}
			x.none(1)
			other := x.pub("b", PublishOptions{DedupID: "other"})
			if other.Duplicate {
				t.Fatal("another id reported duplicate")
			}
			if s := x.stats(); s.Deduplicated != 1 || s.Published != 2 || s.DedupIDs != 2 {
				t.Fatalf("Stats = %+v, want 1 deduplicated, 2 published, 2 ids", s)
			}
			// At the end of the window the id is forgotten, even before a Tick.
			x.at(tc.want)
			again := x.pub("a3", PublishOptions{DedupID: "k"})
			if again.Duplicate || again.ID <= other.ID {
				t.Fatalf("publish after the window = %+v, want a new message", again)
			}
		})
	}
}

func TestDedupTickForgets(t *testing.T) {
	x := memPQ(t, Policy{DedupWindow: 10 * time.Second})
	r := x.pub("a", PublishOptions{DedupID: "k"})
	x.at(5 * time.Second)
	x.pub("b", PublishOptions{DedupID: "j"})
	x.wantDeadline(10 * time.Second)
	x.log.takeRecords()
	x.at(10 * time.Second)
	x.tick()
	if s := x.stats(); s.DedupIDs != 1 {
		t.Fatalf("DedupIDs = %d, want 1", s.DedupIDs)
	}
	recs := x.log.takeRecords()
	if len(recs) != 1 || recs[0].Kind != store.Ack || recs[0].ID != r.ID-1 {
		t.Fatalf("records = %+v, want an Ack of the Dedup record %d", recs, r.ID-1)
	}
	x.wantDeadline(15 * time.Second)
	x.at(15 * time.Second)
	x.tick()
	x.wantDeadline(-1)
	if s := x.stats(); s.DedupIDs != 0 {
		t.Fatalf("DedupIDs = %d, want 0", s.DedupIDs)
	}
	x.mustGet(1, r.ID, 1) // messages are not touched
}

// TestDedupSurvivesRestart: ids are remembered across a restart until
// their window passes, then forgotten (and their records dropped).
func TestDedupSurvivesRestart(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			w := 10 * time.Second
			x := newPQ(t, eng, Policy{DedupWindow: w})
			a := x.pub("a", PublishOptions{DedupID: "a"})
			x.at(4 * time.Second)
			b := x.pub("b", PublishOptions{DedupID: "b"})
			x.mustGet(1, a.ID, 1)
			x.ack(1, a.ID)

			x.at(5 * time.Second)
			x.restart()
			if s := x.stats(); s.DedupIDs != 2 || s.Ready != 1 {
				t.Fatalf("after restart: Stats = %+v, want 2 ids, 1 ready", s)
			}
			x.wantDeadline(w)
			if r := x.pub("a again", PublishOptions{DedupID: "a"}); !r.Duplicate || r.ID != a.ID {
				t.Fatalf("after restart: publish a = %+v, want duplicate of %d", r, a.ID)
			}
			if r := x.pub("b again", PublishOptions{DedupID: "b"}); !r.Duplicate || r.ID != b.ID {
				t.Fatalf("after restart: publish b = %+v, want duplicate of %d", r, b.ID)
			}

			// Reopen past a's window, inside b's.
			x.at(12 * time.Second)
			x.restart()
			if s := x.stats(); s.DedupIDs != 1 {
				t.Fatalf("after second restart: DedupIDs = %d, want 1", s.DedupIDs)
			}
			if r := x.pub("b again", PublishOptions{DedupID: "b"}); !r.Duplicate {
				t.Fatalf("b inside its window = %+v, want duplicate", r)
			}
			if r := x.pub("a new", PublishOptions{DedupID: "a"}); r.Duplicate || r.ID <= b.ID {
				t.Fatalf("a past its window = %+v, want a new message", r)
			}
			// The expired id's record was dropped: a third restart still
			// finds b (until 14s) and the new a, nothing else.
			x.at(15 * time.Second)
			x.restart()
			if s := x.stats(); s.DedupIDs != 1 {
				t.Fatalf("after third restart: DedupIDs = %d, want 1 (the new a)", s.DedupIDs)
			}
			if r := x.pub("b", PublishOptions{DedupID: "b"}); r.Duplicate {
				t.Fatalf("b past its window after restart = %+v, want new", r)
			}
			if r := x.pub("a", PublishOptions{DedupID: "a"}); !r.Duplicate {
				t.Fatalf("new a inside its window after restart = %+v, want duplicate", r)
			}
		})
	}
}

// TestDedupRecordsDoNotCountAsMessages: Dedup records take IDs but are not
// messages: not ready, not in the length limit, not in the log's count.
func TestDedupRecordsDoNotCountAsMessages(t *testing.T) {
	x := memPQ(t, Policy{MaxLength: 2, HasMaxLength: true, Overflow: OverflowRejectPublish})
	x.pub("a", PublishOptions{DedupID: "1"})
	x.pub("b", PublishOptions{DedupID: "2"})
	if s := x.stats(); s.Ready != 2 || s.DedupIDs != 2 {
		t.Fatalf("Stats = %+v", s)
	}
	if n := x.log.Stats().Messages; n != 2 {
		t.Fatalf("log counts %d messages, want 2", n)
	}
	x.mustGet(1, 2, 1)
	x.mustGet(1, 4, 1)
	x.none(1)
}

// holdLog holds back the completions of appends until release, as a disk
// log does until its fsync.
type holdLog struct {
	store.Log
	mu   sync.Mutex
	held []func()
}

func (l *holdLog) Append(r store.Record, done func(error)) {
	l.Log.Append(r, nil)
	if done != nil {
		l.mu.Lock()
		l.held = append(l.held, func() { done(nil) })
		l.mu.Unlock()
	}
}

func (l *holdLog) release() {
	l.mu.Lock()
	h := l.held
	l.held = nil
	l.mu.Unlock()
	for _, f := range h {
		f()
	}
}

// TestDuplicateConfirmedAfterOriginal: a repeat is not confirmed before
// the message it repeats is durable, or a crash in between would lose a
// message whose publisher saw a confirm.
func TestDuplicateConfirmedAfterOriginal(t *testing.T) {
	ml, _ := memstore.New().Open("q")
	l := &holdLog{Log: ml}
	q, err := Open(Options{Name: "q", Log: l, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var order []string
	o := PublishOptions{DedupID: "k"}
	if _, err := q.PublishWith([]byte("a"), o, t0, func(error) { order = append(order, "original") }); err != nil {
		t.Fatal(err)
	}
	r, err := q.PublishWith([]byte("a"), o, t0, func(error) { order = append(order, "duplicate") })
	if err != nil || !r.Duplicate {
		t.Fatalf("second publish: %+v %v", r, err)
	}
	if len(order) != 0 {
		t.Fatalf("confirmed before the original was durable: %v", order)
	}
	l.release()
	if want := []string{"original", "duplicate"}; !slices.Equal(order, want) {
		t.Fatalf("confirms %v, want %v", order, want)
	}
	// Once durable, a repeat is confirmed at once.
	q.PublishWith([]byte("a"), o, t0, func(error) { order = append(order, "later") })
	if len(order) != 3 {
		t.Fatalf("a repeat of a durable message waited: %v", order)
	}
}
