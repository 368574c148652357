package route

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

func match(m Matcher, key string, h message.Table) []string {
	got := m.Match(nil, key, h)
	slices.Sort(got)
	return got
}

func TestDirect(t *testing.T) {
	m := New(Direct)
	m.Add(Binding{Dest: "q1", Key: "a"})
	m.Add(Binding{Dest: "q2", Key: "a"})
	m.Add(Binding{Dest: "q1", Key: "b"})
	if !m.Add(Binding{Dest: "q1", Key: "a", Args: message.Table{{Key: "x", Value: "y"}}}) {
		t.Fatal("a binding differing in arguments is a distinct binding")
	}
	if m.Add(Binding{Dest: "q1", Key: "a"}) {
		t.Fatal("duplicate binding added twice")
	}
	if got := match(m, "a", nil); !slices.Equal(got, []string{"q1", "q2"}) {
		t.Fatalf("a → %v", got)
	}
	m.Remove(Binding{Dest: "q1", Key: "a"})
	if got := match(m, "a", nil); !slices.Equal(got, []string{"q1", "q2"}) {
		t.Fatalf("after removing one of q1's two bindings: a → %v", got)
	}
	if n := m.RemoveDest("q1"); n != 2 {
		t.Fatalf("RemoveDest removed %d, want 2", n)
	}
	if got := match(m, "a", nil); !slices.Equal(got, []string{"q2"}) {
		t.Fatalf("after RemoveDest: a → %v", got)
	}
	if got := match(m, "b", nil); len(got) != 0 {
		t.Fatalf("b → %v, want nothing", got)
	}
}

func TestFanoutIgnoresKeyAndReportsEachDestOnce(t *testing.T) {
	m := New(Fanout)
	m.Add(Binding{Dest: "q1", Key: "x"})
	m.Add(Binding{Dest: "q1", Key: "y"})
	m.Add(Binding{Dest: "q2"})
	if got := match(m, "anything", nil); !slices.Equal(got, []string{"q1", "q2"}) {
		t.Fatalf("got %v", got)
	}
}

func TestTopicCases(t *testing.T) {
	cases := []struct {
		pattern, key string
		want         bool
	}{
		{"a.b.c", "a.b.c", true},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.c", false},
		{"a.#.c", "a.c", true},
		{"a.#.c", "a.b.b.c", true},
		{"#", "", true},
		{"#", "a.b", true},
		{"*", "", false},
		{"*", "a", true},
		{"*", "a.b", false},
		{"#.b", "b", true},
		{"#.b", "a.b.b", true},
		{"a.#", "a", true},
		{"a.#.#.b", "a.b", true},
		{"*.#", "", false},
		{"a..b", "a..b", true},
		{"a.*.b", "a..b", true},
		{"", "", true},
		{"", "a", false},
		{"#.*", "a", true},
		{"#.*", "", false},
	}
	for _, c := range cases {
		m := New(Topic)
		m.Add(Binding{Dest: "q", Key: c.pattern})
		got := len(m.Match(nil, c.key, nil)) == 1
		if got != c.want {
			t.Errorf("pattern %q key %q: matched=%v want %v", c.pattern, c.key, got, c.want)
		}
		if got != refTopic(splitKey(c.pattern), splitKey(c.key)) {
			t.Errorf("reference disagrees on pattern %q key %q", c.pattern, c.key)
		}
	}
}

// refTopic is the definition of topic matching, written as plainly as
// possible, to check the trie against.
func refTopic(p, k []string) bool {
	if len(p) == 0 {
		return len(k) == 0
	}
	switch p[0] {
	case "#":
		for i := 0; i <= len(k); i++ {
			if refTopic(p[1:], k[i:]) {
				return true
			}
		}
		return false
	case "*":
		return len(k) > 0 && refTopic(p[1:], k[1:])
	}
	return len(k) > 0 && k[0] == p[0] && refTopic(p[1:], k[1:])
}

func randomWords(r *rand.Rand, alphabet []string, max int) string {
	n := r.IntN(max + 1)
	w := make([]string, n)
	for i := range w {
		w[i] = alphabet[r.IntN(len(alphabet))]
	}
	return strings.Join(w, ".")
}

func TestTopicAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		m := New(Topic)
		var patterns []string
		for i := 0; i < 20; i++ {
			p := randomWords(r, []string{"a", "b", "*", "#"}, 5)
			patterns = append(patterns, p)
			m.Add(Binding{Dest: fmt.Sprint("q", i), Key: p})
		}
		// Remove a few, to exercise pruning.
		for i := 0; i < 5; i++ {
			j := r.IntN(len(patterns))
			m.Remove(Binding{Dest: fmt.Sprint("q", j), Key: patterns[j]})
			patterns[j] = "\x00removed"
		}
		for k := 0; k < 20; k++ {
			key := randomWords(r, []string{"a", "b", "c"}, 6)
			var want []string
			for i, p := range patterns {
				if p != "\x00removed" && refTopic(splitKey(p), splitKey(key)) {
					want = append(want, fmt.Sprint("q", i))
				}
			}
			slices.Sort(want)
			if got := match(m, key, nil); !slices.Equal(got, want) {
				t.Fatalf("round %d key %q: got %v want %v (patterns %q)", round, key, got, want, patterns)
			}
		}
	}
}

