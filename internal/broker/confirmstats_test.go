package broker

import (
	"sync"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// heldStore is a memstore whose logs hold every append's done until
// release, so that a test decides when publishes are confirmed.
type heldStore struct {
	store.Store
	mu   sync.Mutex
	held []func(error)
}

type heldLog struct {
	store.Log
	s *heldStore
}

func (s *heldStore) Open(name string) (store.Log, error) {
	l, err := s.Store.Open(name)
	if err != nil {
		return nil, err
	}
	return &heldLog{Log: l, s: s}, nil
}

func (l *heldLog) Append(r store.Record, done func(error)) {
	if done == nil {
		l.Log.Append(r, nil)
		return
	}
	l.Log.Append(r, func(err error) {
		l.s.mu.Lock()
		l.s.held = append(l.s.held, func(error) { done(err) })
		l.s.mu.Unlock()
	})
}

// release confirms what was held.
func (s *heldStore) release() int {
	s.mu.Lock()
	h := s.held
	s.held = nil
	s.mu.Unlock()
	for _, f := range h {
		f(nil)
	}
	return len(h)
}

// TestConfirmLatency: each publish that is confirmed is timed once from
// the publish call to its done, by the broker's clock, whichever entry
// point it came through (Route for AMQP, PublishResult for SQS, Publish
// for admin); a fan-out to two queues counts once, unroutable and
// fire-and-forget publishes not at all.
func TestConfirmLatency(t *testing.T) {
	hs := &heldStore{Store: memstore.New()}
	fc := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	b, err := New(Config{Durable: hs, Transient: hs, Clock: fc, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, q := range []string{"q1", "q2"} {
		if _, _, err := b.DeclareQueue("/", q, QueueOptions{Durable: true}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.DeclareExchange("/", "fan", ExchangeOptions{Kind: "fanout"}))
	must(b.BindQueue("/", "q1", "fan", "", nil))
	must(b.BindQueue("/", "q2", "fan", "", nil))

	confirmed := 0
	done := func(err error) {
		if err != nil {
			t.Errorf("done: %v", err)
		}
		confirmed++
	}
	msg := func(x, key string) *message.Message {
		return &message.Message{Exchange: x, RoutingKey: key, Body: []byte("b")}
	}
	if _, err := b.Route("/", msg("", "q1"), done); err != nil { // AMQP, one queue
		t.Fatal(err)
	}
	if _, err := b.Route("/", msg("fan", ""), done); err != nil { // AMQP, two queues
		t.Fatal(err)
	}
	if _, err := b.PublishResult("/", "q2", msg("", "q2"), done); err != nil { // SQS
		t.Fatal(err)
	}
	must(b.Publish("/", "q1", msg("", "q1"), done))             // admin
	if _, err := b.Route("/", msg("", "q1"), nil); err != nil { // no confirm wanted
		t.Fatal(err)
	}
	if st := b.PublishStats().ConfirmLatency; st.Count != 0 {
		t.Fatalf("counted %d before any confirm", st.Count)
	}
	fc.Advance(3 * time.Millisecond)
	if n := hs.release(); n != 5 { // 1 + 2 + 1 + 1 appends with a done
		t.Fatalf("%d appends held, want 5", n)
	}
	if _, err := b.Route("/", msg("", "nowhere"), done); err != nil { // unroutable: confirmed at once, not timed
		t.Fatal(err)
	}
	if confirmed != 5 {
		t.Fatalf("%d publishes confirmed, want 5", confirmed)
	}
	h := b.PublishStats().ConfirmLatency
	if h.Count != 4 || h.Sum != int64(4*3*time.Millisecond) {
		t.Fatalf("count %d sum %v; want 4 and 12ms", h.Count, time.Duration(h.Sum))
	}
	// 3ms is in the bucket ending at 10µs·2^9 = 5.12ms.
	if i := ConfirmLatencyLayout.Index(int64(3 * time.Millisecond)); i != 9 || h.Buckets[9] != 4 {
		t.Errorf("3ms → bucket %d holding %d; want bucket 9 holding 4", i, h.Buckets[9])
	}
}
