package broker

import (
	"slices"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// TestDurableExchangesAndBindingsSurviveRestart: after Close and New on
// the same meta and stores, durable exchanges and the bindings between
// durable ends are back and route as before; transient exchanges, and
// bindings with a transient end, are gone.
func TestDurableExchangesAndBindingsSurviveRestart(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "dq", QueueOptions{Durable: true})
	e.declare("/", "tq", QueueOptions{})
	args := message.Table{{Key: "x-match", Value: "any"}, {Key: "n", Value: int32(7)}, {Key: "b", Value: []byte("raw")}}
	xargs := message.Table{{Key: "alternate-exchange", Value: "ae"}}
	e.declareX("/", "dx", ExchangeOptions{Kind: "topic", Durable: true, Args: xargs})
	e.declareX("/", "dh", ExchangeOptions{Kind: "headers", Durable: true, AutoDelete: true, Internal: true})
	e.declareX("/", "tx", ExchangeOptions{Kind: "fanout"})
	e.bindQ("/", "dq", "dx", "a.#", nil)        // durable ends: kept
	e.bindQ("/", "tq", "dx", "a.#", nil)        // transient queue: not kept
	e.bindX("/", "dh", "dx", "h.*", nil)        // durable ends: kept
	e.bindQ("/", "dq", "dh", "", args)          // durable ends, typed args: kept
	e.bindQ("/", "dq", "tx", "", nil)           // transient exchange: not kept
	e.bindX("/", "tx", "amq.fanout", "", nil)   // transient destination: not kept
	e.bindQ("/", "dq", "amq.direct", "dq", nil) // built-in source: kept
	before := e.bindingStrings("/")

	e.restart()
	want := []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.topic", "dh", "dx"}
	if got := e.exchangeNames("/"); !slices.Equal(got, want) {
		t.Fatalf("exchanges after restart = %q, want %q", got, want)
	}
	// Redeclaring alike works: the stored definition kept every property.
	if err := e.b.DeclareExchange("/", "dx", ExchangeOptions{Kind: "topic", Durable: true, Args: xargs}); err != nil {
		t.Fatalf("redeclare dx after restart: %v", err)
	}
	if err := e.b.DeclareExchange("/", "dh", ExchangeOptions{Kind: "headers", Durable: true, AutoDelete: true, Internal: true}); err != nil {
		t.Fatalf("redeclare dh after restart: %v", err)
	}
	var kept []string
	for _, s := range before {
		if !slices.Contains([]string{"dx -> queue:tq a.#", "tx -> queue:dq ", "amq.fanout -> exchange:tx "}, s) {
			kept = append(kept, s)
		}
	}
	// Order within a source may differ: meta lists bindings by key.
	got := e.bindingStrings("/")
	slices.Sort(got)
	slices.Sort(kept)
	if !slices.Equal(got, kept) {
		t.Fatalf("bindings after restart = %q\nwant %q", got, kept)
	}
	wantQueues(t, "topic after restart", e.routedTo("/", "dx", "a.b", nil), "dq")
	// The headers binding's typed arguments came back as they were.
	hdrs := message.Table{{Key: "n", Value: int32(7)}}
	wantQueues(t, "e2e headers after restart", e.routedTo("/", "dx", "h.x", hdrs), "dq")
	if err := e.b.UnbindQueue("/", "dq", "dh", "", args); err != nil {
		t.Fatal(err)
	}
	// dh was auto-delete and that was its last binding.
	wantCode(t, "dh after its last unbind", e.b.ExchangeExists("/", "dh"), NotFound)
	wantQueues(t, "direct after restart", e.routedTo("/", "amq.direct", "dq", nil), "dq")

	// Deletions are kept too.
	if _, err := e.b.DeleteQueue("/", "dq", false, false); err != nil {
		t.Fatal(err)
	}
	e.declareX("/", "gone", ExchangeOptions{Kind: "direct", Durable: true})
	if err := e.b.DeleteExchange("/", "gone", false); err != nil {
		t.Fatal(err)
	}
	e.restart()
	if got := e.bindingStrings("/"); len(got) != 0 {
		t.Fatalf("bindings after deleting their queue and restarting: %q", got)
	}
	want = []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.topic", "dx"}
	if got := e.exchangeNames("/"); !slices.Equal(got, want) {
		t.Fatalf("exchanges after deletions and restart = %q, want %q", got, want)
	}
}

func TestExchangesOfDeletedVHostStayDeleted(t *testing.T) {
	e := newEnv(t)
	if err := e.b.AddVHost("v"); err != nil {
		t.Fatal(err)
	}
	e.declare("v", "q", QueueOptions{Durable: true})
	e.declareX("v", "x", ExchangeOptions{Kind: "fanout", Durable: true})
	e.bindQ("v", "q", "x", "", nil)
	if err := e.b.DeleteVHost("v"); err != nil {
		t.Fatal(err)
	}
	if err := e.b.AddVHost("v"); err != nil {
		t.Fatal(err)
	}
	e.restart()
	want := []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.topic"}
	if got := e.exchangeNames("v"); !slices.Equal(got, want) {
		t.Fatalf("recreated vhost has exchanges %q", got)
	}
	if got := e.bindingStrings("v"); len(got) != 0 {
		t.Fatalf("recreated vhost has bindings %q", got)
	}
}
