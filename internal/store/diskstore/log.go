package diskstore

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
)

// recOverhead is what a record costs on disk beyond its data, as counted
// for the compaction ratio: the frame header plus a typical record header.
const recOverhead = segment.FrameHeaderSize + 8

// Log is one queue's durable log: a segment.Log plus the index of its
// live messages. It implements store.Log.
type Log struct {
	// Set at open, then read-only:
	name   string
	store  *Store
	seg    *segment.Log
	logger *slog.Logger
	ratio  float64 // CompactRatio

	// lastID is the highest id the log has held. Written under mu, read
	// without it by the segment's Base callback (which runs under the
	// segment's lock, so it must not take mu).
	lastID atomic.Uint64

	mu       sync.Mutex
	segs     []*segIndex // by seq; the last is the active segment. Guarded by mu.
	maxEnt   uint64      // highest id in any segIndex. Guarded by mu.
	messages int         // live messages (not Dedup records). Guarded by mu.
	bytes    int64       // their data. Guarded by mu.
	// meta holds the Meta of each live entry whose Meta is not zero (its
	// ent has entMeta), with Due as Requeues left it. Guarded by mu.
	meta   map[uint64]store.Meta
	closed bool   // guarded by mu
	buf    []byte // encoding buffer (the segment copies it). Guarded by mu.
	// recent holds the data of the last messages appended (recent.go).
	// Guarded by mu.
	recent recent

	// compactMu serialises compaction passes (the worker's and Compact's).
	compactMu sync.Mutex
	deleted   atomic.Uint64 // segments deleted
	copied    atomic.Uint64 // compaction copies appended
	// passHook, if set (by tests), runs after each of the worker's passes.
	passHook atomic.Pointer[func()]
	wake     chan struct{} // capacity 1: there may be work for the worker
	stop     chan struct{} // closed by Close
	stopped  chan struct{} // closed when the worker returns
}

// Append adds r to the log; see store.Log. The index is updated before
// Append returns, so Read sees r at once, even before it is durable. done
// runs on the segment's writer goroutine, after the group commit that
// covers r: it must be quick and must not call Close, which waits for
// that goroutine.
func (l *Log) Append(r store.Record, done func(error)) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		if done != nil {
			done(store.ErrClosed)
		}
		return
	}
	if r.ID > l.lastID.Load() {
		l.lastID.Store(r.ID) // before Append, which may call Base
	}
	l.buf = encode(l.buf[:0], r)
	pos, err := l.seg.Append(l.buf, l.withContext(done))
	if err != nil {
		l.mu.Unlock()
		if done != nil {
			done(fmt.Errorf("queue %q: append: %w", l.name, err))
		}
		return
	}
	wake := l.applyLocked(pos, appliedOf(r))
	if r.Kind == store.Enqueue {
		l.recent.add(&l.store.recentUsed, r.ID, r.Data)
	}
	if cap(l.buf) > 1<<20 {
		l.buf = nil // one huge record should not pin its size
	}
	l.mu.Unlock()
	if wake {
		l.signal()
	}
}

// withContext wraps done so that an error it gets names the queue.
func (l *Log) withContext(done func(error)) func(error) {
	if done == nil {
		return nil
	}
	return func(err error) {
		if err != nil {
			err = fmt.Errorf("queue %q: %w", l.name, err)
		}
		done(err)
	}
}

// signal wakes the compaction worker without blocking.
func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// segForLocked returns the index of segment seq, creating it, and sealing
// the ones before it, when appends have moved on to a new segment. It
// reports whether that happened.
func (l *Log) segForLocked(seq uint64) (*segIndex, bool) {
	if n := len(l.segs); n > 0 && l.segs[n-1].seq == seq {
		return l.segs[n-1], false
	}
	if n := len(l.segs); n > 0 && l.segs[n-1].seq > seq {
		// Only the scan can see an older segment, and it goes in order.
		for _, s := range l.segs {
			if s.seq == seq {
				return s, false
			}
		}
	}
	s := newSegIndex(seq)
	l.segs = append(l.segs, s)
	if len(l.segs) > 1 {
		sizes := l.seg.Segments()
		for _, old := range l.segs[:len(l.segs)-1] {
			if !old.sealed {
				old.seal(sizeOf(sizes, old.seq))
			}
		}
	}
	return s, true
}

// sizeOf returns segment seq's size in infos, 0 if absent.
func sizeOf(infos []segment.SegmentInfo, seq uint64) int64 {
	for _, in := range infos {
		if in.Seq == seq {
			return in.Size
		}
	}
	return 0
}

// findLocked returns the segment and entry of live message or Dedup
// record id, or nils.
func (l *Log) findLocked(id uint64) (*segIndex, *ent) {
	if id > l.maxEnt {
		return nil, nil
	}
	for i := len(l.segs) - 1; i >= 0; i-- {
		if e := l.segs[i].find(id); e != nil {
			return l.segs[i], e
		}
	}
	return nil, nil
}

// applied is what the index takes from a record: everything but its data.
type applied struct {
	kind       store.Kind
	id         uint64
	deliveries uint32
	size       int // length of the data
	metaLen    int // bytes of the meta fields on disk
	meta       store.Meta
}

// appliedOf describes r as written by encode.
func appliedOf(r store.Record) applied {
	return applied{kind: r.Kind, id: r.ID, deliveries: r.Deliveries, size: len(r.Data),
		metaLen: metaSize(r.Kind, r.Meta), meta: r.Meta}
}

