package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// queueNames are names a broker may hand the store: empty, dots, slashes,
// escapes, non-ASCII and the longest allowed (255 bytes).
var queueNames = []string{
	"orders",
	"",
	".",
	"..",
	"a/b/../c",
	`back\slash`,
	"per%cent%2F",
	"amq.gen-JzTY20BRgKO-HjmUJj0wLg",
	"q.fifo",
	"ÜñíçødΣ 队列 🚀",
	"space and\ttab\nnewline",
	"NUL\x00byte",
	"CaseSensitive",
	"casesensitive",
	strings.Repeat("x", 255),
	strings.Repeat("é", 127) + "z",
	strings.Repeat("/", 255),
}

func storeNames(t *testing.T, s store.Store) []string {
	t.Helper()
	names, err := s.Names()
	if err != nil {
		t.Fatalf("Names: %v", err)
	}
	slices.Sort(names)
	return names
}

func sorted(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return out
}

// testManyLogs: one store holds many logs, each with its own contents and
// IDs, and Names returns their names as given.
func testManyLogs(t *testing.T, h Harness) {
	e := newEnv(t, h)
	for i, name := range queueNames {
		l := e.open(name)
		// Each log gets the same ids with different data: logs are separate.
		for id := uint64(1); id <= 3; id++ {
			mustAppend(t, l, enq(id, []byte(name+string(rune('0'+i)))))
		}
		mustAppend(t, l, store.Record{Kind: store.Ack, ID: uint64(i%3 + 1)})
	}
	if got, want := storeNames(t, e.s), sorted(queueNames); !slices.Equal(got, want) {
		t.Fatalf("Names = %q, want %q", got, want)
	}
	e.restart()
	if got, want := storeNames(t, e.s), sorted(queueNames); !slices.Equal(got, want) {
		t.Fatalf("after restart Names = %q, want %q", got, want)
	}
	for i, name := range queueNames {
		l := e.open(name)
		got, last := replayAll(t, l)
		if len(got) != 2 || last != 3 {
			t.Fatalf("log %q: Replay gave %v, lastID %d; want 2 entries, 3", name, got, last)
		}
		for id := uint64(1); id <= 3; id++ {
			if id == uint64(i%3+1) {
				mustNotFound(t, l, id)
			} else {
				mustRead(t, l, id, []byte(name+string(rune('0'+i))))
			}
		}
	}
	// Opening an open log gives it back, still working.
	a := e.open("orders")
	b := e.open("orders")
	mustAppend(t, a, enq(10, []byte("ten")))
	mustRead(t, b, 10, []byte("ten"))
}

// testRemoveThenReopen: Remove deletes a log for good, leaves the others,
// and a log of the same name opened later starts empty.
func testRemoveThenReopen(t *testing.T, h Harness) {
	e := newEnv(t, h)
	for _, name := range []string{"keep", "drop", ""} {
		l := e.open(name)
		for id := uint64(1); id <= 20; id++ {
			mustAppend(t, l, enq(id, payload(id, 300)))
		}
	}
	if err := e.s.Remove("drop"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := e.s.Remove(""); err != nil {
		t.Fatalf("Remove(\"\"): %v", err)
	}
	if got := storeNames(t, e.s); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("Names after Remove = %q, want [keep]", got)
	}
	l := e.open("drop")
	if got, last := replayAll(t, l); len(got) != 0 || last != 0 {
		t.Fatalf("reopened after Remove: Replay gave %d entries, lastID %d; want empty", len(got), last)
	}
	mustNotFound(t, l, 1)
	mustAppend(t, l, enq(1, []byte("new")))
	e.restart()
	if got := storeNames(t, e.s); !slices.Equal(got, []string{"drop", "keep"}) {
		t.Fatalf("Names after restart = %q, want [drop keep]", got)
	}
	l = e.open("drop")
	got, last := replayAll(t, l)
	wantEntries(t, got, []store.Entry{{Kind: store.Enqueue, ID: 1, Size: 3}})
	if last != 1 {
		t.Fatalf("lastID = %d, want 1", last)
	}
	l = e.open("keep")
	if got, _ := replayAll(t, l); len(got) != 20 {
		t.Fatalf("kept log: Replay gave %d entries, want 20", len(got))
	}
	// Removing what is not there is not an error.
	if err := e.s.Remove("never-was"); err != nil {
		t.Fatalf("Remove of unknown log: %v", err)
	}
}
