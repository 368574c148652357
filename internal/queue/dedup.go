package queue

import (
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// dedupEntry is a remembered deduplication id. Its Dedup record in the log
// (ID rec) keeps it across a restart until it expires; then an Ack of rec
// lets the log forget it.
type dedupEntry struct {
	key     string
	expires int64  // Unix nanoseconds
	rec     uint64 // ID of its Dedup record
	msg     uint64 // the message first published with it

	// A duplicate is confirmed only once the original is durable, or a
	// crash could lose a message whose repeat the publisher saw confirmed.
	// The original's completion may run on the log's writer goroutine,
	// so this has its own lock.
	mu      sync.Mutex
	stored  bool          // the original's completion has run (or it came from the log)
	err     error         // what it said
	waiters []func(error) // duplicates' completions, until then
}

// storedWith runs when the original publish is durable (or failed).
func (d *dedupEntry) storedWith(err error) {
	d.mu.Lock()
	d.stored, d.err = true, err
	ws := d.waiters
	d.waiters = nil
	d.mu.Unlock()
	for _, w := range ws {
		w(err)
	}
}

// confirmDuplicate runs done once the original is durable.
func (d *dedupEntry) confirmDuplicate(done func(error)) {
	if done == nil {
		return
	}
	d.mu.Lock()
	if !d.stored {
		d.waiters = append(d.waiters, done)
		d.mu.Unlock()
		return
	}
	err := d.err
	d.mu.Unlock()
	done(err)
}

// before orders remembered ids by expiry, to forget them on time.
func (d *dedupEntry) before(o *dedupEntry) bool {
	return d.expires < o.expires || d.expires == o.expires && d.rec < o.rec
}

// dedupWindow is the policy's window, or the default.
func (q *Queue) dedupWindow() time.Duration {
	if q.policy.DedupWindow > 0 {
		return q.policy.DedupWindow
	}
	return DefaultDedupWindow
}

// seenLocked returns the live entry for key, if any.
func (q *Queue) seenLocked(key string, now int64) *dedupEntry {
	d := q.dedup[key]
	if d == nil || now >= d.expires {
		return nil
	}
	return d
}

// rememberLocked records key for the window from now, durably: its Dedup
// record goes to the log just before the message's Enqueue (whose ID,
// the next one, the caller sets as msg), so the message's completion
// covers it too.
func (q *Queue) rememberLocked(key string, now int64) {
	if old := q.dedup[key]; old != nil {
		// Expired but not yet swept: forget the old record now.
		q.forgetDedupLocked(old)
	}
	q.lastID++
	d := &dedupEntry{key: key, expires: now + int64(q.dedupWindow()), rec: q.lastID}
	q.log.Append(store.Record{Kind: store.Dedup, ID: d.rec, Meta: store.Meta{Key: key, Expires: d.expires}}, nil)
	q.dedup[key] = d
	q.dedupByExpiry.push(d)
	q.notifyAtLocked(d.expires)
}

// forgetDedupLocked drops d from the map and the log (the heap entry goes
// stale and is skipped when it comes up).
func (q *Queue) forgetDedupLocked(d *dedupEntry) {
	if q.dedup[d.key] == d {
		delete(q.dedup, d.key)
	}
	q.log.Append(store.Record{Kind: store.Ack, ID: d.rec}, nil)
	d.rec = 0
}

// sweepDedupLocked forgets the ids whose window has passed.
func (q *Queue) sweepDedupLocked(now int64) {
	for len(q.dedupByExpiry) > 0 && q.dedupByExpiry[0].expires <= now {
		d := q.dedupByExpiry.pop()
		if d.rec != 0 {
			q.forgetDedupLocked(d)
		}
	}
}
