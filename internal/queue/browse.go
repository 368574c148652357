package queue

import (
	"fmt"
	"slices"
	"time"

	"github.com/ferrymq/ferry/internal/store"
)

// MessageState is where a message is in its queue.
type MessageState uint8

const (
	StateReady   MessageState = iota + 1 // waiting to be handed out
	StateDelayed                         // not deliverable before Due
	StateHeld                            // ready, but held back by its FIFO group
	StateLeased                          // handed out, not settled
	StateDead                            // died, waiting to move to its dead-letter target
)

var stateNames = [...]string{StateReady: "ready", StateDelayed: "delayed", StateHeld: "held", StateLeased: "leased", StateDead: "dead"}

func (s MessageState) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MessageInfo describes a message without taking it: for browsing, for
// "where is my message", for the admin API.
type MessageInfo struct {
	ID         uint64
	State      MessageState
	Deliveries uint32
	Size       int
	Enqueued   time.Time // publish time, or the Open that found it in the log
	Due        time.Time // StateDelayed: when it becomes ready
	Expires    time.Time // zero: never
	Group      string
	Reason     Reason // StateDead: why
	Data       []byte // its body, when asked for
}

// Browse lists up to limit messages with IDs above after, in ID order,
// whatever their state, without changing anything (no lease, no delivery
// count). With bodies it reads each message's data from the log; a body
// the log cannot read is left nil. It costs a pass over the queue's
// index under the queue's lock, so it is for operators, not for
// consumers; but it keeps only the limit lowest IDs as it goes (a
// max-heap), so a page costs memory for limit messages, not for the whole
// queue, and paging through a large queue does not allocate it all again
// for every page.
func (q *Queue) Browse(after uint64, limit int, bodies bool) ([]MessageInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, fmt.Errorf("queue %q: browse: %w", q.name, ErrClosed)
	}
	all := make(lowestIDs, 0, min(limit, 1024))
	keep := func(id uint64) bool { return id > after && (len(all) < limit || id < all[0].ID) }
	info := func(e readyEntry, s MessageState) MessageInfo {
		m := MessageInfo{ID: e.id, State: s, Deliveries: e.deliveries, Size: int(e.size), Enqueued: time.Unix(0, e.at)}
		if e.expires != 0 {
			m.Expires = time.Unix(0, e.expires)
		}
		if e.grp != nil {
			m.Group = e.grp.key
		}
		return m
	}
	add := func(e readyEntry, s MessageState) {
		if keep(e.id) {
			all.add(info(e, s), limit)
		}
	}
	q.ready.each(func(e readyEntry) { add(e, StateReady) })
	for _, d := range q.delayed {
		if keep(d.id) {
			m := info(d.readyEntry, StateDelayed)
			m.Due = time.Unix(0, d.due)
			all.add(m, limit)
		}
	}
	for _, g := range q.groups {
		for _, e := range g.waiting {
			add(e, StateHeld)
		}
	}
	for _, l := range q.leases {
		add(l.readyEntry, StateLeased)
	}
	addDead := func(d deadEntry) {
		if keep(d.id) {
			m := info(d.readyEntry, StateDead)
			m.Reason = d.reason
			all.add(m, limit)
		}
	}
	for _, d := range q.dead {
		addDead(d)
	}
	for _, d := range q.dying {
		addDead(d)
	}
	q.mu.Unlock()

	slices.SortFunc(all, func(a, b MessageInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	if bodies {
		for i := range all {
			if data, err := q.log.Read(all[i].ID); err == nil {
				all[i].Data = data
			}
		}
	}
	return all, nil
}

// Delete removes message id from the queue, as an ack would, whatever its
// state but dead (a dead message is on its way to its target). A leased
// message's lease ends: its holder's later ack is ErrUnknownDelivery. It
// reports ErrNotFound when the queue has no message id.
func (q *Queue) Delete(id uint64, now time.Time, done func(error)) error {
	return q.apply(&command{op: opDelete, id: id, now: now.UnixNano(), done: done}).err
}

func (q *Queue) deleteLocked(c *command) result {
	e, ok := q.takeAnywhereLocked(c.id)
	if !ok {
		if _, dead := q.dying[c.id]; dead || slices.ContainsFunc(q.dead, func(d deadEntry) bool { return d.id == c.id }) {
			return result{err: fmt.Errorf("queue %q: delete message %d: it is being dead-lettered: %w", q.name, c.id, ErrInvalid)}
		}
		return result{err: fmt.Errorf("queue %q: delete message %d: %w", q.name, c.id, ErrNotFound)}
	}
	q.log.Append(store.Record{Kind: store.Ack, ID: e.id}, c.done)
	if q.observe != nil {
		q.emitGone(EventDeleted, e, c.now)
	}
	q.leaveGroupLocked(e.grp, e.id)
	q.counters.deleted++
	q.dispatchLocked(c.now)
	return result{}
}

// Take leases message id to owner as Get would hand it out (its
// delivery count raised, settled by Ack, Nack or Release), but only while
// it is ready: a message that is leased, delayed, held back behind its
// group or being dead-lettered is left as it is, and ok is false. It is
// for operators moving chosen messages (a filtered redrive), who must
// never take a message from under the consumer that holds it.
func (q *Queue) Take(owner Owner, id uint64, now time.Time) (d Delivery, ok bool, err error) {
	r := q.apply(&command{op: opTake, id: id, now: now.UnixNano(), owner: owner})
	return r.d, r.ok, r.err
}

func (q *Queue) takeLocked(c *command) result {
	e, ok := q.ready.remove(c.id)
	if !ok {
		return result{}
	}
	if e.expired(c.now) {
		q.counters.expired++
		q.dieLocked(e, ReasonExpired, c.now)
		return result{}
	}
	if q.blockedLocked(e) {
		return result{} // its group is held: it waits there, as on any hand-out
	}
	d, ok := q.handOutLocked(e, nil, c.owner, false, c.now, q.policy.LeaseTimeout)
	return result{d: d, ok: ok}
}

// takeAnywhereLocked removes message id from whichever live set holds
// it. It costs a scan of that set: deletes by operators are rare.
func (q *Queue) takeAnywhereLocked(id uint64) (readyEntry, bool) {
	if l := q.leases[id]; l != nil {
		e := l.readyEntry
		q.endLeaseLocked(l)
		return e, true
	}
	if e, ok := q.ready.remove(id); ok {
		return e, true
	}
	if i := slices.IndexFunc(q.delayed, func(d delayedEntry) bool { return d.id == id }); i >= 0 {
		e := q.delayed.removeAt(i).readyEntry
		q.delayedBytes -= int64(e.size)
		return e, true
	}
	for _, g := range q.groups {
		if i := slices.IndexFunc(g.waiting, func(w readyEntry) bool { return w.id == id }); i >= 0 {
			e := g.waiting[i]
			g.waiting = slices.Delete(g.waiting, i, i+1)
			q.waiting--
			q.waitingBytes -= int64(e.size)
			return e, true
		}
	}
	return readyEntry{}, false
}

// lowestIDs is a max-heap by ID of at most a limit of messages: the
// lowest IDs seen so far, the highest of them at [0].
type lowestIDs []MessageInfo

// add puts m in, dropping the highest when the heap already holds limit.
// The caller has checked that m.ID is below that highest one (keep).
func (h *lowestIDs) add(m MessageInfo, limit int) {
	if len(*h) < limit {
		*h = append(*h, m)
		h.up(len(*h) - 1)
		return
	}
	(*h)[0] = m
	h.down(0)
}

func (h lowestIDs) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].ID >= h[i].ID {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (h lowestIDs) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].ID > h[c].ID {
			c++
		}
		if h[i].ID >= h[c].ID {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
