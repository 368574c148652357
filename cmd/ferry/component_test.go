package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// events records the order of start and stop steps across fakes.
type events struct {
	mu  sync.Mutex
	log []string // guarded by mu
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, s)
}

func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.log, " ")
}

type fakeComponent struct {
	name     string
	ev       *events
	startErr error
	stopErr  error
	block    chan struct{} // if not nil, Shutdown waits for it to close, ignoring ctx
}

func (f *fakeComponent) Name() string { return f.name }

func (f *fakeComponent) Start(context.Context) error {
	f.ev.add("start:" + f.name)
	return f.startErr
}

func (f *fakeComponent) Shutdown(context.Context) error {
	if f.block != nil {
		<-f.block
	}
	f.ev.add("stop:" + f.name)
	return f.stopErr
}

func step(ev *events, name string, err error) func() error {
	return func() error { ev.add(name); return err }
}

func TestShutdownOrder(t *testing.T) {
	ev := &events{}
	comps := []component{&fakeComponent{name: "amqp", ev: ev}, &fakeComponent{name: "sqs", ev: ev}}
	if err := startAll(context.Background(), comps, noTimeout, discard); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(comps, step(ev, "engine", nil), step(ev, "lock", nil), time.Hour, discard); err != nil {
		t.Fatal(err)
	}
	if got, want := ev.String(), "start:amqp start:sqs stop:sqs stop:amqp engine lock"; got != want {
		t.Errorf("sequence %q, want %q", got, want)
	}
}

func TestShutdownGoesOnPastFailures(t *testing.T) {
	ev := &events{}
	boom, flush := errors.New("boom"), errors.New("flush failed")
	comps := []component{&fakeComponent{name: "amqp", ev: ev}, &fakeComponent{name: "sqs", ev: ev, stopErr: boom}}
	err := shutdown(comps, step(ev, "engine", flush), step(ev, "lock", nil), time.Hour, discard)
	if !errors.Is(err, boom) || !errors.Is(err, flush) || !strings.Contains(err.Error(), "shut down sqs") {
		t.Errorf("shutdown error %v, want both failures, naming sqs", err)
	}
	if got, want := ev.String(), "stop:sqs stop:amqp engine lock"; got != want {
		t.Errorf("sequence %q, want %q: every step must run", got, want)
	}
}

func TestShutdownTimeout(t *testing.T) {
	ev := &events{}
	hung := &fakeComponent{name: "amqp", ev: ev, block: make(chan struct{})}
	err := shutdown([]component{hung}, step(ev, "engine", nil), step(ev, "lock", nil), time.Millisecond, discard)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 1ms") {
		t.Fatalf("shutdown with a hung component = %v, want a timeout error", err)
	}
	if got := ev.String(); got != "" {
		t.Errorf("steps after the hung one ran before it returned: %q", got)
	}
	close(hung.block) // let the abandoned goroutine finish
}

func TestStartFailureStopsStartedComponents(t *testing.T) {
	ev := &events{}
	refused := errors.New("address in use")
	comps := []component{
		&fakeComponent{name: "amqp", ev: ev},
		&fakeComponent{name: "sqs", ev: ev},
		&fakeComponent{name: "admin", ev: ev, startErr: refused},
		&fakeComponent{name: "never", ev: ev},
	}
	err := startAll(context.Background(), comps, noTimeout, discard)
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "start admin") {
		t.Fatalf("startAll = %v, want the admin failure", err)
	}
	if got, want := ev.String(), "start:amqp start:sqs start:admin stop:sqs stop:amqp"; got != want {
		t.Errorf("sequence %q, want %q", got, want)
	}
}

func noTimeout() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
