package route

import (
	"strings"

	"github.com/ferrymq/ferry/internal/message"
)

// topic routes by pattern over dot-separated words, with a trie whose
// edges are words, "*" and "#".
type topic struct {
	list
	root *topicNode
}

type topicNode struct {
	words map[string]*topicNode
	star  *topicNode     // "*": exactly one word
	hash  *topicNode     // "#": zero or more words
	dests map[string]int // destination → number of bindings ending here
}

func newTopicNode() *topicNode { return &topicNode{} }

// splitKey splits a routing key or pattern into words; the empty key has
// none, as in RabbitMQ (so "#" matches it and "*" does not).
func splitKey(k string) []string {
	if k == "" {
		return nil
	}
	return strings.Split(k, ".")
}

// normalize folds runs of "#" into one: "#.#" matches what "#" matches,
// and the folding keeps matching linear in practice.
func normalize(words []string) []string {
	out := words[:0:0]
	for _, w := range words {
		if w == "#" && len(out) > 0 && out[len(out)-1] == "#" {
			continue
		}
		out = append(out, w)
	}
	return out
}

func (t *topic) Add(b Binding) bool {
	if !t.add(b) {
		return false
	}
	n := t.root
	for _, w := range normalize(splitKey(b.Key)) {
		n = n.child(w, true)
	}
	if n.dests == nil {
		n.dests = make(map[string]int)
	}
	n.dests[b.Dest]++
	return true
}

func (t *topic) Remove(b Binding) bool {
	if !t.remove(b) {
		return false
	}
	t.unlink(b)
	return true
}

// unlink removes one binding's count from the trie and prunes empty nodes.
func (t *topic) unlink(b Binding) {
	words := normalize(splitKey(b.Key))
	path := []*topicNode{t.root}
	n := t.root
	for _, w := range words {
		n = n.child(w, false)
		if n == nil {
			return
		}
		path = append(path, n)
	}
	if n.dests[b.Dest]--; n.dests[b.Dest] <= 0 {
		delete(n.dests, b.Dest)
	}
	for i := len(words) - 1; i >= 0; i-- {
		if !path[i+1].empty() {
			break
		}
		path[i].drop(words[i])
	}
}

func (n *topicNode) child(w string, create bool) *topicNode {
	switch w {
	case "*":
		if n.star == nil && create {
			n.star = newTopicNode()
		}
		return n.star
	case "#":
		if n.hash == nil && create {
			n.hash = newTopicNode()
		}
		return n.hash
	}
	c := n.words[w]
	if c == nil && create {
		if n.words == nil {
			n.words = make(map[string]*topicNode)
		}
		c = newTopicNode()
		n.words[w] = c
	}
	return c
}

func (n *topicNode) drop(w string) {
	switch w {
	case "*":
		n.star = nil
	case "#":
		n.hash = nil
	default:
		delete(n.words, w)
	}
}

func (n *topicNode) empty() bool {
	return len(n.dests) == 0 && len(n.words) == 0 && n.star == nil && n.hash == nil
}

func (t *topic) Match(dst []string, key string, _ message.Table) []string {
	m := topicMatch{words: splitKey(key), dst: dst, start: len(dst)}
	m.walk(t.root, 0)
	return m.dst
}

// topicMatch is one walk of the trie. seen remembers (node, word index)
// pairs already explored below a "#", so that patterns with several "#"
// cannot make a walk exponential.
type topicMatch struct {
	words []string
	dst   []string
	start int
	seen  map[topicVisit]bool
}

type topicVisit struct {
	n *topicNode
	i int
}

func (m *topicMatch) walk(n *topicNode, i int) {
	if n.hash != nil {
		if m.seen == nil {
			m.seen = make(map[topicVisit]bool)
		}
		for j := i; j <= len(m.words); j++ {
			v := topicVisit{n.hash, j}
			if !m.seen[v] {
				m.seen[v] = true
				m.walk(n.hash, j)
			}
		}
	}
	if i == len(m.words) {
		for d := range n.dests {
			m.dst = appendOnce(m.dst, m.start, d)
		}
		return
	}
	if c := n.words[m.words[i]]; c != nil {
		m.walk(c, i+1)
	}
	if n.star != nil {
		m.walk(n.star, i+1)
	}
}

func (t *topic) RemoveDest(dest string) int {
	n := 0
	for _, b := range t.Bindings() {
		if b.Dest == dest && t.Remove(b) {
			n++
		}
	}
	return n
}
