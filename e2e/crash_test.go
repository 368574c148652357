package e2e

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCrashConfirmedPublishesSurviveKill9 is DESIGN's "Crashes lose
// nothing confirmed", through the protocol: a few amqp091-go publishers
// in confirm mode publish persistent messages to a durable queue on a node
// with sync=always; after a random number of confirms (counted as they
// arrive, not timed) the node gets SIGKILL while messages are in flight,
// and starts again on the same folder. Publishers owe what was not
// confirmed and publish it again next round. After the last round, every
// message ever confirmed must be in the queue, no body may be damaged, and
// a message may appear twice only if it was published twice.
func TestCrashConfirmedPublishesSurviveKill9(t *testing.T) {
	t.Parallel()
	rng := crashRand(t)
	rounds := crashRounds(t, 5)
	dir := t.TempDir()
	pubs := []*publisher{newPublisher(0), newPublisher(1), newPublisher(2), newPublisher(3)}

	var killAts []int
	for round := range rounds {
		// Every other round with 64 KiB segments, so that the kill lands
		// among rotations into preallocated segments (at the default
		// 64 MiB, a round never fills an eighth of one).
		args := []string{"--sync=always"}
		if round%2 == 1 {
			args = append(args, "--segment-size=64KiB")
		}
		n := startNode(t, dir, args...)
		killAt := 100 + rng.IntN(700)
		killAts = append(killAts, killAt)
		var acks atomic.Int64
		kill := make(chan struct{})
		run := startPublishers(t, n, pubs, true, func() {
			if acks.Add(1) == int64(killAt) {
				close(kill)
			}
		})
		select {
		case <-kill:
		case <-run.done:
			t.Errorf("publishers stopped after %d of %d confirms, before the kill", acks.Load(), killAt)
		}
		n.kill9(t)
		run.expect(t, errConnLost)
	}

	n := startNode(t, dir, "--sync=always")
	startPublishers(t, n, pubs, false, func() {}).expect(t, nil)
	drained := drainCrashQueue(t, n)
	sum := verifyCrashLedger(t, pubs, nil, drained)
	n.stop(t)

	// Everything owed was published again and confirmed in the last
	// round, so every key ever sent is in the queue exactly as counted.
	if sum.distinct != sum.sentKeys {
		t.Errorf("%d distinct messages in the queue, %d published", sum.distinct, sum.sentKeys)
	}
	t.Logf("%d rounds, SIGKILL after %v confirms; %d publishes (%d again after a crash, %d nacks), "+
		"%d distinct confirmed; after the last restart %d messages, %d distinct, %d duplicates, %d lost",
		rounds, killAts, sum.published, sum.published-sum.sentKeys, sum.nacks,
		sum.confirmed, sum.drained, sum.distinct, sum.dups, sum.lost)
}

// pubRun is a set of publishers running for one round.
type pubRun struct {
	done chan struct{} // closed when every publisher has returned
	errs []error       // one per publisher; read only after done
}

// startPublishers opens a session per publisher on n, then runs them all
// at once, each on its own goroutine.
func startPublishers(t *testing.T, n *node, pubs []*publisher, fresh bool, onAck func()) *pubRun {
	t.Helper()
	sessions := make([]*pubSession, len(pubs))
	for i := range pubs {
		sessions[i] = openPubSession(t, n)
	}
	r := &pubRun{done: make(chan struct{}), errs: make([]error, len(pubs))}
	var wg sync.WaitGroup
	for i, p := range pubs {
		wg.Go(func() { r.errs[i] = p.run(sessions[i], fresh, onAck) })
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
	return r
}

// expect waits for the run to end and checks each publisher ended with
// want (nil: it finished; errConnLost: the node was killed).
func (r *pubRun) expect(t *testing.T, want error) {
	t.Helper()
	<-r.done
	for i, err := range r.errs {
		if !errors.Is(err, want) {
			t.Fatalf("publisher %d: %v, want %v", i, err, want)
		}
	}
}

// ledgerSum is what verifyCrashLedger counted, for the test's log line.
type ledgerSum struct {
	published, sentKeys, confirmed, nacks int
	drained, distinct, dups, lost         int
	ackedBack                             int // consumer-acked keys that came back
}

// verifyCrashLedger checks the queue's content after the last restart
// (drained: how often each key came out) against the publishers' ledgers
// and the keys a consumer acked:
//   - lost: a confirmed key that is not there, unless a consumer acked
//     it (acks are not confirmed, so an acked message may or may not
//     come back);
//   - phantom: a key no publisher sent;
//   - too many: more copies of a key than times it was published.
func verifyCrashLedger(t *testing.T, pubs []*publisher, acked map[msgKey]bool, drained map[msgKey]int) ledgerSum {
	t.Helper()
	var s ledgerSum
	for _, p := range pubs {
		s.published += p.published
		s.sentKeys += len(p.sent)
		s.confirmed += len(p.confirmed)
		s.nacks += p.nacks
		if len(p.pending) != 0 {
			t.Errorf("publisher %d still owes %d messages after the last round", p.id, len(p.pending))
		}
		for seq := range p.confirmed {
			k := msgKey{p.id, seq}
			if drained[k] == 0 && !acked[k] {
				if s.lost++; s.lost <= 10 {
					t.Errorf("LOST: %s was confirmed, never acked by a consumer, and is not in the queue", k)
				}
			}
		}
	}
	for k, c := range drained {
		s.drained += c
		s.distinct++
		s.dups += c - 1
		if acked[k] {
			s.ackedBack++
		}
		if k.pub < 0 || k.pub >= len(pubs) || pubs[k.pub].sent[k.seq] == 0 {
			t.Errorf("phantom message %s: never published", k)
			continue
		}
		if sent := pubs[k.pub].sent[k.seq]; c > sent {
			t.Errorf("%s is in the queue %d times but was published %d times", k, c, sent)
		}
	}
	if s.lost > 0 {
		t.Errorf("%d confirmed messages lost", s.lost)
	}
	return s
}
