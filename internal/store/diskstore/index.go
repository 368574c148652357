package diskstore

import (
	"cmp"
	"math"
	"slices"
)

// ent is one live-able record's place in a segment (an Enqueue, or a
// Dedup): 24 bytes, no pointers, so a million of them cost the garbage
// collector nothing to scan. A record's store.Meta is not here but in
// Log.meta, and only when it is not zero, so a plain message pays nothing
// for metadata.
type ent struct {
	id         uint64
	off        uint32 // the record's offset in its segment (segment.Pos.Off)
	size       uint32 // length of the message data
	deliveries uint32
	metaLen    uint16 // bytes of the record's meta fields (saturated), for the live-bytes estimate
	flags      uint8  // entDead, entDedup, entMeta
}

// Bits of ent.flags.
const (
	entDead  = 1 << iota // acked, dead-lettered or replaced by a later record
	entDedup             // a Dedup record, not a message
	entMeta              // Log.meta holds its Meta
)

func (e *ent) dead() bool  { return e.flags&entDead != 0 }
func (e *ent) dedup() bool { return e.flags&entDedup != 0 }

// onDisk is what the record of e costs on disk, as the compaction ratio
// counts it: data, meta fields and a typical framing and header.
func (e *ent) onDisk() int64 { return int64(e.size) + int64(e.metaLen) + recOverhead }

// noRef marks a segment whose records refer to no other segment.
const noRef = math.MaxUint64

// mergeAt is how long a segment's unsorted tail grows before it is merged.
const mergeAt = 128

// segIndex is what the index knows of one segment. Its fields are guarded
// by the owning Log's mu.
type segIndex struct {
	seq   uint64
	ents  []ent // sorted by id
	tail  []ent // appended out of id order; unsorted, at most mergeAt
	minID uint64
	maxID uint64 // range of ids in ents and tail, dead or live
	dead  int    // dead entries in ents and tail

	live      int   // live entries (messages and Dedup records)
	liveBytes int64 // their records' bytes on disk, framing included
	ref       uint64
	size      int64 // bytes on disk; final once sealed
	sealed    bool  // no longer the segment being appended to
}

func newSegIndex(seq uint64) *segIndex {
	return &segIndex{seq: seq, ref: noRef, minID: math.MaxUint64}
}

// refTo notes that a record in s depends on segment seq still existing.
func (s *segIndex) refTo(seq uint64) {
	if seq < s.seq {
		s.ref = min(s.ref, seq)
	}
}

// add appends a live entry whose record takes onDisk bytes.
func (s *segIndex) add(e ent, onDisk int64) {
	if n := len(s.ents); n == 0 || e.id >= s.ents[n-1].id {
		s.ents = append(s.ents, e)
	} else {
		s.tail = append(s.tail, e)
		if len(s.tail) >= mergeAt {
			s.mergeTail()
		}
	}
	s.minID, s.maxID = min(s.minID, e.id), max(s.maxID, e.id)
	s.live++
	s.liveBytes += onDisk
}

func byID(a, b ent) int { return cmp.Compare(a.id, b.id) }

// mergeTail sorts the tail into ents, in place from the back, so that
// compaction copies arriving out of order cost no allocation.
func (s *segIndex) mergeTail() {
	if len(s.tail) == 0 {
		return
	}
	slices.SortStableFunc(s.tail, byID)
	i, j := len(s.ents)-1, len(s.tail)-1
	s.ents = append(s.ents, s.tail...)
	for k := len(s.ents) - 1; j >= 0; k-- {
		if i >= 0 && s.ents[i].id > s.tail[j].id {
			s.ents[k] = s.ents[i]
			i--
		} else {
			s.ents[k] = s.tail[j]
			j--
		}
	}
	s.tail = s.tail[:0]
}

// find returns the live entry for id in s, or nil. The pointer is valid
// until s is next changed.
func (s *segIndex) find(id uint64) *ent {
	if id < s.minID || id > s.maxID {
		return nil
	}
	i, _ := slices.BinarySearchFunc(s.ents, id, func(e ent, id uint64) int { return cmp.Compare(e.id, id) })
	for ; i < len(s.ents) && s.ents[i].id == id; i++ {
		if !s.ents[i].dead() {
			return &s.ents[i]
		}
	}
	for i := range s.tail {
		if s.tail[i].id == id && !s.tail[i].dead() {
			return &s.tail[i]
		}
	}
	return nil
}

// kill marks e, an entry of s taking onDisk bytes, dead.
func (s *segIndex) kill(e *ent, onDisk int64) {
	e.flags |= entDead
	s.dead++
	s.live--
	s.liveBytes -= onDisk
}

// shrink drops dead entries once they are half of s, and gives back
// memory the slices no longer need.
func (s *segIndex) shrink() {
	n := len(s.ents) + len(s.tail)
	if s.dead < 32 || 2*s.dead < n {
		return
	}
	isDead := func(e ent) bool { return e.dead() }
	s.ents = slices.DeleteFunc(s.ents, isDead)
	s.tail = slices.DeleteFunc(s.tail, isDead)
	s.dead = 0
	if cap(s.ents) > 2*len(s.ents)+16 {
		s.ents = slices.Clone(s.ents)
	}
}

// seal marks s as no longer appended to, merges its tail and trims its
// slice to size.
func (s *segIndex) seal(size int64) {
	s.sealed = true
	s.size = size
	s.mergeTail()
	s.tail = nil
	if cap(s.ents) > len(s.ents) {
		s.ents = slices.Clone(s.ents)
	}
}

// appendLive appends s's live entries to dst in id order.
func (s *segIndex) appendLive(dst []ent) []ent {
	s.mergeTail()
	for _, e := range s.ents {
		if !e.dead() {
			dst = append(dst, e)
		}
	}
	return dst
}
