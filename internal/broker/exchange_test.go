package broker

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

func TestBuiltinExchanges(t *testing.T) {
	e := newEnv(t)
	if err := e.b.AddVHost("v"); err != nil {
		t.Fatal(err)
	}
	want := []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.topic"}
	for _, vh := range []string{"/", "v"} {
		if got := e.exchangeNames(vh); !slices.Equal(got, want) {
			t.Fatalf("vhost %q exchanges = %q, want %q", vh, got, want)
		}
	}
	kinds := map[string]string{}
	for _, x := range e.b.Exchanges("/") {
		if !x.Durable || x.AutoDelete || x.Internal || x.VHost != "/" {
			t.Fatalf("built-in %+v is not a plain durable exchange", x)
		}
		kinds[x.Name] = x.Kind
	}
	if kinds[""] != "direct" || kinds["amq.match"] != "headers" || kinds["amq.topic"] != "topic" {
		t.Fatalf("kinds = %v", kinds)
	}
	if err := e.b.ExchangeExists("/", ""); err != nil {
		t.Fatalf("passive declare of the default exchange: %v", err)
	}
	// Redeclaring a built-in alike is fine; otherwise not.
	if err := e.b.DeclareExchange("/", "amq.direct", ExchangeOptions{Kind: "direct", Durable: true}); err != nil {
		t.Fatalf("redeclare amq.direct alike: %v", err)
	}
	err := e.b.DeclareExchange("/", "amq.direct", ExchangeOptions{Kind: "direct"})
	wantCode(t, "redeclare amq.direct transient", err, PreconditionFailed)
	e.restart()
	if got := e.exchangeNames("v"); !slices.Equal(got, want) {
		t.Fatalf("after restart vhost v exchanges = %q", got)
	}
	if e.b.Exchanges("nowhere") != nil {
		t.Fatal("Exchanges of a missing vhost is not empty")
	}
}

func TestDeclareExchangeAndRedeclare(t *testing.T) {
	e := newEnv(t)
	o := ExchangeOptions{Kind: "direct", Durable: true, Args: message.Table{{Key: "alternate-exchange", Value: "ae"}, {Key: "n", Value: int32(5)}}}
	e.declareX("/", "x", o)
	// Alike: same properties, arguments in another order and width.
	same := ExchangeOptions{Kind: "direct", Durable: true, Args: message.Table{{Key: "n", Value: int64(5)}, {Key: "alternate-exchange", Value: []byte("ae")}}}
	if err := e.b.DeclareExchange("/", "x", same); err != nil {
		t.Fatalf("redeclare alike: %v", err)
	}
	cases := []struct {
		o    ExchangeOptions
		want string
	}{
		{ExchangeOptions{Kind: "topic", Durable: true, Args: o.Args},
			"inequivalent arg 'type' for exchange 'x' in vhost '/': received 'topic' but current is 'direct'"},
		{ExchangeOptions{Kind: "direct", Args: o.Args},
			"inequivalent arg 'durable' for exchange 'x' in vhost '/': received 'false' but current is 'true'"},
		{ExchangeOptions{Kind: "direct", Durable: true, AutoDelete: true, Args: o.Args},
			"inequivalent arg 'auto_delete' for exchange 'x' in vhost '/': received 'true' but current is 'false'"},
		{ExchangeOptions{Kind: "direct", Durable: true, Internal: true, Args: o.Args},
			"inequivalent arg 'internal' for exchange 'x' in vhost '/': received 'true' but current is 'false'"},
		{ExchangeOptions{Kind: "direct", Durable: true, Args: message.Table{{Key: "alternate-exchange", Value: "other"}, {Key: "n", Value: int32(5)}}},
			"inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received 'other' but current is 'ae'"},
		{ExchangeOptions{Kind: "direct", Durable: true, Args: message.Table{{Key: "n", Value: int32(5)}}},
			"inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received 'none' but current is 'ae'"},
	}
	for _, c := range cases {
		err := e.b.DeclareExchange("/", "x", c.o)
		wantCode(t, c.want, err, PreconditionFailed)
		if err.Error() != c.want {
			t.Fatalf("error = %q\nwant    %q", err, c.want)
		}
	}
	// The kind is checked first, even for an existing exchange.
	err := e.b.DeclareExchange("/", "x", ExchangeOptions{Kind: "x-consistent-hash"})
	wantCode(t, "unknown kind", err, CommandInvalid)
	if !errors.Is(err, ErrCommandInvalid) || err.Error() != "unknown exchange type 'x-consistent-hash'" {
		t.Fatalf("unknown kind: %v", err)
	}
	wantCode(t, "empty kind", e.b.DeclareExchange("/", "y", ExchangeOptions{}), CommandInvalid)
	wantCode(t, "long name", e.b.DeclareExchange("/", strings.Repeat("x", 256), ExchangeOptions{Kind: "fanout"}), InvalidArgument)
	wantCode(t, "unknown vhost", e.b.DeclareExchange("nowhere", "x", ExchangeOptions{Kind: "fanout"}), NotFound)
	bad := ExchangeOptions{Kind: "fanout", Args: message.Table{{Key: "f", Value: 3}}} // int has no field type
	wantCode(t, "args no table can hold", e.b.DeclareExchange("/", "z", bad), InvalidArgument)
	if err := e.b.ExchangeExists("/", "z"); CodeOf(err) != NotFound {
		t.Fatalf("failed declare created the exchange: %v", err)
	}
}

