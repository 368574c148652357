package loadgen

import "math/bits"

// seqSet is a set of sequence numbers as a growable bitset. Sequence
// numbers are dense from 0, so a million messages take 122 KiB. The zero
// value is an empty set. It is not safe for concurrent use; its owner
// says which lock, if any, guards it.
type seqSet struct {
	words []uint64
}

// add puts n in the set and reports whether it was there already.
func (s *seqSet) add(n uint64) (had bool) {
	w := n / 64
	if w >= uint64(len(s.words)) {
		grown := make([]uint64, max(w+1, uint64(2*len(s.words))))
		copy(grown, s.words)
		s.words = grown
	}
	bit := uint64(1) << (n % 64)
	had = s.words[w]&bit != 0
	s.words[w] |= bit
	return had
}

// has reports whether n is in the set.
func (s *seqSet) has(n uint64) bool {
	w := n / 64
	return w < uint64(len(s.words)) && s.words[w]&(1<<(n%64)) != 0
}

// len returns how many numbers are in the set.
func (s *seqSet) len() uint64 {
	var n int
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// countMissing returns how many numbers of s are not in other: |s \ other|.
func (s *seqSet) countMissing(other *seqSet) uint64 {
	var n int
	for i, w := range s.words {
		if i < len(other.words) {
			w &^= other.words[i]
		}
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// without returns a new set holding the numbers of s that are not in other.
func (s *seqSet) without(other *seqSet) seqSet {
	out := seqSet{words: make([]uint64, len(s.words))}
	for i, w := range s.words {
		if i < len(other.words) {
			w &^= other.words[i]
		}
		out.words[i] = w
	}
	return out
}
