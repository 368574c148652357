package broker

import (
	"log/slog"
	"testing"
)

func TestQueueArgumentKinds(t *testing.T) {
	e := newEnv(t)
	h := &recordingHandler{}
	e.b.logger = slog.New(h)
	refused := []struct {
		args map[string]any
		o    QueueOptions
		want string
	}{
		{map[string]any{"x-max-priority": 10}, QueueOptions{}, "invalid arg 'x-max-priority' for queue 'q' in vhost '/': priority queues are not supported"},
		{map[string]any{"x-single-active-consumer": true}, QueueOptions{}, "invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': single active consumer is not supported"},
		{map[string]any{"x-stream-filter-size-bytes": 16}, QueueOptions{}, "invalid arg 'x-stream-filter-size-bytes' for queue 'q' in vhost '/': stream queues are not supported"},
		{map[string]any{"x-queue-type": "stream"}, QueueOptions{}, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': stream queues are not supported"},
		{map[string]any{"x-queue-type": "weird"}, QueueOptions{}, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': unknown queue type 'weird' (classic or quorum)"},
		{map[string]any{"x-queue-type": 1}, QueueOptions{}, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': {unacceptable_type,long}"},
		{map[string]any{"x-queue-type": "quorum"}, QueueOptions{}, "invalid property 'non-durable' for queue 'q' in vhost '/'"},
		{map[string]any{"x-queue-type": "quorum"}, QueueOptions{Durable: true, Exclusive: true}, "invalid property 'exclusive-owner' for queue 'q' in vhost '/'"},
		{map[string]any{"x-queue-type": "quorum"}, QueueOptions{Durable: true, AutoDelete: true}, "invalid property 'auto-delete' for queue 'q' in vhost '/'"},
		{map[string]any{"x-dead-letter-strategy": "sometimes"}, QueueOptions{}, `invalid arg 'x-dead-letter-strategy' for queue 'q' in vhost '/': want at-most-once or at-least-once, got "sometimes"`},
	}
	for _, tt := range refused {
		o := tt.o
		o.Args = tt.args
		_, _, err := e.b.DeclareQueue("/", "q", o)
		wantCode(t, tt.want, err, PreconditionFailed)
		if err.Error() != tt.want {
			t.Errorf("error = %q, want %q", err, tt.want)
		}
	}
	if _, err := e.b.QueueInfo("/", "q"); err == nil {
		t.Fatal("a refused declare made the queue")
	}
	if len(h.msgs) != 0 {
		t.Fatalf("refused declares logged %q", h.msgs)
	}

	// Hints, front-end state and unknown keys are kept; only the unknown
	// ones are logged, once, when the queue is made.
	args := map[string]any{"x-queue-mode": "lazy", "x-quorum-initial-group-size": 3, "x-sqs-tags": "t",
		"x-app": "mine", "x-max-lenght": 10, "x-queue-type": "quorum", "x-dead-letter-strategy": "at-least-once"}
	e.declare("/", "q", QueueOptions{Durable: true, Args: args})
	e.declare("/", "q", QueueOptions{Durable: true, Args: args})
	want := "WARN queue arguments unknown to Ferry are kept but have no effect vhost=/ queue=q arguments=[x-app x-max-lenght]"
	h.wantWarnedOnce(t, want)
	info, err := e.b.QueueInfo("/", "q")
	if err != nil || info.Args["x-app"] != "mine" || info.Args["x-queue-mode"] != "lazy" {
		t.Fatalf("stored args %v, %v", info.Args, err)
	}
}

func TestQueueRedeclareComparesMeaningfulArguments(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{Durable: true, Args: map[string]any{"x-max-length": int32(10), "x-app": "a", "x-queue-mode": "lazy"}})
	alike := []map[string]any{
		// Unknown keys and hints are not compared; x-queue-type classic is
		// what a declare without one means.
		{"x-max-length": int64(10)},
		{"x-max-length": 10, "x-app": "b", "x-queue-type": "classic"},
		{"x-max-length": 10, "x-queue-mode": "default", "x-dead-letter-strategy": "at-most-once"},
	}
	for _, args := range alike {
		if _, _, err := e.b.DeclareQueue("/", "q", QueueOptions{Durable: true, Args: args}); err != nil {
			t.Errorf("redeclare with %v: %v", args, err)
		}
	}
	differ := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{}, "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received 'none' but current is '10'"},
		{map[string]any{"x-max-length": 11}, "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received '11' but current is '10'"},
		{map[string]any{"x-max-length": 10, "x-message-ttl": 5}, "inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received '5' but current is 'none'"},
		{map[string]any{"x-max-length": 10, "x-queue-type": "quorum"}, "inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received 'quorum' but current is 'classic'"},
		{map[string]any{"x-max-length": 10, "x-dead-letter-strategy": "at-least-once"}, "inequivalent arg 'x-dead-letter-strategy' for queue 'q' in vhost '/': received 'at-least-once' but current is 'at-most-once'"},
	}
	for _, tt := range differ {
		_, _, err := e.b.DeclareQueue("/", "q", QueueOptions{Durable: true, Args: tt.args})
		wantCode(t, tt.want, err, PreconditionFailed)
		if err.Error() != tt.want {
			t.Errorf("error = %q, want %q", err, tt.want)
		}
	}
	// The same holds after a restart, where the arguments come from meta.
	e.restart()
	if _, _, err := e.b.DeclareQueue("/", "q", QueueOptions{Durable: true, Args: alike[1]}); err != nil {
		t.Errorf("redeclare after restart: %v", err)
	}
}

func TestExclusiveQueueRedeclare(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "x", QueueOptions{Exclusive: true, Owner: "conn-1"})
	if _, _, err := e.b.DeclareQueue("/", "x", QueueOptions{Exclusive: true, Owner: "conn-1"}); err != nil {
		t.Fatalf("owner redeclares alike: %v", err)
	}
	locked := "cannot obtain exclusive access to locked queue 'x' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration."
	for what, o := range map[string]QueueOptions{
		"owner, not exclusive":  {Owner: "conn-1"},
		"other, exclusive":      {Exclusive: true, Owner: "conn-2"},
		"other, not exclusive ": {Owner: "conn-2"},
	} {
		_, _, err := e.b.DeclareQueue("/", "x", o)
		wantCode(t, what, err, ResourceLocked)
		if err.Error() != locked {
			t.Errorf("%s: %q", what, err)
		}
	}
	e.declare("/", "shared", QueueOptions{Owner: "conn-1"})
	_, _, err := e.b.DeclareQueue("/", "shared", QueueOptions{Exclusive: true, Owner: "conn-1"})
	wantCode(t, "making a shared queue exclusive", err, ResourceLocked)
}
