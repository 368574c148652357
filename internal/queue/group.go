package queue

import "slices"

// group is one message group of a FIFO queue. While holder is set (one of
// its messages is leased, or waiting out a retry backoff) the group is
// blocked: its other messages that come up for delivery wait in waiting,
// in ID order, and only the first of them goes back to the ready queue
// when the group is given back. Non-FIFO queues keep groups too (the key
// is stored with each message) but never block them.
type group struct {
	key     string
	refs    int          // messages of the group in the queue: ready, delayed, leased, waiting
	holder  uint64       // message holding the group; 0: free
	waiting []readyEntry // blocked messages, by ID
}

// groupLocked returns the group named key, creating it.
func (q *Queue) groupLocked(key string) *group {
	g := q.groups[key]
	if g == nil {
		g = &group{key: key}
		q.groups[key] = g
	}
	g.refs++
	return g
}

// leaveGroupLocked is called when a message of g leaves the queue.
func (q *Queue) leaveGroupLocked(g *group, id uint64) {
	if g == nil {
		return
	}
	g.refs--
	if g.holder == id {
		g.holder = 0
		q.unblockGroupLocked(g)
	}
	if g.refs == 0 {
		delete(q.groups, g.key)
	}
}

// blockedLocked reports whether e must wait for its group, and if so
// parks it there.
func (q *Queue) blockedLocked(e readyEntry) bool {
	g := e.grp
	if !q.policy.FIFO || g == nil || g.holder == 0 || g.holder == e.id {
		return false
	}
	i, _ := slices.BinarySearchFunc(g.waiting, e.id, func(w readyEntry, id uint64) int {
		switch {
		case w.id < id:
			return -1
		case w.id > id:
			return 1
		}
		return 0
	})
	g.waiting = slices.Insert(g.waiting, i, e)
	q.waiting++
	q.waitingBytes += int64(e.size)
	return true
}

// holdGroupLocked marks e's group as held by e (a lease in a FIFO queue).
func (q *Queue) holdGroupLocked(e readyEntry) {
	if q.policy.FIFO && e.grp != nil {
		e.grp.holder = e.id
	}
}

// unblockGroupLocked gives the first waiting message of a freed group back
// to the ready queue.
func (q *Queue) unblockGroupLocked(g *group) {
	if len(g.waiting) == 0 {
		return
	}
	e := g.waiting[0]
	g.waiting = slices.Delete(g.waiting, 0, 1)
	if len(g.waiting) == 0 {
		g.waiting = nil
	}
	q.waiting--
	q.waitingBytes -= int64(e.size)
	q.ready.pushReturned(e)
	if e.expires != 0 {
		q.notifyAtLocked(e.expires + 1)
	}
}

// blockedGroupsLocked counts the groups that hold messages back.
func (q *Queue) blockedGroupsLocked() int {
	n := 0
	for _, g := range q.groups {
		if g.holder != 0 && len(g.waiting) > 0 {
			n++
		}
	}
	return n
}
