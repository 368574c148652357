package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

func TestSetQueueArgs(t *testing.T) {
	e := newEnv(t)
	e.declare(DefaultVHost, "q", QueueOptions{Durable: true, Args: map[string]any{"x-sqs-tag": "a"}})
	args, err := e.b.QueueArgs(DefaultVHost, "q")
	if err != nil || args["x-sqs-tag"] != "a" {
		t.Fatalf("QueueArgs = %v, %v", args, err)
	}
	args["x-visibility-timeout"] = int64(5000)
	args["x-delivery-limit"] = int64(1)
	if err := e.b.SetQueueArgs(DefaultVHost, "q", args); err != nil {
		t.Fatal(err)
	}
	q, _ := e.b.Queue(DefaultVHost, "q")
	if p := q.Policy(); p.LeaseTimeout != 5*time.Second || p.MaxDeliveries != 2 {
		t.Fatalf("engine policy %+v", p)
	}
	// A bad argument is refused and changes nothing.
	err = e.b.SetQueueArgs(DefaultVHost, "q", map[string]any{"x-max-length": int64(-1)})
	wantCode(t, "bad args", err, PreconditionFailed)
	wantCode(t, "unknown queue", e.b.SetQueueArgs(DefaultVHost, "nope", nil), NotFound)

	// The new arguments survive a restart, and a redeclare must repeat them.
	e.restart()
	info, err := e.b.QueueInfo(DefaultVHost, "q")
	if err != nil {
		t.Fatal(err)
	}
	if info.Args["x-visibility-timeout"] != json.Number("5000") || info.Args["x-sqs-tag"] != "a" {
		t.Fatalf("args after restart %v", info.Args)
	}
	q, _ = e.b.Queue(DefaultVHost, "q")
	if p := q.Policy(); p.LeaseTimeout != 5*time.Second {
		t.Fatalf("engine policy after restart %+v", p)
	}
	_, _, err = e.b.DeclareQueue(DefaultVHost, "q", QueueOptions{Durable: true, Args: map[string]any{"x-sqs-tag": "a"}})
	wantCode(t, "redeclare with the old args", err, PreconditionFailed)
}

func TestPublishResult(t *testing.T) {
	e := newEnv(t)
	e.declare(DefaultVHost, "f", QueueOptions{Durable: true, Args: map[string]any{"x-fifo": true}})
	pub := func(dedup string) (uint64, bool) {
		t.Helper()
		m := &message.Message{RoutingKey: "f", Body: []byte("b")}
		m.Properties.SetHeader("x-deduplication-id", dedup)
		m.Properties.SetHeader("x-group-id", "g")
		done := make(chan error, 1)
		r, err := e.b.PublishResult(DefaultVHost, "f", m, func(err error) { done <- err })
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return r.ID, r.Duplicate
	}
	id1, dup := pub("a")
	if dup {
		t.Fatal("first publish is a duplicate")
	}
	id2, dup := pub("a")
	if !dup || id2 != id1 {
		t.Fatalf("second publish: id %d dup %v, want %d true", id2, dup, id1)
	}
	if id3, dup := pub("b"); dup || id3 <= id1 {
		t.Fatalf("third publish: id %d dup %v", id3, dup)
	}
	if _, err := e.b.PublishResult(DefaultVHost, "nope", &message.Message{}, nil); err == nil {
		t.Fatal("publish to a missing queue succeeded")
	} else {
		wantCode(t, "missing queue", err, NotFound)
	}
}
