package amqp_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// quiet drops logs in tests; set FERRY_TEST_LOG to see them.
var quiet = slog.New(slog.DiscardHandler)

// env is one in-process node: a broker on a disk store (durable queues,
// sync=always) and a memory store (transient queues) in a temp dir, meta
// in the same dir, and an AMQP server on a loopback port. restart keeps
// the dir, so durable queues and their messages come back.
type env struct {
	t     testing.TB
	dir   string
	users *auth.Users
	cfg   amqp.Config // template; Broker and Users are filled in
	clock clock.Clock // the broker's clock; nil: the real one

	disk   *diskstore.Store
	meta   *meta.Store
	broker *broker.Broker
	srv    *amqp.Server
	addr   string
	served chan error // Serve's result
	// beforeClose, if set, runs before each dialled connection is closed
	// at the end of a test: alarm tests clear their alarms there, since a
	// blocked connection does not read its client's connection.close (as
	// in RabbitMQ), and a test that failed with the alarm on would hang.
	beforeClose func()
}

func start(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
	e.up()
	t.Cleanup(e.down)
	return e
}

func (e *env) up() {
	t := e.t
	t.Helper()
	disk, err := diskstore.Open(filepath.Join(e.dir, "queues"), diskstore.Options{Sync: segment.SyncAlways, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m, err := meta.Open(filepath.Join(e.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{Durable: disk, Transient: memstore.New(), Meta: m, Clock: e.clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	cfg.Broker, cfg.Users, cfg.Logger = b, e.users, quiet
	srv := amqp.NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.disk, e.meta, e.broker, e.srv = disk, m, b, srv
	e.addr = ln.Addr().String()
	e.served = make(chan error, 1)
	go func() { e.served <- srv.Serve(ln) }()
}

// down shuts the node: server, broker, meta, store.
func (e *env) down() {
	if e.srv == nil {
		return
	}
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-e.served; !errors.Is(err, amqp.ErrServerClosed) {
		t.Errorf("Serve returned %v, want ErrServerClosed", err)
	}
	if err := e.broker.Close(); err != nil {
		t.Errorf("broker Close: %v", err)
	}
	if err := e.meta.Close(); err != nil {
		t.Errorf("meta Close: %v", err)
	}
	if err := e.disk.Close(); err != nil {
		t.Errorf("store Close: %v", err)
	}
	e.srv = nil
}

func (e *env) restart() {
	e.t.Helper()
	e.down()
	e.up()
}

func (e *env) url(user, pass string) string {
	return "amqp://" + user + ":" + pass + "@" + e.addr + "/"
}

// dial opens a client connection as guest, closed at the end of the test.
func (e *env) dial() *amqp091.Connection {
	e.t.Helper()
	c, err := amqp091.Dial(e.url("guest", "guest"))
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() {
		if e.beforeClose != nil {
			e.beforeClose()
		}
		c.Close()
	})
	return c
}

// channel opens a client channel on a new connection.
func (e *env) channel() (*amqp091.Connection, *amqp091.Channel) {
	e.t.Helper()
	c := e.dial()
	ch, err := c.Channel()
	if err != nil {
		e.t.Fatalf("channel: %v", err)
	}
	return c, ch
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// declare declares a transient, non-exclusive queue.
func declare(t *testing.T, ch *amqp091.Channel, name string) amqp091.Queue {
	t.Helper()
	q, err := ch.QueueDeclare(name, false, false, false, false, nil)
	must(t, err)
	return q
}

func publish(t *testing.T, ch *amqp091.Channel, exchange, key, body string) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, false, false,
		amqp091.Publishing{Body: []byte(body)}))
}

// recv waits for the next delivery; the test's deadline bounds the wait.
func recv(t *testing.T, deliveries <-chan amqp091.Delivery) amqp091.Delivery {
	t.Helper()
	d, ok := <-deliveries
	if !ok {
		t.Fatal("delivery channel closed")
	}
	return d
}

// amqpErr waits for the error a channel or connection was closed with.
func amqpErr(t *testing.T, closed <-chan *amqp091.Error) *amqp091.Error {
	t.Helper()
	e, ok := <-closed
	if !ok || e == nil {
		t.Fatal("closed without an error")
	}
	return e
}

// wantCode checks that err is an AMQP exception with code.
func wantCode(t *testing.T, what string, err error, code int) *amqp091.Error {
	t.Helper()
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("%s: err = %v, want AMQP code %d", what, err, code)
	}
	return ae
}
