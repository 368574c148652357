package history

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/segment"
)

// Defaults of Options.
const (
	DefaultMaxEvents   = 32
	DefaultMaxMessages = 100_000
	DefaultRetention   = 24 * time.Hour
	segmentSize        = 8 << 20
)

// Options configure Open.
type Options struct {
	// Dir holds the log; "" keeps history in memory only.
	Dir string
	// Sync is the log's sync mode (the node's sync setting).
	Sync segment.SyncMode
	// FS is the log's file system; nil means the OS's (tests crash it).
	FS segment.FS
	// MaxEvents bounds the events kept per message (at least 2); 0 means
	// DefaultMaxEvents.
	MaxEvents int
	// MaxMessages bounds the histories kept; 0 means DefaultMaxMessages.
	MaxMessages int
	// Retention is how long a finished history is kept; 0 means
	// DefaultRetention.
	Retention time.Duration
	// Logger receives the log's errors; nil means slog.Default().
	Logger *slog.Logger

	segmentSize int64 // tests: 0 means segmentSize
}

// Event is one event of a message, as the history API shows it.
type Event struct {
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Queue      string    `json:"queue"`
	ID         uint64    `json:"id"`
	Connection string    `json:"connection,omitempty"`
	Consumer   string    `json:"consumer,omitempty"`
	Deliveries uint32    `json:"deliveries,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// Trail is a message's history.
type Trail struct {
	VHost     string
	MessageID string
	Events    []Event
	// Dropped counts events left out by the MaxEvents bound.
	Dropped int
}

// key names one message of one queue.
type key struct {
	vhost, queue string
	id           uint64
}

// record is one message's history in one queue.
type record struct {
	key       key
	messageID string
	events    []Event
	dropped   int
	finished  time.Time // zero while the message is in its queue
	segs      []uint64  // log segments holding its events, ascending
	seq       uint64    // arrival order of its first event, for merging
	// prev and next link it into History.live or History.done.
	prev, next *record
	list       *list
}

// list is an intrusive FIFO of records, oldest first.
type list struct{ head, tail *record }

func (l *list) push(r *record) {
	r.list, r.prev, r.next = l, l.tail, nil
	if l.tail != nil {
		l.tail.next = r
	} else {
		l.head = r
	}
	l.tail = r
}

func (l *list) remove(r *record) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.tail = r.prev
	}
	r.prev, r.next, r.list = nil, nil, nil
}

// History is the message history of a node: an Observer of the broker
// (Watch, Observe) and the index the admin API reads. Safe for
// concurrent use.
type History struct {
	opts Options
	log  *segment.Log // nil: memory only
	lg   *slog.Logger

	mu      sync.Mutex
	byKey   map[key]*record      // guarded by mu
	byMsgID map[string][]*record // guarded by mu; vhost+"\x00"+message id → records, oldest first
	live    list                 // guarded by mu; histories of messages still in their queue
	done    list                 // guarded by mu; finished histories, by finish order
	now     time.Time            // guarded by mu; latest event time seen (retention runs on it)
	seq     uint64               // guarded by mu
	refs    map[uint64]int       // guarded by mu; records referring to each log segment
	buf     []byte               // guarded by mu; encode buffer
	logErr  bool                 // guarded by mu; the log failed and that was logged
	active  uint64               // guarded by mu; the log segment last appended to

	gc     chan struct{} // capacity 1: a segment may have lost its last reference
	stop   chan struct{}
	gcDone chan struct{}
}

// Open replays the log in opts.Dir (if any) and returns the history.
func Open(opts Options) (*History, error) {
	if opts.MaxEvents == 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.MaxMessages == 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	switch {
	case opts.MaxEvents < 2:
		return nil, fmt.Errorf("history: MaxEvents %d: must be at least 2", opts.MaxEvents)
	case opts.MaxMessages < 1:
		return nil, fmt.Errorf("history: MaxMessages %d: must be at least 1", opts.MaxMessages)
	case opts.Retention < 0:
		return nil, fmt.Errorf("history: negative Retention %v", opts.Retention)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &History{
		opts: opts, lg: opts.Logger.With(slog.String("component", "history")),
		byKey: map[key]*record{}, byMsgID: map[string][]*record{}, refs: map[uint64]int{},
		gc: make(chan struct{}, 1), stop: make(chan struct{}), gcDone: make(chan struct{}),
	}
	if opts.segmentSize == 0 {
		opts.segmentSize = segmentSize
	}
	if opts.Dir != "" {
		l, err := segment.Open(filepath.Clean(opts.Dir), segment.Options{FS: opts.FS, Sync: opts.Sync,
			SegmentSize: opts.segmentSize, Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		bad := 0
		err = l.Scan(func(pos segment.Pos, p []byte) error {
			e, err := decode(p)
			if err != nil {
				bad++
				return nil
			}
			h.applyLocked(&e, pos.Seg)
			return nil
		})
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("history: replay: %w", err)
		}
		if bad > 0 {
			h.lg.Warn("skipped history records that do not decode", slog.Int("records", bad))
		}
		h.log = l
		h.lg.Info("history loaded", slog.Int("messages", len(h.byKey)))
	}
	go h.collect()
	h.poke()
	return h, nil
}

// Close stops the collector and closes the log, flushing it.
func (h *History) Close() error {
	select {
	case <-h.stop:
		return nil
	default:
	}
	close(h.stop)
	<-h.gcDone
	if h.log != nil {
		return h.log.Close()
	}
	return nil
}

// Watch is broker.Observer's: history watches the queues whose rules
// turn it on.
func (h *History) Watch(vhost, name string, history bool) bool { return history }

// Observe is broker.Observer's: it records ev, and on disk if ev's queue
// is durable. It runs with a queue's lock held and never waits for the
// disk.
func (h *History) Observe(ev *broker.MessageEvent) {
	e := entry{vhost: ev.VHost, queue: ev.Queue, id: ev.ID, messageID: ev.MessageID, ev: Event{
		At: ev.At.UTC(), Event: ev.Event, Queue: ev.Queue, ID: ev.ID, Connection: ev.Connection,
		Consumer: ev.Consumer, Deliveries: ev.Deliveries, Reason: ev.Reason, Detail: ev.Detail,
	}}
	hold := ev.Hold()
	h.mu.Lock()
	hold = h.recordLocked(&e, ev.Durable, hold)
	h.mu.Unlock()
	if hold != nil {
		hold(nil)
	}
}

// recordLocked logs e (if durable and the node keeps a log) and adds it
// to the index. The log calls hold once e is on disk; if it will not,
// recordLocked returns hold for the caller to call. h.mu held.
func (h *History) recordLocked(e *entry, durable bool, hold func(error)) func(error) {
	var seg uint64
	if h.log != nil && durable {
		h.buf = e.encode(h.buf[:0])
		pos, err := h.log.Append(h.buf, hold)
		if err != nil {
			if !h.logErr {
				h.logErr = true
				h.lg.Error("history log failed; events are kept in memory only from now on", slog.Any("err", err))
			}
		} else {
			seg, hold = pos.Seg, nil // the log calls hold
			if seg != h.active {
				// The segment before may be free now that it is sealed.
				h.active = seg
				h.poke()
			}
		}
	}
	h.applyLocked(e, seg)
	return hold
}

// QueueDeleted is broker.QueueObserver's: the histories of the messages
// queue name still held end with a deleted event.
func (h *History) QueueDeleted(vhost, name string, durable bool, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var gone []*record
	for r := h.live.head; r != nil; r = r.next {
		if r.key.vhost == vhost && r.key.queue == name {
			gone = append(gone, r)
		}
	}
	for _, r := range gone {
		if h.byKey[r.key] != r {
			continue // dropped by the bounds meanwhile
		}
		e := entry{vhost: vhost, queue: name, id: r.key.id, ev: Event{At: at.UTC(), Event: broker.EventDeleted,
			Queue: name, ID: r.key.id, Reason: "queue deleted"}}
		h.recordLocked(&e, durable, nil)
	}
}

// finishes says whether an event means the message left its queue.
func finishes(event string) bool {
	switch event {
	case broker.EventAcked, broker.EventDeadLettered, broker.EventRedriven, broker.EventPurged, broker.EventDeleted:
		return true
	}
	return false
}

// applyLocked adds e to the index; seg is the log segment that holds it
// (0: none). h.mu held, or Open's replay.
func (h *History) applyLocked(e *entry, seg uint64) {
	if e.ev.At.After(h.now) {
		h.now = e.ev.At
	}
	k := key{e.vhost, e.queue, e.id}
	r := h.byKey[k]
	if r != nil && e.ev.Event == broker.EventPublished {
		// A publish begins a message's stay in a queue: an older history
		// under the same key is of a queue deleted and declared again,
		// whose engine ids started over.
		h.dropLocked(r)
		r = nil
	}
	if r == nil {
		h.seq++
		r = &record{key: k, seq: h.seq}
		h.byKey[k] = r
		h.live.push(r)
	}
	if e.ev.Event == broker.EventDeleted && len(r.events) > 0 && r.events[len(r.events)-1].Event == broker.EventRedriven {
		// A redrive that picks messages by header removes each one it
		// moved with a delete: bookkeeping of the move, not an event.
		return
	}
	if r.messageID == "" && e.messageID != "" {
		r.messageID = e.messageID
		mk := e.vhost + "\x00" + e.messageID
		h.byMsgID[mk] = append(h.byMsgID[mk], r)
	}
	if n := h.opts.MaxEvents; len(r.events) >= n {
		// Keep the first half (how it began) and the latest.
		r.events = slices.Delete(r.events, n/2, n/2+1)
		r.dropped++
	}
	r.events = append(r.events, e.ev)
	if seg != 0 && (len(r.segs) == 0 || r.segs[len(r.segs)-1] != seg) {
		r.segs = append(r.segs, seg)
		h.refs[seg]++
	}
	switch {
	case finishes(e.ev.Event):
		r.list.remove(r)
		r.finished = e.ev.At
		h.done.push(r)
	case !r.finished.IsZero():
		// Back in a queue (a dead letter whose target failed, say).
		r.list.remove(r)
		r.finished = time.Time{}
		h.live.push(r)
	}
	h.trimLocked()
}

// trimLocked applies the retention and count bounds.
func (h *History) trimLocked() {
	cut := h.now.Add(-h.opts.Retention)
	for r := h.done.head; r != nil && r.finished.Before(cut); r = h.done.head {
		h.dropLocked(r)
	}
	for len(h.byKey) > h.opts.MaxMessages {
		r := h.done.head
		if r == nil {
			r = h.live.head
		}
		h.dropLocked(r)
	}
}

// dropLocked forgets r.
func (h *History) dropLocked(r *record) {
	r.list.remove(r)
	delete(h.byKey, r.key)
	if r.messageID != "" {
		mk := r.key.vhost + "\x00" + r.messageID
		rs := slices.DeleteFunc(h.byMsgID[mk], func(x *record) bool { return x == r })
		if len(rs) == 0 {
			delete(h.byMsgID, mk)
		} else {
			h.byMsgID[mk] = rs
		}
	}
	freed := false
	for _, s := range r.segs {
		if h.refs[s]--; h.refs[s] <= 0 {
			delete(h.refs, s)
			freed = true
		}
	}
	if freed {
		h.poke()
	}
}

// Message returns the history of message id of queue name in vhost.
func (h *History) Message(vhost, name string, id uint64) (Trail, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trimLocked()
	r := h.byKey[key{vhost, name, id}]
	if r == nil {
		return Trail{}, false
	}
	return Trail{VHost: vhost, MessageID: r.messageID, Events: slices.Clone(r.events), Dropped: r.dropped}, true
}

// ByMessageID returns the history of the message with public id
// messageID in vhost, across every queue it went through, in time order.
func (h *History) ByMessageID(vhost, messageID string) (Trail, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trimLocked()
	rs := h.byMsgID[vhost+"\x00"+messageID]
	if len(rs) == 0 {
		return Trail{}, false
	}
	t := Trail{VHost: vhost, MessageID: messageID}
	n := 0
	for _, r := range rs {
		t.Dropped += r.dropped
		n += len(r.events)
	}
	// Merge the queues' histories by time, each kept in its own order
	// (the order its queue applied them, which concurrent commands'
	// times need not follow). At equal times a message's leaving one
	// queue (dead_lettered, redriven) comes before its arrival in the
	// next; then the queue it reached first.
	next := make([]int, len(rs))
	t.Events = make([]Event, 0, n)
	for len(t.Events) < n {
		best := -1
		for i, r := range rs {
			if next[i] == len(r.events) {
				continue
			}
			if best < 0 || before(&r.events[next[i]], r.seq, &rs[best].events[next[best]], rs[best].seq) {
				best = i
			}
		}
		t.Events = append(t.Events, rs[best].events[next[best]])
		next[best]++
	}
	return t, true
}

// before orders events of two queues' histories (seq: which began first).
func before(a *Event, aseq uint64, b *Event, bseq uint64) bool {
	if c := a.At.Compare(b.At); c != 0 {
		return c < 0
	}
	if c := cmp.Compare(leaving(b.Event), leaving(a.Event)); c != 0 {
		return c < 0
	}
	return aseq < bseq
}

func leaving(event string) int {
	if event == broker.EventDeadLettered || event == broker.EventRedriven {
		return 1
	}
	return 0
}

// Len returns how many histories are kept.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byKey)
}

func (h *History) poke() {
	select {
	case h.gc <- struct{}{}:
	default:
	}
}

// collect removes log segments no kept history refers to. The active
// segment stays: it is still written.
func (h *History) collect() {
	defer close(h.gcDone)
	for {
		select {
		case <-h.stop:
			return
		case <-h.gc:
		}
		h.collectOnce()
	}
}

// collectOnce removes the sealed segments nothing refers to and returns
// how many it removed.
func (h *History) collectOnce() int {
	if h.log == nil {
		return 0
	}
	segs := h.log.Segments()
	if len(segs) < 2 {
		return 0
	}
	var free []uint64
	h.mu.Lock()
	for _, s := range segs[:len(segs)-1] {
		if h.refs[s.Seq] == 0 {
			free = append(free, s.Seq)
		}
	}
	h.mu.Unlock()
	n := 0
	for _, s := range free {
		if err := h.log.Remove(s); err != nil {
			if !errors.Is(err, segment.ErrClosed) {
				h.lg.Warn("removing a history segment", slog.Uint64("segment", s), slog.Any("err", err))
			}
			continue
		}
		n++
	}
	return n
}
