package queue

import "slices"

// readyEntry is all the queue keeps in memory for a message that waits to
// be delivered: 40 bytes, no body (that stays in the log) and no map entry.
type readyEntry struct {
	id         uint64
	at         int64  // enqueue time, Unix nanoseconds
	expires    int64  // Unix nanoseconds after which it expires; 0: never
	grp        *group // message group; nil for none
	size       uint32 // length of the stored body
	deliveries uint32 // deliveries so far
}

// expired reports whether e has expired at now.
func (e *readyEntry) expired(now int64) bool { return e.expires != 0 && now > e.expires }

// readyQueue holds the ready messages in ID order. Fresh messages arrive
// with ever higher IDs and go to the tail of a FIFO; messages that come
// back (nack with requeue, a released lease) go to a min-heap, so that
// they are handed out again in ID order and ahead of newer ones, as
// RabbitMQ does. pop takes the lower of the two heads.
//
// A readyQueue is not safe for concurrent use; the Queue's mu guards it.
type readyQueue struct {
	fresh    fifo
	returned heap[readyEntry]
	bytes    int64 // sum of size over both
}

func (r *readyQueue) len() int { return r.fresh.n + len(r.returned) }

// pushFresh appends a message at the back: newly published, or a delayed
// one that fell due (whose ID may be lower than some already held; pop
// merges by comparing heads, so that is safe).
func (r *readyQueue) pushFresh(e readyEntry) {
	r.fresh.push(e)
	r.bytes += int64(e.size)
}

// pushReturned puts back a message that had been handed out.
func (r *readyQueue) pushReturned(e readyEntry) {
	r.returned.push(e)
	r.bytes += int64(e.size)
}

// peek returns the lowest-ID ready message without removing it.
func (r *readyQueue) peek() (readyEntry, bool) {
	switch {
	case len(r.returned) > 0 && (r.fresh.n == 0 || r.returned[0].id < r.fresh.front().id):
		return r.returned[0], true
	case r.fresh.n > 0:
		return r.fresh.front(), true
	}
	return readyEntry{}, false
}

// pop removes and returns the lowest-ID ready message.
func (r *readyQueue) pop() (readyEntry, bool) {
	var e readyEntry
	switch {
	case len(r.returned) > 0 && (r.fresh.n == 0 || r.returned[0].id < r.fresh.front().id):
		e = r.returned.pop()
	case r.fresh.n > 0:
		e = r.fresh.pop()
	default:
		return readyEntry{}, false
	}
	r.bytes -= int64(e.size)
	return e, true
}

// drain removes every ready message, calling fn for each in ID order.
func (r *readyQueue) drain(fn func(readyEntry)) {
	for {
		e, ok := r.pop()
		if !ok {
			return
		}
		fn(e)
	}
}

// chunkLen is the number of entries per fifo chunk: 512 × 40 bytes = 20 KiB,
// so the slack of a half-used chunk at each end is small next to a backlog
// that needs more than one.
const chunkLen = 512

type chunk struct {
	items [chunkLen]readyEntry
	next  *chunk
}

// fifo is a queue of readyEntry kept in a linked list of fixed chunks. It
// never copies on growth and never holds more than two partly used chunks
// plus one spare, so its memory stays at ~40 bytes a message, unlike a
// doubling ring whose capacity can be twice its length.
type fifo struct {
	head, tail *chunk
	hi, ti     int // next index to read in head, next index to write in tail
	n          int
	spare      *chunk // one emptied chunk kept for reuse, so a queue that stays short never allocates
}

func (f *fifo) front() readyEntry { return f.head.items[f.hi] }

func (f *fifo) push(e readyEntry) {
	if f.tail == nil {
		f.head = f.newChunk()
		f.tail, f.hi, f.ti = f.head, 0, 0
	} else if f.ti == chunkLen {
		c := f.newChunk()
		f.tail.next, f.tail, f.ti = c, c, 0
	}
	f.tail.items[f.ti] = e
	f.ti++
	f.n++
}

func (f *fifo) pop() readyEntry {
	e := f.head.items[f.hi]
	f.hi++
	f.n--
	switch {
	case f.n == 0:
		// Empty: rewind within the head chunk and let go of the rest.
		for c := f.head.next; c != nil; c = c.next {
			f.recycle(c)
		}
		f.head.next, f.tail, f.hi, f.ti = nil, f.head, 0, 0
	case f.hi == chunkLen:
		old := f.head
		f.head, f.hi = old.next, 0
		f.recycle(old)
	}
	return e
}

func (f *fifo) newChunk() *chunk {
	if c := f.spare; c != nil {
		f.spare = nil
		return c
	}
	return new(chunk)
}

func (f *fifo) recycle(c *chunk) {
	if f.spare == nil {
		c.next = nil
		f.spare = c
	}
}

// before orders returned messages by ID.
func (e readyEntry) before(o readyEntry) bool { return e.id < o.id }

// each calls fn for every ready message, in no particular order.
func (r *readyQueue) each(fn func(readyEntry)) {
	for _, e := range r.returned {
		fn(e)
	}
	for c, i, n := r.fresh.head, r.fresh.hi, r.fresh.n; n > 0; n-- {
		if i == chunkLen {
			c, i = c.next, 0
		}
		fn(c.items[i])
		i++
	}
}

// remove takes message id out, wherever it is; false if it is not here.
// It rebuilds what held it, so it costs the queue's length: for rare
// deletes by operators, not for the delivery path.
func (r *readyQueue) remove(id uint64) (readyEntry, bool) {
	if i := slices.IndexFunc(r.returned, func(e readyEntry) bool { return e.id == id }); i >= 0 {
		e := r.returned.removeAt(i)
		r.bytes -= int64(e.size)
		return e, true
	}
	var found readyEntry
	ok := false
	var kept fifo
	for r.fresh.n > 0 {
		e := r.fresh.pop()
		if e.id == id && !ok {
			found, ok = e, true
			continue
		}
		kept.push(e)
	}
	r.fresh = kept
	if ok {
		r.bytes -= int64(found.size)
	}
	return found, ok
}
