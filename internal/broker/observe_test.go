package broker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// keeper is an Observer of history queues that holds each publisher's
// confirm until release is called, as a history with a slow disk would.
type keeper struct {
	mu     sync.Mutex
	events []string
	held   []func(error)
	auto   bool // confirm at once, as a history without a disk does
}

func (k *keeper) Watch(vhost, name string, history bool) bool { return history }

func (k *keeper) Observe(ev *MessageEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := fmt.Sprintf("%s %s %d", ev.Queue, ev.Event, ev.ID)
	for _, f := range []struct{ k, v string }{{"by", ev.Connection}, {"c", ev.Consumer}, {"mid", ev.MessageID},
		{"why", ev.Reason}, {"detail", ev.Detail}, {"tp", ev.TraceParent}} {
		if f.v != "" {
			s += " " + f.k + "=" + f.v
		}
	}
	k.events = append(k.events, s)
	if h := ev.Hold(); h != nil {
		if k.auto {
			h(nil)
		} else {
			k.held = append(k.held, h)
		}
	}
}

func (k *keeper) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.events
	k.events = nil
	return e
}

func (k *keeper) release() {
	k.mu.Lock()
	h := k.held
	k.held = nil
	k.mu.Unlock()
	for _, f := range h {
		f(nil)
	}
}

func newObserved(t *testing.T, obs ...Observer) *Broker {
	t.Helper()
	b, err := New(Config{Durable: memstore.New(), Logger: quiet, Observers: obs,
		Clock: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func msg(id string, headers message.Table) *message.Message {
	m := &message.Message{Body: []byte(id)}
	m.Properties.Flags = message.FlagMessageID
	m.Properties.MessageID = id
	if headers != nil {
		m.Properties.Flags |= message.FlagHeaders
		m.Properties.Headers = headers
	}
	return m
}

func TestConfirmWaitsForTheObserverThatKeepsThePublish(t *testing.T) {
	k := &keeper{}
	b := newObserved(t, k)
	if _, _, err := b.DeclareQueue("/", "kept", QueueOptions{Args: map[string]any{"x-history": true}}); err != nil {
		t.Fatal(err)
	}
	confirmed := make(chan error, 2)
	m := msg("m-1", message.Table{{Key: "traceparent", Value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	m.RoutingKey = "kept"
	if _, err := b.RouteWith("/", m, RouteOptions{Publisher: "conn-a"}, func(err error) { confirmed <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-confirmed:
		t.Fatalf("confirmed (%v) before the observer had its record", err)
	default:
	}
	k.release()
	if err := <-confirmed; err != nil {
		t.Fatal(err)
	}
	wantEvents(t, k.take(), "kept published 1 by=conn-a mid=m-1 tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

	// A duplicate publishes nothing: its confirm does not wait.
	if err := b.SetQueueArgs("/", "kept", map[string]any{"x-history": true, "x-deduplication-message-id": true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.Publish("/", "kept", msg("dup", nil), func(err error) { confirmed <- err }); err != nil {
			t.Fatal(err)
		}
	}
	k.release() // the first
	for range 2 {
		if err := <-confirmed; err != nil {
			t.Fatal(err)
		}
	}
	wantEvents(t, k.take(), "kept published 3 mid=dup") // id 2 is the dedup record
}

func TestWatchFollowsTheRules(t *testing.T) {
	k := &keeper{}
	b := newObserved(t, k)
	if _, _, err := b.DeclareQueue("/", "audit", QueueOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("/", "audit", msg("before", nil), nil); err != nil {
		t.Fatal(err)
	}
	if on, _ := b.HistoryOn("/", "audit"); on {
		t.Fatal("history on without x-history or a policy")
	}
	if err := b.SetPolicies([]Policy{{Name: "p", VHost: "/", Pattern: "^audit$", Definition: map[string]any{"history": true}}}); err != nil {
		t.Fatal(err)
	}
	if on, _ := b.HistoryOn("/", "audit"); !on {
		t.Fatal("policy history: true did not turn history on")
	}
	if err := b.Publish("/", "audit", msg("during", nil), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPolicies(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("/", "audit", msg("after", nil), nil); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, k.take(), "audit published 2 mid=during")
	if _, err := b.HistoryOn("/", "nope"); CodeOf(err) != NotFound {
		t.Errorf("HistoryOn of an unknown queue: %v", err)
	}
}

func TestDeadLetterAndRedriveEvents(t *testing.T) {
	k := &keeper{auto: true}
	b := newObserved(t, k)
	for name, args := range map[string]map[string]any{
		"work.dlq": {"x-history": true},
		"work":     {"x-history": true, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "work.dlq"},
		"drop":     {"x-history": true},
	} {
		if _, _, err := b.DeclareQueue("/", name, QueueOptions{Args: args}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"work", "drop"} {
		if err := b.Publish("/", q, msg("m-"+q, nil), nil); err != nil {
			t.Fatal(err)
		}
		qq, _ := b.Queue("/", q)
		d, ok, err := qq.GetAs(1, "conn-b", false, b.Now())
		if err != nil || !ok {
			t.Fatalf("get: %v %v", ok, err)
		}
		if err := qq.Nack(1, d.ID, false, b.Now()); err != nil {
			t.Fatal(err)
		}
		if err := b.Flush("/", q); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.Redrive(context.Background(), "/", "work.dlq", RedriveOptions{}); err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v", n, err)
	}
	wantEvents(t, k.take(),
		"work published 1 mid=m-work",
		"work delivered 1 by=conn-b",
		"work nacked 1 by=conn-b why=rejected",
		"work dead_lettered 1 mid=m-work why=rejected detail=to queue 'work.dlq'",
		"work.dlq published 1 mid=m-work detail=dead-lettered from queue 'work' (rejected)",
		"drop published 1 mid=m-drop",
		"drop delivered 1 by=conn-b",
		"drop nacked 1 by=conn-b why=rejected",
		"drop dead_lettered 1 mid=m-drop why=rejected detail=dropped: the queue has no dead-letter target",
		// the redrive's own get and ack are not told: one redriven event is
		"work published 2 mid=m-work detail=redriven from queue 'work.dlq'",
		"work.dlq redriven 1 mid=m-work detail=to queue 'work'",
	)
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n got  %q\n want %q", got, want)
	}
}
