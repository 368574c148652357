package queue

// delayedEntry is a message that is not deliverable before due: published
// with a delay, or waiting out a retry backoff.
type delayedEntry struct {
	due int64 // Unix nanoseconds
	readyEntry
}

// before orders delayed messages by (due, id), so that messages that
// become due together are released in ID order.
func (d delayedEntry) before(o delayedEntry) bool {
	return d.due < o.due || d.due == o.due && d.id < o.id
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
