package broker

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// quiet drops the broker's logs in tests.
var quiet = slog.New(slog.DiscardHandler)

// env is a broker on memory stores and a meta file, restartable: the
// durable store and the meta file outlive the broker, the transient store
// does not.
type env struct {
	t         *testing.T
	durable   store.Store
	transient store.Store
	metaPath  string
	meta      *meta.Store
	clock     *clock.Fake
	b         *Broker
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, durable: memstore.New(), metaPath: filepath.Join(t.TempDir(), "meta.db"),
		clock: clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	m, err := meta.Open(e.metaPath)
	if err != nil {
		e.t.Fatal(err)
	}
	e.meta, e.transient = m, memstore.New()
	b, err := New(Config{Durable: e.durable, Transient: e.transient, Meta: m, Clock: e.clock, Logger: quiet})
	if err != nil {
		e.t.Fatal(err)
	}
	e.b = b
}

func (e *env) stop() {
	if e.b == nil {
		return
	}
	if err := e.b.Close(); err != nil {
		e.t.Errorf("broker Close: %v", err)
	}
	if err := e.meta.Close(); err != nil {
		e.t.Errorf("meta Close: %v", err)
	}
	e.b = nil
}

func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

func (e *env) declare(vhost, name string, o QueueOptions) {
	e.t.Helper()
	if _, _, err := e.b.DeclareQueue(vhost, name, o); err != nil {
		e.t.Fatalf("DeclareQueue(%q, %q): %v", vhost, name, err)
	}
}

func (e *env) publish(vhost, name, body string) {
	e.t.Helper()
	m := &message.Message{RoutingKey: name, Body: []byte(body)}
	m.Properties.Flags, m.Properties.DeliveryMode = message.FlagDeliveryMode, message.Persistent
	var doneErr = errors.New("done not called")
	if err := e.b.Publish(vhost, name, m, func(err error) { doneErr = err }); err != nil {
		e.t.Fatalf("Publish(%q, %q): %v", vhost, name, err)
	}
	_ = doneErr // memstore confirms at once; disk tests wait themselves
}

// bodies gets every ready message of a queue without ack and decodes it.
func (e *env) bodies(vhost, name string) []string {
	e.t.Helper()
	q, err := e.b.Queue(vhost, name)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for {
		d, ok, err := q.Get(99, false, e.b.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		if !ok {
			break
		}
		m, err := message.Decode(d.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, string(m.Body))
	}
	q.Release(99, e.b.Now())
	return out
}

func wantCode(t *testing.T, what string, err error, c Code) {
	t.Helper()
	var be *Error
	if err == nil || !errors.As(err, &be) || be.Code != c || CodeOf(err) != c {
		t.Fatalf("%s: err = %v, want code %v", what, err, c)
	}
}
