package loadgen

import (
	"sync"
	"sync/atomic"
)

// ledger records which sequence numbers of each producer the consumers
// have seen, so that Run can count lost and duplicated messages exactly.
// It is shared by all consumers: one shard (and one lock) per producer
// keeps consumers of different producers off each other's lock.
type ledger struct {
	shards []ledgerShard

	// unique counts first sightings over all shards; the drain phase
	// compares it with the number of accepted messages before it pays for
	// an exact check.
	unique atomic.Uint64

	// progress gets a token (without blocking) after each first sighting,
	// so the drain phase can wait for events rather than poll.
	progress chan struct{}
}

type ledgerShard struct {
	mu   sync.Mutex
	seen seqSet // guarded by mu
	dups uint64 // guarded by mu
}

func newLedger(producers int) *ledger {
	return &ledger{shards: make([]ledgerShard, producers), progress: make(chan struct{}, 1)}
}

// observe records that a consumer got message seq of producer p, and
// reports whether it had been seen before. ok is false for a producer id
// that is not part of this run (a corrupt or foreign message).
func (l *ledger) observe(p uint32, seq uint64) (dup, ok bool) {
	if int(p) >= len(l.shards) {
		return false, false
	}
	s := &l.shards[p]
	s.mu.Lock()
	dup = s.seen.add(seq)
	if dup {
		s.dups++
	}
	s.mu.Unlock()
	if !dup {
		l.unique.Add(1)
		select {
		case l.progress <- struct{}{}:
		default:
		}
	}
	return dup, true
}

// missing returns how many of the accepted sequence numbers (one set per
// producer) have not been seen: the lost messages, once the drain is over.
func (l *ledger) missing(accepted []seqSet) uint64 {
	var n uint64
	for p := range accepted {
		s := &l.shards[p]
		s.mu.Lock()
		n += accepted[p].countMissing(&s.seen)
		s.mu.Unlock()
	}
	return n
}

// duplicates returns how many deliveries repeated a message already seen.
func (l *ledger) duplicates() uint64 {
	var n uint64
	for p := range l.shards {
		s := &l.shards[p]
		s.mu.Lock()
		n += s.dups
		s.mu.Unlock()
	}
	return n
}
