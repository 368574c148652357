package broker

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// declareX declares an exchange or fails the test.
func (e *env) declareX(vhost, name string, o ExchangeOptions) {
	e.t.Helper()
	if err := e.b.DeclareExchange(vhost, name, o); err != nil {
		e.t.Fatalf("DeclareExchange(%q, %q, %+v): %v", vhost, name, o, err)
	}
}

// bindQ binds a queue or fails the test.
func (e *env) bindQ(vhost, queue, exchange, key string, args message.Table) {
	e.t.Helper()
	if err := e.b.BindQueue(vhost, queue, exchange, key, args); err != nil {
		e.t.Fatalf("BindQueue(%q, %q, %q, %q): %v", vhost, queue, exchange, key, err)
	}
}

// bindX binds exchange dest to source or fails the test.
func (e *env) bindX(vhost, dest, source, key string, args message.Table) {
	e.t.Helper()
	if err := e.b.BindExchange(vhost, dest, source, key, args); err != nil {
		e.t.Fatalf("BindExchange(%q, %q, %q, %q): %v", vhost, dest, source, key, err)
	}
}

// routeSeq numbers the messages routedTo sends, so each is recognisable.
var routeSeq int

// routedTo routes one message through exchange and returns, sorted, the
// queues of vhost that received it, after checking that Route counted
// them, that each got it once, and that done ran with nil. It drains
// every queue of vhost.
func (e *env) routedTo(vhost, exchange, key string, headers message.Table) []string {
	e.t.Helper()
	routeSeq++
	body := fmt.Sprintf("m%d", routeSeq)
	m := &message.Message{Exchange: exchange, RoutingKey: key, Body: []byte(body)}
	if headers != nil {
		m.Properties.Headers, m.Properties.Flags = headers, message.FlagHeaders
	}
	confirmed := make(chan error, 2)
	n, err := e.b.Route(vhost, m, func(err error) { confirmed <- err })
	if err != nil {
		e.t.Fatalf("Route(%q, %q): %v", exchange, key, err)
	}
	if err := <-confirmed; err != nil {
		e.t.Fatalf("Route(%q, %q): done(%v)", exchange, key, err)
	}
	var got []string
	for _, qi := range e.b.Queues(vhost) {
		bodies := e.drain(vhost, qi.Name)
		switch c := count(bodies, body); {
		case c == 1:
			got = append(got, qi.Name)
		case c > 1:
			e.t.Fatalf("queue %q got the message %d times", qi.Name, c)
		}
	}
	if n != len(got) {
		e.t.Fatalf("Route(%q, %q) = %d queues, but %v got it", exchange, key, n, got)
	}
	return got
}

// drain takes every ready message of a queue, without acks, and returns
// their bodies.
func (e *env) drain(vhost, name string) []string {
	e.t.Helper()
	q, err := e.b.Queue(vhost, name)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for {
		d, ok, err := q.Get(7, true, e.b.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		if !ok {
			return out
		}
		m, err := message.Decode(d.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, string(m.Body))
	}
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// wantQueues fails unless got equals want (both sorted).
func wantQueues(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: routed to %v, want %v", what, got, want)
	}
}

// exchangeNames lists the exchanges of vhost.
func (e *env) exchangeNames(vhost string) []string {
	var out []string
	for _, x := range e.b.Exchanges(vhost) {
		out = append(out, x.Name)
	}
	return out
}

// bindingStrings lists the explicit bindings of vhost as
// "source -> type:destination key".
func (e *env) bindingStrings(vhost string) []string {
	var out []string
	for _, b := range e.b.Bindings(vhost) {
		if b.Source != "" {
			out = append(out, fmt.Sprintf("%s -> %s:%s %s", b.Source, b.DestinationType, b.Destination, b.Key))
		}
	}
	return out
}
