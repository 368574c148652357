package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

var quiet = slog.New(slog.DiscardHandler)

// env is one in-process node: a broker on memory stores, an AMQP server
// and the admin server, both on loopback ports.
type env struct {
	t        *testing.T
	broker   *broker.Broker
	amqp     *amqp.Server
	admin    *Server
	amqpAddr string
	base     string // http://127.0.0.1:port
	users    *auth.Users
}

func start(t *testing.T, cfg Config) *env {
	t.Helper()
	return startWith(t, broker.Config{Durable: memstore.New(), Transient: memstore.New()}, cfg)
}

// startWith is start on a broker made from bcfg (its stores, clock,
// meta), which the test may have opened itself.
func startWith(t *testing.T, bcfg broker.Config, cfg Config) *env {
	t.Helper()
	bcfg.Logger = quiet
	b, err := broker.New(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	users := auth.Default()
	if err := users.Add("ops", "secret", auth.UserOptions{VHosts: []string{"/"}, Tags: []string{"monitoring"}}); err != nil {
		t.Fatal(err)
	}
	as := amqp.NewServer(amqp.Config{Broker: b, Users: users, Logger: quiet})
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	aServed := make(chan error, 1)
	go func() { aServed <- as.Serve(aln) }()
	cfg.Broker, cfg.Users, cfg.AMQP, cfg.Logger, cfg.Version = b, users, as, quiet, "test"
	s := New(cfg)
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hServed := make(chan error, 1)
	go func() { hServed <- s.Serve(hln) }()
	e := &env{t: t, broker: b, amqp: as, admin: s, amqpAddr: aln.Addr().String(), base: "http://" + hln.Addr().String(), users: users}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("admin Shutdown: %v", err)
		}
		if err := <-hServed; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("admin Serve: %v", err)
		}
		if err := as.Shutdown(ctx); err != nil {
			t.Errorf("amqp Shutdown: %v", err)
		}
		<-aServed
		if err := b.Close(); err != nil {
			t.Errorf("broker Close: %v", err)
		}
	})
	return e
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path (raw: %2F stays) with body as guest.
func (e *env) do(method, path string, body any) response {
	e.t.Helper()
	return e.doAs("guest", "guest", method, path, body)
}

func (e *env) doAs(user, pass, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			j, err := json.Marshal(body)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// want checks the status and decodes the body into v (if not nil).
func (r response) want(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// wantError checks an error answer: status and RabbitMQ's shape, with
// a reason that contains reason.
func (r response) wantError(t *testing.T, status int, name, reason string) {
	t.Helper()
	var e map[string]string
	r.want(t, status, &e)
	if len(e) != 2 || e["error"] != name || !strings.Contains(e["reason"], reason) {
		t.Errorf("error body = %v, want error %q and a reason containing %q", e, name, reason)
	}
}

// obj decodes a JSON object answer.
func (r response) obj(t *testing.T, status int) map[string]any {
	t.Helper()
	var m map[string]any
	r.want(t, status, &m)
	return m
}

func (r response) list(t *testing.T, status int) []map[string]any {
	t.Helper()
	var m []map[string]any
	r.want(t, status, &m)
	return m
}

// dial opens an AMQP connection as guest and a channel on it.
func (e *env) dial() (*amqp091.Connection, *amqp091.Channel) {
	e.t.Helper()
	c, err := amqp091.Dial("amqp://guest:guest@" + e.amqpAddr + "/")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		e.t.Fatal(err)
	}
	return c, ch
}

// publish sends bodies to queue q through the default exchange, with
// confirms, and waits for them.
func publish(t *testing.T, ch *amqp091.Channel, q string, headers amqp091.Table, bodies ...string) {
	t.Helper()
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		dc, err := ch.PublishWithDeferredConfirm("", q, false, false, amqp091.Publishing{Body: []byte(b), Headers: headers, ContentType: "text/plain", MessageId: "m-" + b})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := dc.WaitContext(context.Background()); err != nil || !ok {
			t.Fatalf("publish %q: confirmed %v, %v", b, ok, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// num reads a JSON number field.
func num(t *testing.T, m map[string]any, path ...string) float64 {
	t.Helper()
	var v any = m
	for _, k := range path {
		o, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object at %q in %v", path, k, m)
		}
		if v, ok = o[k]; !ok {
			t.Fatalf("%v: no field %q in %v", path, k, o)
		}
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v = %#v, not a number", path, v)
	}
	return f
}
