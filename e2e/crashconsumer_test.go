package e2e

import (
	"testing"
)

// TestCrashConsumerAcksKill9 kills the node while a consumer acks: a
// backlog of confirmed messages is consumed with manual acks (prefetch 32)
// while a publisher keeps adding confirmed messages, and after a random
// number of acks (counted as the consumer sends them) the node gets
// SIGKILL, then starts again on the same folder. amqp091-go cannot confirm
// an ack, so an acked message may come back or not; what must hold is that
// every confirmed message was either acked or is still in the queue, with
// no damaged body and no copies beyond what was published.
func TestCrashConsumerAcksKill9(t *testing.T) {
	t.Parallel()
	rng := crashRand(t)
	rounds := crashRounds(t, 3)
	dir := t.TempDir()
	pub := newPublisher(0)
	pubs := []*publisher{pub}

	// The backlog: owed from the start, so run publishes it and waits
	// for every confirm.
	const backlog = 600
	for seq := range uint64(backlog) {
		pub.pending[seq] = true
	}
	pub.next = backlog
	n := startNode(t, dir, "--sync=always")
	startPublishers(t, n, pubs, false, func() {}).expect(t, nil)

	acked := map[msgKey]bool{}
	var killAts []int
	for r := range rounds {
		if r > 0 {
			n = startNode(t, dir, "--sync=always")
		}
		ch, err := n.dial(t).Channel()
		must(t, err)
		must(t, ch.Qos(32, 0, false))
		q, err := ch.QueueDeclarePassive(crashQueue, true, false, false, false, nil)
		must(t, err)
		if q.Messages == 0 {
			t.Fatalf("round %d: the queue is empty after restart", r)
		}
		// At most what is ready now, so the consumer surely gets there.
		killAt := 1 + rng.IntN(min(q.Messages, 200))
		killAts = append(killAts, killAt)
		deliveries, err := ch.Consume(crashQueue, "crash-consumer", false, false, false, false, nil)
		must(t, err)
		run := startPublishers(t, n, pubs, true, func() {})

		sent := 0
		for d := range deliveries {
			k, err := checkCrashDelivery(d)
			if err != nil {
				t.Errorf("garbage delivery: %v", err)
			}
			must(t, d.Ack(false))
			acked[k] = true
			if sent++; sent == killAt {
				n.kill9(t)
				break
			}
		}
		for range deliveries { // what was in the client's buffer; closed once the connection is gone
		}
		run.expect(t, errConnLost)
	}

	n = startNode(t, dir, "--sync=always")
	startPublishers(t, n, pubs, false, func() {}).expect(t, nil)
	drained := drainCrashQueue(t, n)
	sum := verifyCrashLedger(t, pubs, acked, drained)
	n.stop(t)
	t.Logf("%d rounds, SIGKILL after %v acks; %d publishes (%d again after a crash), %d distinct confirmed; "+
		"%d distinct acked, %d of them still in the queue at the end (ack not on disk at a kill); "+
		"after the last restart %d messages, %d duplicates, %d lost",
		rounds, killAts, sum.published, sum.published-sum.sentKeys, sum.confirmed,
		len(acked), sum.ackedBack, sum.drained, sum.dups, sum.lost)
}
