package loadgen

import (
	"sync"
	"testing"
)

func setOf(nums ...uint64) seqSet {
	var s seqSet
	for _, n := range nums {
		s.add(n)
	}
	return s
}

func TestSeqSet(t *testing.T) {
	var s seqSet
	if s.has(0) || s.len() != 0 {
		t.Fatal("zero seqSet is not empty")
	}
	for _, n := range []uint64{0, 63, 64, 1000, 5} {
		if s.add(n) {
			t.Fatalf("add(%d) says it was there already", n)
		}
	}
	if !s.add(64) {
		t.Fatal("second add(64) says it was new")
	}
	if s.len() != 5 || !s.has(1000) || s.has(999) || s.has(1<<40) {
		t.Fatalf("len %d has(1000) %v has(999) %v", s.len(), s.has(1000), s.has(999))
	}
	other := setOf(0, 5, 2000)
	if got := s.countMissing(&other); got != 3 { // 63, 64, 1000
		t.Fatalf("countMissing = %d, want 3", got)
	}
	diff := s.without(&other)
	if diff.len() != 3 || diff.has(0) || !diff.has(63) || !diff.has(1000) {
		t.Fatalf("without: len %d, has(0) %v", diff.len(), diff.has(0))
	}
	if s.len() != 5 {
		t.Fatal("without changed its receiver")
	}
}

// The accounting must find a gap (a message accepted but never consumed)
// and a duplicate (one consumed twice), each exactly once.
func TestLedgerDetectsGapAndDuplicate(t *testing.T) {
	l := newLedger(2)
	accepted := []seqSet{setOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), setOf(0, 1, 2)}
	for seq := range uint64(10) {
		if seq == 4 {
			continue // the gap
		}
		if dup, ok := l.observe(0, seq); dup || !ok {
			t.Fatalf("observe(0, %d) = dup %v ok %v, want first sighting", seq, dup, ok)
		}
	}
	for seq := range uint64(3) {
		l.observe(1, seq)
	}
	if dup, _ := l.observe(0, 7); !dup { // the duplicate
		t.Fatal("second delivery of (0, 7) not reported as a duplicate")
	}
	if _, ok := l.observe(2, 0); ok {
		t.Fatal("producer 2 is not in a 2-producer run, but observe accepted it")
	}
	if got := l.missing(accepted); got != 1 {
		t.Errorf("missing = %d, want 1 (producer 0, seq 4)", got)
	}
	if got := l.duplicates(); got != 1 {
		t.Errorf("duplicates = %d, want 1", got)
	}
	if got := l.unique.Load(); got != 12 {
		t.Errorf("unique = %d, want 12", got)
	}
	// A message seen but never accepted (nacked, say) is neither lost nor
	// a duplicate.
	l.observe(1, 50)
	if l.missing(accepted) != 1 || l.duplicates() != 1 {
		t.Errorf("an unaccepted message changed the counts: missing %d dups %d", l.missing(accepted), l.duplicates())
	}
	// Once the gap arrives, nothing is missing.
	l.observe(0, 4)
	if got := l.missing(accepted); got != 0 {
		t.Errorf("missing after the gap arrived = %d, want 0", got)
	}
}

// Consumers share the ledger; duplicates seen by different consumers must
// still be counted exactly once each.
func TestLedgerConcurrentConsumersCountDuplicatesExactly(t *testing.T) {
	const producers, perProducer, consumers = 3, 5000, 4
	l := newLedger(producers)
	var wg sync.WaitGroup
	for c := range consumers {
		wg.Go(func() {
			for p := range uint32(producers) {
				for seq := range uint64(perProducer) {
					// Every consumer sees the even numbers; only consumer 0
					// sees the odd ones.
					if seq%2 == 0 || c == 0 {
						l.observe(p, seq)
					}
				}
			}
		})
	}
	wg.Wait()
	wantDups := uint64(producers * perProducer / 2 * (consumers - 1))
	if got := l.duplicates(); got != wantDups {
		t.Errorf("duplicates = %d, want %d", got, wantDups)
	}
	if got := l.unique.Load(); got != producers*perProducer {
		t.Errorf("unique = %d, want %d", got, producers*perProducer)
	}
}

func TestShareSplitsCountEvenly(t *testing.T) {
	var total uint64
	got := []uint64{}
	for i := range 4 {
		n := share(10, 4, i)
		got = append(got, n)
		total += n
	}
	if total != 10 || got[0] != 3 || got[1] != 3 || got[2] != 2 || got[3] != 2 {
		t.Fatalf("share(10, 4, i) = %v, want [3 3 2 2]", got)
	}
	if share(1, 3, 2) != 0 {
		t.Fatal("share(1, 3, 2) should be 0: that producer publishes nothing")
	}
}
