package queue

// delayedEntry is a message that is not deliverable before due: published
// with a delay, or waiting out a retry backoff.
type delayedEntry struct {
	due int64 // Unix nanoseconds
	readyEntry
}

// delayHeap is a binary min-heap of delayed messages by (due, id), so that
// messages that become due together are released in ID order.
type delayHeap []delayedEntry

func (h delayHeap) less(i, j int) bool {
	return h[i].due < h[j].due || h[i].due == h[j].due && h[i].id < h[j].id
}

func (h *delayHeap) push(e delayedEntry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *delayHeap) pop() delayedEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	if len(s) == 0 && cap(s) > 1024 {
		s = nil
	}
	*h = s
	return top
}

// promoteDueLocked makes every delayed message whose time has come ready,
// in (due, id) order. A message published with a delay joins the back of
// the queue, as if published when it fell due, so delayed messages come
// out in due order; a message that waited out a retry backoff, or one in
// a message group, goes back to its place by ID, ahead of newer ones (a
// group's order is its IDs' order). A message that waited out a retry
// backoff gives its FIFO group back.
func (q *Queue) promoteDueLocked(now int64) {
	for len(q.delayed) > 0 && q.delayed[0].due <= now {
		d := q.delayed.pop()
		q.delayedBytes -= int64(d.size)
		e := d.readyEntry
		if g := e.grp; g != nil && g.holder == e.id {
			g.holder = 0
			q.unblockGroupLocked(g)
		}
		if e.deliveries == 0 && e.grp == nil {
			q.ready.pushFresh(e)
		} else {
			q.ready.pushReturned(e)
		}
		if e.expires != 0 {
			q.notifyAtLocked(e.expires + 1)
		}
	}
}

// delayLocked holds e back until due.
func (q *Queue) delayLocked(e readyEntry, due int64) {
	q.delayed.push(delayedEntry{due: due, readyEntry: e})
	q.delayedBytes += int64(e.size)
	q.notifyAtLocked(due)
}

// init restores the heap order after an arbitrary change.
func (h delayHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		for j := i; ; {
			l := 2*j + 1
			if l >= len(h) {
				break
			}
			m := l
			if r := l + 1; r < len(h) && h.less(r, l) {
				m = r
			}
			if !h.less(m, j) {
				break
			}
			h[j], h[m] = h[m], h[j]
			j = m
		}
	}
}
