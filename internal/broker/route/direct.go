package route

import "github.com/ferrymq/ferry/internal/message"

// direct routes on equality of routing key and binding key.
type direct struct {
	list
	byKey map[string][]string // binding key → destinations, in binding order
}

func (d *direct) Add(b Binding) bool {
	if !d.add(b) {
		return false
	}
	d.rebuild(b.Key)
	return true
}

func (d *direct) Remove(b Binding) bool {
	if !d.remove(b) {
		return false
	}
	d.rebuild(b.Key)
	return true
}

// rebuild recomputes the destinations of one key from the binding list, so
// bindings that differ only in arguments stay counted correctly.
func (d *direct) rebuild(key string) {
	var dests []string
	for _, b := range d.all {
		if b.Key == key {
			dests = appendOnce(dests, 0, b.Dest)
		}
	}
	if len(dests) == 0 {
		delete(d.byKey, key)
		return
	}
	d.byKey[key] = dests
}

func (d *direct) Match(dst []string, key string, _ message.Table) []string {
	start := len(dst)
	for _, dest := range d.byKey[key] {
		dst = appendOnce(dst, start, dest)
	}
	return dst
}

func (d *direct) RemoveDest(dest string) int {
	n := 0
	keys := map[string]bool{}
	for i := 0; i < len(d.all); {
		if d.all[i].Dest == dest {
			keys[d.all[i].Key] = true
			d.all = append(d.all[:i], d.all[i+1:]...)
			n++
			continue
		}
		i++
	}
	for k := range keys {
		d.rebuild(k)
	}
	return n
}

// fanout routes to every destination.
type fanout struct{ list }

func (f *fanout) Add(b Binding) bool    { return f.add(b) }
func (f *fanout) Remove(b Binding) bool { return f.remove(b) }

func (f *fanout) Match(dst []string, _ string, _ message.Table) []string {
	start := len(dst)
	for _, b := range f.all {
		dst = appendOnce(dst, start, b.Dest)
	}
	return dst
}

func (f *fanout) RemoveDest(dest string) int { return removeDest(&f.list, dest) }

func removeDest(l *list, dest string) int {
	n := 0
	for i := 0; i < len(l.all); {
		if l.all[i].Dest == dest {
			l.all = append(l.all[:i], l.all[i+1:]...)
			n++
			continue
		}
		i++
	}
	return n
}
