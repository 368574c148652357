package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// crashQueue is the durable queue the crash tests publish to.
const crashQueue = "e2e.crash"

// msgKey names one logical message: publisher and sequence number. A
// message published again after a crash keeps its key.
type msgKey struct {
	pub int
	seq uint64
}

func (k msgKey) String() string { return fmt.Sprintf("p%d-s%d", k.pub, k.seq) }

// crashBody is the body of message k: a readable prefix naming it, then
// filler of a length and content derived from k alone, so a body that was
// cut, torn, shifted or swapped with another message's does not verify.
func crashBody(k msgKey) []byte {
	h := k.seq*0x9e3779b97f4a7c15 ^ uint64(k.pub+1)*0xbf58476d1ce4e5b9
	h ^= h >> 31
	b := fmt.Appendf(nil, "ferry-e2e %s|", k)
	for i := range 16 + int(h%480) {
		b = append(b, byte(h>>(8*(i%8)))^byte(i))
	}
	return b
}

func crashPublishing(k msgKey) amqp.Publishing {
	return amqp.Publishing{
		DeliveryMode: amqp.Persistent,
		MessageId:    k.String(),
		Headers:      amqp.Table{"pub": int32(k.pub), "seq": int64(k.seq)},
		Body:         crashBody(k),
	}
}

// checkCrashDelivery returns the key of a delivery after checking that its
// headers, message id and body all agree with one another: anything else
// is garbage the broker served.
func checkCrashDelivery(d amqp.Delivery) (msgKey, error) {
	pub, ok1 := d.Headers["pub"].(int32)
	seq, ok2 := d.Headers["seq"].(int64)
	if !ok1 || !ok2 {
		return msgKey{}, fmt.Errorf("headers %v: want int32 pub and int64 seq", d.Headers)
	}
	k := msgKey{pub: int(pub), seq: uint64(seq)}
	if d.MessageId != k.String() {
		return k, fmt.Errorf("%s: message id %q", k, d.MessageId)
	}
	if d.DeliveryMode != amqp.Persistent {
		return k, fmt.Errorf("%s: delivery mode %d", k, d.DeliveryMode)
	}
	if want := crashBody(k); !bytes.Equal(d.Body, want) {
		return k, fmt.Errorf("%s: body of %d bytes does not match its %d expected bytes (starts %q)",
			k, len(d.Body), len(want), d.Body[:min(len(d.Body), 32)])
	}
	return k, nil
}

// drainCrashQueue takes every message of the crash queue on node n with
// basic.get, checks each, and returns how often each key came back. Right
// after a start nothing is leased, so basic.get-empty means drained; the
// queue's ready count from a passive declare must match what came out.
func drainCrashQueue(t *testing.T, n *node) map[msgKey]int {
	t.Helper()
	ch, err := n.dial(t).Channel()
	must(t, err)
	q, err := ch.QueueDeclarePassive(crashQueue, true, false, false, false, nil)
	must(t, err)
	got := map[msgKey]int{}
	var total, garbage int
	var last uint64
	for {
		d, ok, err := ch.Get(crashQueue, false)
		must(t, err)
		if !ok {
			break
		}
		total++
		last = d.DeliveryTag
		k, err := checkCrashDelivery(d)
		if err != nil {
			if garbage++; garbage <= 10 {
				t.Errorf("garbage message: %v", err)
			}
			continue
		}
		got[k]++
	}
	if garbage > 0 {
		t.Errorf("%d garbage messages of %d", garbage, total)
	}
	if total != q.Messages {
		t.Errorf("queue said %d ready after restart, basic.get gave %d", q.Messages, total)
	}
	if last > 0 {
		must(t, ch.Ack(last, true))
	}
	return got
}

// crashRounds is how many kill -9 rounds a crash test runs: def, or
// FERRY_CRASH_ROUNDS for a longer soak.
func crashRounds(t *testing.T, def int) int {
	t.Helper()
	s := os.Getenv("FERRY_CRASH_ROUNDS")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("FERRY_CRASH_ROUNDS=%q: want a positive number", s)
	}
	return n
}

// crashRand returns the test's source of randomness, seeded from
// FERRY_CRASH_SEED if set, else at random; the seed is logged so a
// failure can be replayed (the broker's timing still varies).
func crashRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("FERRY_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FERRY_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (FERRY_CRASH_SEED=%d repeats the choices)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}
