package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// slowStore is a memory store whose enqueues are not stored until the
// test says so: it holds the done callback of every Enqueue record and
// runs them on release, so the test plays a disk that has not synced yet.
type slowStore struct {
	*memstore.Store
	total int           // enqueues after which allIn is closed
	allIn chan struct{} // closed once total enqueues were appended

	mu       sync.Mutex
	held     []func() // guarded by mu; dones not yet run
	peak     int      // guarded by mu; most held at once
	appended int      // guarded by mu
	released int      // guarded by mu
}

func newSlowStore(total int) *slowStore {
	return &slowStore{Store: memstore.New(), total: total, allIn: make(chan struct{})}
}

func (s *slowStore) Open(name string) (store.Log, error) {
	l, err := s.Store.Open(name)
	if err != nil {
		return nil, err
	}
	return slowLog{Log: l, s: s}, nil
}

type slowLog struct {
	store.Log
	s *slowStore
}

func (l slowLog) Append(r store.Record, done func(error)) {
	if r.Kind != store.Enqueue || done == nil {
		l.Log.Append(r, done)
		return
	}
	l.Log.Append(r, func(err error) { l.s.hold(func() { done(err) }) })
}

func (s *slowStore) hold(run func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = append(s.held, run)
	s.peak = max(s.peak, len(s.held))
	s.appended++
	if s.appended == s.total {
		close(s.allIn)
	}
}

// releaseAll stores every held message: their dones run, in order.
func (s *slowStore) releaseAll() {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.released += len(held)
	s.mu.Unlock()
	for _, run := range held {
		run()
	}
}

func (s *slowStore) counts() (released, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released, s.peak
}

// startSlow starts a server on a broker whose queues all live in st.
func startSlow(t *testing.T, st store.Store, flow amqp.FlowConfig) *env {
	t.Helper()
	b, err := broker.New(broker.Config{Durable: st, Logger: quiet})
	must(t, err)
	srv := amqp.NewServer(amqp.Config{Broker: b, Logger: quiet, Flow: flow})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	e := &env{t: t, users: auth.Default(), broker: b, srv: srv, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { e.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-e.served; !errors.Is(err, amqp.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		must(t, b.Close())
		must(t, st.Close())
	})
	return e
}

// TestBackpressureBoundsUnstored: a client publishes far more than its
// connection's budget to a store that stores nothing until the test
// releases it. The broker never has more unstored messages than the
// budget (with a byte budget: than the messages it takes to reach it,
// the one that crosses it included): the reader stops reading the socket
// instead. Each time it stops, the test
// releases what the store holds; in the end every message is there, in
// order. Without confirms as with them: the budget is the store's.
func TestBackpressureBoundsUnstored(t *testing.T) {
	const total = 100
	tests := []struct {
		name    string
		flow    amqp.FlowConfig
		body    int
		confirm bool
		peak    int // most messages the store holds at once
	}{
		{"messages", amqp.FlowConfig{MaxUnstoredMessages: 8}, 10, false, 8},
		{"messages-confirmed", amqp.FlowConfig{MaxUnstoredMessages: 8}, 10, true, 8},
		// 10 bodies of 1000 bytes are under 10KiB; the 11th crosses it.
		{"bytes", amqp.FlowConfig{MaxUnstoredBytes: 10 << 10}, 1000, false, 11},
		{"bytes-confirmed", amqp.FlowConfig{MaxUnstoredBytes: 10 << 10}, 1000, true, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slow := newSlowStore(total)
			e := startSlow(t, slow, tt.flow)
			waits := amqp.FlowWaits(e.srv)
			_, ch := e.channel()
			declare(t, ch, "bp")
			var confirms chan amqp091.Confirmation
			if tt.confirm {
				must(t, ch.Confirm(false))
				confirms = ch.NotifyPublish(make(chan amqp091.Confirmation, total))
			}

			// The client's writes block once the socket's buffers are
			// full, so it publishes on its own goroutine.
			published := make(chan error, 1)
			go func() {
				for i := range total {
					body := fmt.Appendf(make([]byte, 0, tt.body), "%0*d", tt.body, i)
					if err := ch.PublishWithContext(context.Background(), "", "bp", false, false,
						amqp091.Publishing{Body: body}); err != nil {
						published <- err
						return
					}
				}
				published <- nil
			}()
			for {
				released, _ := slow.counts()
				if released == total {
					break
				}
				select {
				case <-waits: // the reader stopped: its budget is all in the store
				case <-slow.allIn:
				}
				slow.releaseAll()
			}
			must(t, <-published)

			// Exactly: the first release waits for the reader to stop,
			// so the budget was reached, and never passed.
			if _, peak := slow.counts(); peak != tt.peak {
				t.Errorf("the store held at most %d unstored messages, want %d", peak, tt.peak)
			}
			if st := e.srv.Stats(); st.FlowWaits == 0 || st.UnstoredMessages != 0 || st.UnstoredBytes != 0 {
				t.Errorf("stats after release: FlowWaits %d (want > 0), unstored %d messages, %d bytes (want 0)",
					st.FlowWaits, st.UnstoredMessages, st.UnstoredBytes)
			}
			if tt.confirm {
				for i := range total {
					if c := <-confirms; !c.Ack || c.DeliveryTag != uint64(i+1) {
						t.Fatalf("confirmation %d: %+v", i, c)
					}
				}
			}
			info, err := e.broker.QueueInfo("/", "bp")
			must(t, err)
			if info.Stats.Ready != total {
				t.Fatalf("queue holds %d messages, want %d", info.Stats.Ready, total)
			}
			deliveries, err := ch.Consume("bp", "", true, false, false, false, nil)
			must(t, err)
			for i := range total {
				d := recv(t, deliveries)
				if want := fmt.Sprintf("%0*d", tt.body, i); string(d.Body) != want {
					t.Fatalf("message %d is %.20q..., want %.20q...", i, d.Body, want)
				}
			}
		})
	}
}
