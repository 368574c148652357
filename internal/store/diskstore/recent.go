package diskstore

import (
	"slices"
	"sync/atomic"
)

// recent keeps the data of the messages a log appended last, so that a
// consumer that keeps up is handed them without a pread. Delivery reads a
// message's body under its queue's lock (queue.handOutLocked), and a busy
// queue delivers each message within a prefetch window of its publish: a
// pread there was about 1.5 µs a message, 5% of the broker's CPU in the
// AMQP confirm benchmark, all of it holding the queue lock.
//
// It costs no copy: the store contract lets a log keep r.Data, and Read's
// result must not be modified, so the bytes handed to Append are the
// bytes Read returns. An entry can only be stale in that its message is
// gone (Read checks the index first) or was replaced by a second Enqueue
// of its id (add drops the entry then). An entry is dropped when it is
// read (a redelivery reads the file), when newer appends push it past
// recentMaxBytes, and with the log.
//
// Memory is bounded twice: recentMaxBytes per log, and recentBudget over
// every log of the store (a store with many queues that nobody consumes
// keeps only the budget's worth). Guarded by Log.mu.
type recent struct {
	ents  []recentEnt // ids ascending; ents[:head] are dropped
	head  int
	bytes int64
}

type recentEnt struct {
	id   uint64
	data []byte // nil once taken
}

const (
	// recentMaxBytes bounds one log's cache: a few prefetch windows of
	// 1 KiB messages.
	recentMaxBytes = 512 << 10
	// recentMaxMessage: bigger messages are not cached (one would push
	// out hundreds of small ones, and its pread is cheap next to its size).
	recentMaxMessage = 64 << 10
	// recentBudget bounds the caches of all logs of a store together.
	recentBudget = 64 << 20
)

// add remembers data as message id's. Only ids above the newest entry are
// kept, so ents stays sorted (compaction copies and dead-letter targets,
// which come out of order, are read from the file). An Enqueue of an id
// already held replaces that message's data (the store contract allows
// it), so the entry held for it is dropped.
func (r *recent) add(used *atomic.Int64, id uint64, data []byte) {
	if k := len(r.ents); k > r.head && r.ents[k-1].id >= id {
		r.take(used, id)
		return
	}
	n := int64(len(data))
	if n > recentMaxMessage || n == 0 {
		return
	}
	for r.head < len(r.ents) && r.bytes+n > recentMaxBytes {
		r.dropHead(used)
	}
	if used.Load()+n > recentBudget {
		// Other logs hold the budget: do without, rather than throw away
		// this log's own entries on every append.
		return
	}
	if r.head > 0 && r.head == len(r.ents) {
		r.ents, r.head = r.ents[:0], 0
	} else if r.head > 64 && r.head >= len(r.ents)/2 {
		// Slide the live entries down, so that the slice does not grow
		// without bound.
		k := copy(r.ents, r.ents[r.head:])
		clear(r.ents[k:])
		r.ents, r.head = r.ents[:k], 0
	}
	r.ents = append(r.ents, recentEnt{id: id, data: data})
	r.bytes += n
	used.Add(n)
}

// take returns message id's data and forgets it, or nil.
func (r *recent) take(used *atomic.Int64, id uint64) []byte {
	live := r.ents[r.head:]
	i, ok := slices.BinarySearchFunc(live, id, func(e recentEnt, id uint64) int {
		switch {
		case e.id < id:
			return -1
		case e.id > id:
			return 1
		}
		return 0
	})
	if !ok || live[i].data == nil {
		return nil
	}
	data := live[i].data
	r.forget(used, &live[i])
	for r.head < len(r.ents) && r.ents[r.head].data == nil {
		r.ents[r.head] = recentEnt{}
		r.head++
	}
	return data
}

func (r *recent) dropHead(used *atomic.Int64) {
	r.forget(used, &r.ents[r.head])
	r.ents[r.head] = recentEnt{}
	r.head++
}

// forget drops e's data and its bytes from both counts.
func (r *recent) forget(used *atomic.Int64, e *recentEnt) {
	n := int64(len(e.data))
	r.bytes -= n
	used.Add(-n)
	e.data = nil
}

// reset forgets everything (the log is closing).
func (r *recent) reset(used *atomic.Int64) {
	used.Add(-r.bytes)
	clear(r.ents)
	*r = recent{}
}