// applyLocked applies a record written at pos to the index; the scan at
// open and Append share it, so replay rebuilds exactly what appends
// built. It reports whether the compaction worker may have work.
func (l *Log) applyLocked(pos segment.Pos, r applied) bool {
	dst, wake := l.segForLocked(pos.Seg)
	switch r.kind {
	case store.Enqueue, store.Dedup:
		if s, e := l.findLocked(r.id); e != nil { // a compaction copy, or a replacement
			wake = l.killLocked(s, e) || wake
			dst.refTo(s.seq)
		}
		e := ent{id: r.id, off: pos.Off, size: uint32(r.size), deliveries: r.deliveries,
			metaLen: uint16(min(r.metaLen, math.MaxUint16))}
		if r.kind == store.Dedup {
			e.flags |= entDedup
		} else {
			l.messages++
			l.bytes += int64(r.size)
		}
		if r.meta != (store.Meta{}) {
			e.flags |= entMeta
			l.meta[r.id] = r.meta
		}
		dst.add(e, e.onDisk())
		l.maxEnt = max(l.maxEnt, r.id)
	case store.Ack, store.DeadLetter:
		if s, e := l.findLocked(r.id); e != nil {
			wake = l.killLocked(s, e) || wake
			dst.refTo(s.seq)
		}
	case store.Requeue:
		if s, e := l.findLocked(r.id); e != nil && !e.dedup() {
			e.deliveries = max(e.deliveries, r.deliveries)
			l.setDueLocked(e, r.meta.Due)
			dst.refTo(s.seq)
		}
	}
	return wake
}

// setDueLocked replaces the Due of e, a live message, keeping Log.meta
// free of zero Metas.
func (l *Log) setDueLocked(e *ent, due int64) {
	var m store.Meta
	if e.flags&entMeta != 0 {
		m = l.meta[e.id]
	}
	m.Due = due
	if m == (store.Meta{}) {
		delete(l.meta, e.id)
		e.flags &^= entMeta
		return
	}
	l.meta[e.id] = m
	e.flags |= entMeta
}

// metaLocked returns the Meta of e, a live entry.
func (l *Log) metaLocked(e *ent) store.Meta {
	if e.flags&entMeta == 0 {
		return store.Meta{}
	}
	return l.meta[e.id]
}

// killLocked marks e, the live entry of a message or Dedup record in s,
// dead. It reports whether that emptied a sealed segment or took it below
// the compaction ratio.
func (l *Log) killLocked(s *segIndex, e *ent) bool {
	if !e.dedup() {
		l.messages--
		l.bytes -= int64(e.size)
	}
	if e.flags&entMeta != 0 {
		delete(l.meta, e.id)
	}
	before := s.liveBytes
	s.kill(e, e.onDisk())
	s.shrink()
	if !s.sealed {
		return false
	}
	limit := int64(l.ratio * float64(s.size))
	return s.live == 0 || before >= limit && s.liveBytes < limit
}

// Read returns the data of live message id with one ReadAt. A Dedup
// record is not a message: Read of its id is ErrNotFound.
func (l *Log) Read(id uint64) ([]byte, error) {
	// A concurrent compaction may move the message and delete its old
	// segment between the lookup and the read; look again then.
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, store.ErrClosed
		}
		s, e := l.findLocked(id)
		if e == nil || e.dedup() {
			l.mu.Unlock()
			return nil, store.ErrNotFound
		}
		if data := l.recent.take(&l.store.recentUsed, id); data != nil {
			l.mu.Unlock()
			return data, nil
		}
		pos := segment.Pos{Seg: s.seq, Off: e.off}
		l.mu.Unlock()
		payload, err := l.seg.ReadAt(pos)
		if err != nil {
			if attempt < 3 && l.moved(id, pos) {
				continue
			}
			if l.isClosed() {
				return nil, store.ErrClosed
			}
			return nil, fmt.Errorf("queue %q: read message %d at segment %d offset %d: %w", l.name, id, pos.Seg, pos.Off, err)
		}
		h, err := decode(payload)
		if err == nil && (h.kind != store.Enqueue || h.id != id) {
			err = fmt.Errorf("%w: found kind %d id %d", errBadRecord, h.kind, h.id)
		}
		if err != nil {
			return nil, fmt.Errorf("queue %q: read message %d at segment %d offset %d: %w", l.name, id, pos.Seg, pos.Off, err)
		}
		return payload[h.dataOff:], nil
	}
}

func (l *Log) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// moved reports whether message id is no longer at pos.
func (l *Log) moved(id uint64, pos segment.Pos) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, e := l.findLocked(id)
	return e == nil || s.seq != pos.Seg || e.off != pos.Off
}

// Stats reports the log's live messages, its files and its sticky error.
func (l *Log) Stats() store.Stats {
	l.mu.Lock()
	st := store.Stats{Messages: l.messages, Bytes: l.bytes}
	l.mu.Unlock()
	st.Segments = len(l.seg.Segments())
	st.DiskBytes = l.seg.DiskBytes()
	st.Err = l.Err()
	return st
}

// Err returns the log's sticky write error, or nil. It is Stats().Err
// without listing the segments, cheap enough to check on every publish.
func (l *Log) Err() error { return l.seg.Err() }

// Close stops the compaction worker, then flushes, syncs and closes the
// segment files. done callbacks of earlier appends have all run when it
// returns.
func (l *Log) Close() error {
	return l.store.closeLog(l)
}

// close does the work of Close; Store.closeLog calls it once.
func (l *Log) close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.recent.reset(&l.store.recentUsed)
	l.mu.Unlock()
	close(l.stop)
	<-l.stopped
	if err := l.seg.Close(); err != nil && !errors.Is(err, segment.ErrClosed) {
		return fmt.Errorf("queue %q: close: %w", l.name, err)
	}
	return nil
}