func TestTopicManyHashesStayFast(t *testing.T) {
	m := New(Topic)
	m.Add(Binding{Dest: "q", Key: "#.a.#.a.#.a.#.a.#.a.#.a.#.a.#.a.#.b"})
	key := strings.Repeat("a.", 100) + "a"
	// Without memoisation this walk takes C(100, 9) steps and never ends.
	if got := m.Match(nil, key, nil); len(got) != 0 {
		t.Fatalf("matched %v", got)
	}
}

func TestTopicRemovePrunesTrie(t *testing.T) {
	m := New(Topic).(*topic)
	b := Binding{Dest: "q", Key: "a.*.#.c"}
	m.Add(b)
	if !m.Remove(b) || !m.root.empty() {
		t.Fatal("trie not empty after removing its only binding")
	}
	if m.Remove(b) {
		t.Fatal("second Remove reported success")
	}
}

func TestHeaders(t *testing.T) {
	hdrs := message.Table{{Key: "format", Value: "pdf"}, {Key: "type", Value: "report"}, {Key: "n", Value: int32(5)}, {Key: "x-tag", Value: "t"}}
	cases := []struct {
		name string
		args message.Table
		want bool
	}{
		{"all default", message.Table{{Key: "format", Value: "pdf"}, {Key: "type", Value: "report"}}, true},
		{"all one wrong", message.Table{{Key: "x-match", Value: "all"}, {Key: "format", Value: "pdf"}, {Key: "type", Value: "log"}}, false},
		{"any one right", message.Table{{Key: "x-match", Value: "any"}, {Key: "format", Value: "zip"}, {Key: "type", Value: "report"}}, true},
		{"any none right", message.Table{{Key: "x-match", Value: "any"}, {Key: "format", Value: "zip"}}, false},
		{"int widths compare by value", message.Table{{Key: "n", Value: int64(5)}}, true},
		{"void matches presence", message.Table{{Key: "type", Value: nil}}, true},
		{"void missing header", message.Table{{Key: "absent", Value: nil}}, false},
		{"x- args ignored by all", message.Table{{Key: "x-tag", Value: "other"}, {Key: "format", Value: "pdf"}}, true},
		{"all-with-x compares x- args", message.Table{{Key: "x-match", Value: "all-with-x"}, {Key: "x-tag", Value: "other"}}, false},
		{"any-with-x", message.Table{{Key: "x-match", Value: "any-with-x"}, {Key: "x-tag", Value: "t"}}, true},
		{"all with no args matches", message.Table{}, true},
		{"any with no args does not", message.Table{{Key: "x-match", Value: "any"}}, false},
		{"bytes equal string", message.Table{{Key: "format", Value: []byte("pdf")}}, true},
	}
	for _, c := range cases {
		m := New(Headers)
		m.Add(Binding{Dest: "q", Args: c.args})
		if got := len(m.Match(nil, "", hdrs)) == 1; got != c.want {
			t.Errorf("%s: matched=%v want %v", c.name, got, c.want)
		}
	}
}

func FuzzTopic(f *testing.F) {
	f.Add("a.*.#", "a.b.c.d")
	f.Add("#", "")
	f.Add("#.#.*", "x")
	f.Add("a..b", "a..b")
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if len(pattern) > 255 || len(key) > 255 {
			return
		}
		m := New(Topic)
		b := Binding{Dest: "q", Key: pattern}
		m.Add(b)
		got := len(m.Match(nil, key, nil)) == 1
		if len(splitKey(pattern)) <= 12 && len(splitKey(key)) <= 12 {
			if want := refTopic(splitKey(pattern), splitKey(key)); got != want {
				t.Fatalf("pattern %q key %q: trie %v reference %v", pattern, key, got, want)
			}
		}
		if !m.Remove(b) || !m.(*topic).root.empty() {
			t.Fatalf("pattern %q not fully removed", pattern)
		}
	})
}

func BenchmarkTopicMatch1000Bindings(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	m := New(Topic)
	for i := 0; i < 1000; i++ {
		m.Add(Binding{Dest: fmt.Sprint("q", i), Key: randomWords(r, []string{"orders", "eu", "us", "created", "*", "#"}, 4)})
	}
	dst := make([]string, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = m.Match(dst[:0], "orders.eu.created", nil)
	}
}
