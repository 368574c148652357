package route

import (
	"fmt"

	"github.com/ferrymq/ferry/internal/message"
)

// Kind is an exchange type.
type Kind uint8

// The exchange types of AMQP 0-9-1.
const (
	Direct Kind = iota + 1
	Fanout
	Topic
	Headers
)

// ParseKind maps an exchange type name to its Kind.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "direct":
		return Direct, nil
	case "fanout":
		return Fanout, nil
	case "topic":
		return Topic, nil
	case "headers":
		return Headers, nil
	}
	return 0, fmt.Errorf("unknown exchange type %q", s)
}

func (k Kind) String() string {
	switch k {
	case Direct:
		return "direct"
	case Fanout:
		return "fanout"
	case Topic:
		return "topic"
	case Headers:
		return "headers"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Binding links an exchange to a destination.
type Binding struct {
	Dest string
	Key  string
	Args message.Table // compared by headers exchanges; part of a binding's identity for all kinds
}

// Matcher holds an exchange's bindings and routes messages through them.
// It is not safe for concurrent use.
type Matcher interface {
	// Add adds b and reports whether it was new (an equal binding already
	// present is not added twice).
	Add(b Binding) bool
	// Remove removes b and reports whether it was there.
	Remove(b Binding) bool
	// Match appends to dst, once each, the destinations a message with this
	// routing key and these headers goes to.
	Match(dst []string, routingKey string, headers message.Table) []string
	// Bindings lists the bindings in the order they were added.
	Bindings() []Binding
	// RemoveDest removes every binding to dest and returns how many.
	RemoveDest(dest string) int
}

// New returns an empty Matcher for kind.
func New(kind Kind) Matcher {
	switch kind {
	case Direct:
		return &direct{byKey: make(map[string][]string)}
	case Fanout:
		return &fanout{}
	case Topic:
		return &topic{root: newTopicNode()}
	case Headers:
		return &headers{}
	}
	panic(fmt.Sprintf("route: unknown kind %d", kind))
}

// list keeps bindings in insertion order and answers identity questions;
// every matcher embeds it.
type list struct{ all []Binding }

func (l *list) index(b Binding) int {
	for i := range l.all {
		if l.all[i].Dest == b.Dest && l.all[i].Key == b.Key && tablesEqual(l.all[i].Args, b.Args) {
			return i
		}
	}
	return -1
}

func (l *list) add(b Binding) bool {
	if l.index(b) >= 0 {
		return false
	}
	l.all = append(l.all, b)
	return true
}

func (l *list) remove(b Binding) bool {
	i := l.index(b)
	if i < 0 {
		return false
	}
	l.all = append(l.all[:i], l.all[i+1:]...)
	return true
}

func (l *list) Bindings() []Binding { return append([]Binding(nil), l.all...) }

// appendOnce appends d unless dst already holds it. Fan-out per message is
// small, so a scan beats a map allocation.
func appendOnce(dst []string, start int, d string) []string {
	for _, x := range dst[start:] {
		if x == d {
			return dst
		}
	}
	return append(dst, d)
}
