package diskstore

import (
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
)

// copyBatch is how many compaction copies are appended per hold of mu,
// so that appends from the queue engine interleave with a long copy.
const copyBatch = 64

// errStopped ends a compaction pass because the log is closing.
var errStopped = errors.New("diskstore: compaction stopped")

// run is the log's compaction worker: one pass per wake-up until Close.
func (l *Log) run() {
	defer close(l.stopped)
	var failed bool // logged once: a failed log fails every pass
	for {
		select {
		case <-l.stop:
			return
		case <-l.wake:
		}
		err := l.Compact()
		if err != nil && !failed && !errors.Is(err, errStopped) && !errors.Is(err, store.ErrClosed) {
			l.logger.Error("diskstore: compaction failed", "err", err)
			failed = l.seg.Err() != nil
		}
		if h := l.passHook.Load(); h != nil {
			(*h)()
		}
	}
}

// Compact deletes every segment the deletion rule allows and compacts
// every segment the compaction rule picks (see the package doc), and
// returns when there is nothing more to do. The background worker runs
// it when woken; tests and operators may run it directly.
func (l *Log) Compact() error {
	l.compactMu.Lock()
	defer l.compactMu.Unlock()
	if err := l.seg.Err(); err != nil {
		return fmt.Errorf("queue %q: log failed: %w", l.name, err)
	}
	for {
		select {
		case <-l.stop:
			return errStopped
		default:
		}
		if victims := l.removable(); len(victims) > 0 {
			// What emptied them must be on disk before they go: if a
			// power cut lost a replacing Enqueue (a compaction copy),
			// the message would be lost with the segment.
			if err := l.seg.Sync(); err != nil {
				return fmt.Errorf("queue %q: sync before deleting segments: %w", l.name, err)
			}
			if err := l.removeSegments(victims); err != nil {
				return err
			}
			continue
		}
		src, live := l.compactCandidate()
		if src == nil {
			return nil
		}
		if err := l.copyLive(src, live); err != nil {
			return err
		}
	}
}

// blockedLocked reports whether a segment in [s.ref, s.seq) still exists,
// so that s's Acks and Requeues are still needed.
func (l *Log) blockedLocked(s *segIndex) bool {
	if s.ref == noRef {
		return false
	}
	// segs is sorted: find the first segment at or after ref.
	lo, hi := 0, len(l.segs)
	for lo < hi {
		m := (lo + hi) / 2
		if l.segs[m].seq < s.ref {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(l.segs) && l.segs[lo].seq < s.seq
}

// removable returns the sealed segments that hold nothing live and
// are not needed by a reference, taking mu.
func (l *Log) removable() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []uint64
	for _, s := range l.segs {
		if s.sealed && s.live == 0 && !l.blockedLocked(s) {
			out = append(out, s.seq)
		}
	}
	return out
}

// removeSegments deletes segments and drops them from the index. Nothing
// can refer to them meanwhile: they hold nothing live.
func (l *Log) removeSegments(seqs []uint64) error {
	for _, seq := range seqs {
		if err := l.seg.Remove(seq); err != nil {
			return fmt.Errorf("queue %q: delete segment %d: %w", l.name, seq, err)
		}
		l.mu.Lock()
		for i, s := range l.segs {
			if s.seq == seq {
				l.segs = append(l.segs[:i:i], l.segs[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
		l.deleted.Add(1)
		l.logger.Debug("diskstore: deleted segment", "seg", seq)
	}
	return nil
}

// compactCandidate picks the oldest sealed segment worth compacting and
// returns it with a copy of its live entries, or nil.
func (l *Log) compactCandidate() (*segIndex, []ent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ratio <= 0 || l.closed {
		return nil, nil
	}
	for _, s := range l.segs {
		if !s.sealed || s.live == 0 || float64(s.liveBytes) >= l.ratio*float64(s.size) || l.blockedLocked(s) {
			continue
		}
		return s, s.appendLive(make([]ent, 0, s.live))
	}
	return nil, nil
}

// copyLive appends a copy of each entry of src that is still live where it
// was, and waits until the copies are durable. The reads happen without
// mu; the re-check and the append happen under it, so an Ack appended
// after the copy always finds the copy.
func (l *Log) copyLive(src *segIndex, live []ent) error {
	var last chan error
	for len(live) > 0 {
		batch := live[:min(copyBatch, len(live))]
		live = live[len(batch):]
		data := make([][]byte, len(batch))
		for i, e := range batch {
			payload, err := l.seg.ReadAt(segment.Pos{Seg: src.seq, Off: e.off})
			if err != nil {
				return fmt.Errorf("queue %q: compact segment %d: read offset %d: %w", l.name, src.seq, e.off, err)
			}
			h, err := decode(payload)
			if err != nil || h.id != e.id || (h.kind == store.Dedup) != e.dedup() || h.kind != store.Enqueue && h.kind != store.Dedup {
				return fmt.Errorf("queue %q: compact segment %d: offset %d does not hold entry %d: %v", l.name, src.seq, e.off, e.id, err)
			}
			data[i] = payload[h.dataOff:]
		}
		ch, err := l.appendCopies(src, batch, data)
		if err != nil {
			return err
		}
		if ch != nil {
			last = ch
		}
	}
	if last == nil {
		return nil
	}
	// Records are durable in order: the last copy's done covers them all.
	if err := <-last; err != nil {
		return fmt.Errorf("queue %q: compact segment %d: %w", l.name, src.seq, err)
	}
	return nil
}

// appendCopies appends, under mu, copies of the entries of batch that are
// still live at the same place. It returns a channel that gets the last
// copy's done result, or nil if nothing was copied.
func (l *Log) appendCopies(src *segIndex, batch []ent, data [][]byte) (chan error, error) {
	var ch chan error
	var wake bool
	l.mu.Lock()
	defer func() {
		l.mu.Unlock()
		if wake {
			l.signal()
		}
	}()
	if l.closed {
		return nil, errStopped
	}
	for i, e := range batch {
		cur := src.find(e.id)
		if cur == nil || cur.off != e.off {
			continue // acked, dead-lettered or replaced since the snapshot
		}
		// The copy carries what the log knows now: the delivery count and
		// the Due that Requeues since the original left.
		r := store.Record{Kind: store.Enqueue, ID: e.id, Deliveries: cur.deliveries, Data: data[i], Meta: l.metaLocked(cur)}
		if cur.dedup() {
			r.Kind = store.Dedup
		}
		l.buf = encode(l.buf[:0], r)
		c := make(chan error, 1)
		pos, err := l.seg.Append(l.buf, func(err error) { c <- err })
		if err != nil {
			return nil, fmt.Errorf("queue %q: compact segment %d: append copy: %w", l.name, src.seq, err)
		}
		ch = c
		l.copied.Add(1)
		wake = l.applyLocked(pos, appliedOf(r)) || wake
	}
	return ch, nil
}

// CompactStats reports how many segments the log deleted and how many
// messages compaction copied since it was opened.
func (l *Log) CompactStats() (segmentsDeleted, messagesCopied uint64) {
	return l.deleted.Load(), l.copied.Load()
}