func TestExchangeExists(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "x", ExchangeOptions{Kind: "fanout"})
	if err := e.b.ExchangeExists("/", "x"); err != nil {
		t.Fatal(err)
	}
	err := e.b.ExchangeExists("/", "nope")
	wantCode(t, "missing exchange", err, NotFound)
	if err.Error() != "no exchange 'nope' in vhost '/'" {
		t.Fatalf("error = %q", err)
	}
	wantCode(t, "missing vhost", e.b.ExchangeExists("nowhere", "x"), NotFound)
}

func TestReservedAndDefaultExchanges(t *testing.T) {
	e := newEnv(t)
	err := e.b.DeclareExchange("/", "amq.mine", ExchangeOptions{Kind: "direct"})
	wantCode(t, "declare amq.mine", err, AccessRefused)
	if err.Error() != "exchange name 'amq.mine' contains reserved prefix 'amq.*'" {
		t.Fatalf("error = %q", err)
	}
	wantCode(t, "declare default", e.b.DeclareExchange("/", "", ExchangeOptions{Kind: "direct", Durable: true}), AccessRefused)
	wantCode(t, "delete default", e.b.DeleteExchange("/", "", false), AccessRefused)
	err = e.b.DeleteExchange("/", "amq.topic", false)
	wantCode(t, "delete amq.topic", err, AccessRefused)
	if err.Error() != "deletion of system exchange 'amq.topic' in vhost '/' not allowed" {
		t.Fatalf("error = %q", err)
	}
	e.declare("/", "q", QueueOptions{})
	wantCode(t, "bind to default", e.b.BindQueue("/", "q", "", "q", nil), AccessRefused)
	wantCode(t, "unbind from default", e.b.UnbindQueue("/", "q", "", "q", nil), AccessRefused)
	wantCode(t, "bind default as destination", e.b.BindExchange("/", "", "amq.fanout", "", nil), AccessRefused)
	wantCode(t, "bind default as source", e.b.BindExchange("/", "amq.fanout", "", "", nil), AccessRefused)
	// amq.* exchanges take bindings like any other.
	e.bindQ("/", "q", "amq.direct", "k", nil)
	wantQueues(t, "amq.direct", e.routedTo("/", "amq.direct", "k", nil), "q")
}

func TestDeleteExchange(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{})
	e.declareX("/", "x", ExchangeOptions{Kind: "fanout"})
	e.declareX("/", "sink", ExchangeOptions{Kind: "fanout"})
	e.declareX("/", "feeder", ExchangeOptions{Kind: "fanout"})
	e.bindQ("/", "q", "x", "", nil)
	e.bindX("/", "sink", "x", "", nil)
	e.bindX("/", "x", "feeder", "", nil)
	err := e.b.DeleteExchange("/", "x", true)
	wantCode(t, "delete if-unused with bindings", err, PreconditionFailed)
	if err.Error() != "exchange 'x' in vhost '/' in use" {
		t.Fatalf("error = %q", err)
	}
	if err := e.b.DeleteExchange("/", "x", false); err != nil {
		t.Fatal(err)
	}
	if got := e.bindingStrings("/"); len(got) != 0 {
		t.Fatalf("bindings from and to a deleted exchange remain: %v", got)
	}
	wantCode(t, "delete again", e.b.DeleteExchange("/", "x", false), NotFound)
	wantCode(t, "publish to deleted", routeErr(e, "x"), NotFound)
	// Being only a destination does not make an exchange used.
	e.bindX("/", "sink", "feeder", "", nil)
	if err := e.b.DeleteExchange("/", "sink", true); err != nil {
		t.Fatalf("delete if-unused of a destination-only exchange: %v", err)
	}
}

// routeErr routes an empty message through exchange in "/" and returns
// the error; done must not run when Route fails.
func routeErr(e *env, exchange string) error {
	e.t.Helper()
	_, err := e.b.Route("/", &message.Message{Exchange: exchange}, func(error) {
		e.t.Errorf("done ran for a Route to %q that failed", exchange)
	})
	return err
}
