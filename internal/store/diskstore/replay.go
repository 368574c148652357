package diskstore

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
)

// load rebuilds the index from the segment files: the one scan at open.
// See "Recovery" in the package doc.
func (l *Log) load() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var bad int
	err := l.seg.Scan(func(pos segment.Pos, payload []byte) error {
		h, err := decode(payload)
		if err != nil {
			bad++
			l.logger.Error("diskstore: skipping record that passed its checksum but does not decode",
				"seg", pos.Seg, "offset", pos.Off, "err", err)
			return nil
		}
		if h.id > l.lastID.Load() {
			l.lastID.Store(h.id)
		}
		l.applyLocked(pos, applied{kind: h.kind, id: h.id, deliveries: h.deliveries,
			size: len(payload) - h.dataOff, metaLen: h.metaLen, meta: h.meta()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue %q: scan: %w", l.name, err)
	}
	// Segments without records never reached applyLocked; every segment
	// must be in the index so that the deletion rule sees it.
	infos := l.seg.Segments()
	segs := make([]*segIndex, 0, len(infos))
	for i, in := range infos {
		s := l.segIndexLocked(in.Seq)
		if s == nil {
			s = newSegIndex(in.Seq)
		}
		if i < len(infos)-1 {
			if !s.sealed {
				s.seal(in.Size)
			}
		} else {
			s.size = in.Size
		}
		if in.Base > l.lastID.Load() {
			l.lastID.Store(in.Base)
		}
		segs = append(segs, s)
	}
	l.segs = segs
	if bad > 0 {
		l.logger.Error("diskstore: undecodable records skipped", "count", bad)
	}
	return nil
}

// segIndexLocked returns the index of segment seq, or nil.
func (l *Log) segIndexLocked(seq uint64) *segIndex {
	i, ok := slices.BinarySearchFunc(l.segs, seq, func(s *segIndex, seq uint64) int {
		switch {
		case s.seq < seq:
			return -1
		case s.seq > seq:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return l.segs[i]
}

// Replay reports the messages and Dedup records live now (before any
// Append, that is those live at open) in id order, with their Meta, and
// the highest id the log has held.
func (l *Log) Replay(fn func(store.Entry) error) (uint64, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, store.ErrClosed
	}
	live := make([]ent, 0, l.messages)
	for _, s := range l.segs {
		live = s.appendLive(live)
	}
	meta := maps.Clone(l.meta)
	last := l.lastID.Load()
	l.mu.Unlock()
	// Segments usually hold increasing ids, so this is mostly a check.
	if !slices.IsSortedFunc(live, byID) {
		slices.SortFunc(live, byID)
	}
	for _, e := range live {
		en := store.Entry{Kind: store.Enqueue, ID: e.id, Deliveries: e.deliveries, Size: int(e.size)}
		if e.dedup() {
			en.Kind = store.Dedup
		}
		if e.flags&entMeta != 0 {
			en.Meta = meta[e.id]
		}
		if err := fn(en); err != nil {
			return last, err
		}
	}
	return last, nil
}
