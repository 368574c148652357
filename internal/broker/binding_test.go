package broker

import (
	"slices"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

func TestDirectBindings(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"q1", "q2", "q3"} {
		e.declare("/", q, QueueOptions{})
	}
	e.declareX("/", "x", ExchangeOptions{Kind: "direct"})
	e.bindQ("/", "q1", "x", "red", nil)
	e.bindQ("/", "q2", "x", "red", nil)
	e.bindQ("/", "q2", "x", "blue", nil)
	e.bindQ("/", "q1", "x", "red", nil) // again: nothing changes
	wantQueues(t, "red", e.routedTo("/", "x", "red", nil), "q1", "q2")
	wantQueues(t, "blue", e.routedTo("/", "x", "blue", nil), "q2")
	wantQueues(t, "green", e.routedTo("/", "x", "green", nil))
	if err := e.b.UnbindQueue("/", "q2", "x", "red", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.b.UnbindQueue("/", "q2", "x", "red", nil); err != nil {
		t.Fatalf("unbinding a binding that is gone: %v", err)
	}
	wantQueues(t, "red after unbind", e.routedTo("/", "x", "red", nil), "q1")
	// The default exchange routes by queue name and ignores bindings.
	wantQueues(t, "default exchange", e.routedTo("/", "", "q3", nil), "q3")
	wantQueues(t, "default exchange, no such queue", e.routedTo("/", "", "red", nil))
}

func TestFanoutBindings(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q1", QueueOptions{})
	e.declare("/", "q2", QueueOptions{})
	e.declare("/", "q3", QueueOptions{})
	e.declareX("/", "x", ExchangeOptions{Kind: "fanout"})
	e.bindQ("/", "q1", "x", "", nil)
	e.bindQ("/", "q2", "x", "ignored", nil)
	e.bindQ("/", "q2", "x", "", nil) // a second binding, still one copy
	wantQueues(t, "fanout", e.routedTo("/", "x", "any.key", nil), "q1", "q2")
}

func TestTopicBindings(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"all", "eu", "created", "exact"} {
		e.declare("/", q, QueueOptions{})
	}
	e.declareX("/", "t", ExchangeOptions{Kind: "topic"})
	e.bindQ("/", "all", "t", "#", nil)
	e.bindQ("/", "eu", "t", "orders.eu.*", nil)
	e.bindQ("/", "created", "t", "*.*.created", nil)
	e.bindQ("/", "created", "t", "orders.#.created", nil)
	e.bindQ("/", "exact", "t", "orders.us.paid", nil)
	wantQueues(t, "orders.eu.created", e.routedTo("/", "t", "orders.eu.created", nil), "all", "created", "eu")
	wantQueues(t, "orders.us.paid", e.routedTo("/", "t", "orders.us.paid", nil), "all", "exact")
	wantQueues(t, "orders.created", e.routedTo("/", "t", "orders.created", nil), "all", "created")
	wantQueues(t, "empty key", e.routedTo("/", "t", "", nil), "all")
	if err := e.b.UnbindQueue("/", "all", "t", "#", nil); err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "after unbinding #", e.routedTo("/", "t", "other", nil))
}

func TestHeadersBindings(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"pdf", "report-or-zip", "everything"} {
		e.declare("/", q, QueueOptions{})
	}
	allPDF := message.Table{{Key: "format", Value: "pdf"}, {Key: "size", Value: int32(3)}}
	anyOf := message.Table{{Key: "x-match", Value: "any"}, {Key: "type", Value: "report"}, {Key: "format", Value: "zip"}}
	e.bindQ("/", "pdf", "amq.headers", "", allPDF)
	e.bindQ("/", "report-or-zip", "amq.match", "", anyOf)
	e.bindQ("/", "everything", "amq.headers", "", nil)
	hdrs := message.Table{{Key: "format", Value: "pdf"}, {Key: "size", Value: int64(3)}, {Key: "type", Value: "report"}}
	wantQueues(t, "pdf report", e.routedTo("/", "amq.headers", "", hdrs), "everything", "pdf")
	wantQueues(t, "amq.match", e.routedTo("/", "amq.match", "", hdrs), "report-or-zip")
	wantQueues(t, "no headers", e.routedTo("/", "amq.headers", "", nil), "everything")
	// Unbinding needs the same arguments: other arguments are another binding.
	if err := e.b.UnbindQueue("/", "pdf", "amq.headers", "", message.Table{{Key: "format", Value: "pdf"}}); err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "after unbind with other args", e.routedTo("/", "amq.headers", "", hdrs), "everything", "pdf")
	if err := e.b.UnbindQueue("/", "pdf", "amq.headers", "", allPDF); err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "after unbind", e.routedTo("/", "amq.headers", "", hdrs), "everything")

	err := e.b.BindQueue("/", "pdf", "amq.headers", "", message.Table{{Key: "x-match", Value: "most"}})
	wantCode(t, "bad x-match", err, PreconditionFailed)
	// A direct exchange does not look at x-match.
	if err := e.b.BindQueue("/", "pdf", "amq.direct", "", message.Table{{Key: "x-match", Value: "most"}}); err != nil {
		t.Fatalf("x-match on a direct binding: %v", err)
	}
}

func TestExchangeToExchange(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"audit", "eu", "both"} {
		e.declare("/", q, QueueOptions{})
	}
	// orders (topic) → regional (direct, internal) → eu;  orders → tap (fanout) → audit.
	// "both" is reached along two paths and must get one copy.
	e.declareX("/", "orders", ExchangeOptions{Kind: "topic"})
	e.declareX("/", "regional", ExchangeOptions{Kind: "direct", Internal: true})
	e.declareX("/", "tap", ExchangeOptions{Kind: "fanout", Internal: true})
	e.bindX("/", "regional", "orders", "orders.*", nil)
	e.bindX("/", "tap", "orders", "#", nil)
	e.bindQ("/", "eu", "regional", "orders.eu", nil)
	e.bindQ("/", "both", "regional", "orders.eu", nil)
	e.bindQ("/", "audit", "tap", "", nil)
	e.bindQ("/", "both", "tap", "", nil)
	wantQueues(t, "orders.eu", e.routedTo("/", "orders", "orders.eu", nil), "audit", "both", "eu")
	wantQueues(t, "orders.us", e.routedTo("/", "orders", "orders.us", nil), "audit", "both")
	wantCode(t, "publish to internal", routeErr(e, "regional"), AccessRefused)
	if err := e.b.UnbindExchange("/", "tap", "orders", "#", nil); err != nil {
		t.Fatal(err)
	}
	wantQueues(t, "after unbinding tap", e.routedTo("/", "orders", "orders.eu", nil), "both", "eu")
	wantCode(t, "bind missing destination", e.b.BindExchange("/", "nope", "orders", "", nil), NotFound)
	wantCode(t, "bind missing source", e.b.BindExchange("/", "tap", "nope", "", nil), NotFound)
	wantCode(t, "bind missing queue", e.b.BindQueue("/", "nope", "orders", "", nil), NotFound)
	wantCode(t, "bind to missing exchange", e.b.BindQueue("/", "eu", "nope", "", nil), NotFound)
	wantCode(t, "unbind missing queue", e.b.UnbindQueue("/", "nope", "orders", "", nil), NotFound)
	wantCode(t, "bind in missing vhost", e.b.BindQueue("nowhere", "eu", "orders", "", nil), NotFound)
}

func TestExchangeCycle(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "qa", QueueOptions{})
	e.declare("/", "qb", QueueOptions{})
	e.declareX("/", "a", ExchangeOptions{Kind: "fanout"})
	e.declareX("/", "b", ExchangeOptions{Kind: "fanout"})
	e.bindX("/", "b", "a", "", nil)
	e.bindX("/", "a", "b", "", nil)
	e.bindX("/", "a", "a", "", nil) // a self-loop too
	e.bindQ("/", "qa", "a", "", nil)
	e.bindQ("/", "qb", "b", "", nil)
	wantQueues(t, "from a", e.routedTo("/", "a", "k", nil), "qa", "qb")
	wantQueues(t, "from b", e.routedTo("/", "b", "k", nil), "qa", "qb")
}

func TestBindingsListing(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{})
	e.declareX("/", "x", ExchangeOptions{Kind: "headers"})
	args := message.Table{{Key: "k", Value: "v"}}
	e.bindQ("/", "q", "x", "key", args)
	e.bindX("/", "amq.fanout", "x", "", nil)
	got := e.b.Bindings("/")
	want := []BindingInfo{
		{VHost: "/", Source: "", Destination: "q", DestinationType: DestinationQueue, Key: "q"},
		{VHost: "/", Source: "x", Destination: "q", DestinationType: DestinationQueue, Key: "key", Args: args},
		{VHost: "/", Source: "x", Destination: "amq.fanout", DestinationType: DestinationExchange},
	}
	if !slices.EqualFunc(got, want, func(a, b BindingInfo) bool {
		return a.VHost == b.VHost && a.Source == b.Source && a.Destination == b.Destination &&
			a.DestinationType == b.DestinationType && a.Key == b.Key && len(a.Args) == len(b.Args)
	}) {
		t.Fatalf("Bindings = %+v\nwant %+v", got, want)
	}
	if e.b.Bindings("nowhere") != nil {
		t.Fatal("Bindings of a missing vhost is not empty")
	}
}

func TestDeleteQueueRemovesItsBindings(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{})
	e.declare("/", "other", QueueOptions{})
	e.declareX("/", "t", ExchangeOptions{Kind: "topic"})
	e.bindQ("/", "q", "t", "a.#", nil)
	e.bindQ("/", "q", "amq.fanout", "", nil)
	e.bindQ("/", "other", "t", "a.#", nil)
	if _, err := e.b.DeleteQueue("/", "q", false, false); err != nil {
		t.Fatal(err)
	}
	want := []string{"t -> queue:other a.#"}
	if got := e.bindingStrings("/"); !slices.Equal(got, want) {
		t.Fatalf("bindings = %v, want %v", got, want)
	}
	// A new queue of the same name starts unbound.
	e.declare("/", "q", QueueOptions{})
	wantQueues(t, "after redeclare", e.routedTo("/", "t", "a.b", nil), "other")
	wantQueues(t, "fanout after redeclare", e.routedTo("/", "amq.fanout", "", nil))

	// An exclusive queue's bindings go when its connection does.
	e.declare("/", "mine", QueueOptions{Exclusive: true, Owner: "conn-1"})
	e.bindQ("/", "mine", "amq.fanout", "", nil)
	if n := e.b.CloseOwner("conn-1"); n != 1 {
		t.Fatalf("CloseOwner = %d", n)
	}
	if got := e.bindingStrings("/"); !slices.Equal(got, want) {
		t.Fatalf("after CloseOwner bindings = %v, want %v", got, want)
	}
}

func TestAutoDeleteExchange(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q1", QueueOptions{})
	e.declare("/", "q2", QueueOptions{})
	e.declareX("/", "ad", ExchangeOptions{Kind: "fanout", AutoDelete: true})
	// Never bound: it stays.
	if err := e.b.ExchangeExists("/", "ad"); err != nil {
		t.Fatal(err)
	}
	e.bindQ("/", "q1", "ad", "", nil)
	e.bindQ("/", "q2", "ad", "", nil)
	if err := e.b.UnbindQueue("/", "q1", "ad", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.b.ExchangeExists("/", "ad"); err != nil {
		t.Fatalf("auto-delete exchange went with a binding still left: %v", err)
	}
	if err := e.b.UnbindQueue("/", "q2", "ad", "", nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "after last unbind", e.b.ExchangeExists("/", "ad"), NotFound)

	// Deleting the last bound queue deletes it too, and the loss cascades
	// to an auto-delete exchange whose only binding was to the deleted one.
	e.declareX("/", "ad", ExchangeOptions{Kind: "fanout", AutoDelete: true})
	e.declareX("/", "up", ExchangeOptions{Kind: "fanout", AutoDelete: true})
	e.bindQ("/", "q1", "ad", "", nil)
	e.bindX("/", "ad", "up", "", nil)
	if _, err := e.b.DeleteQueue("/", "q1", false, false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "ad after its queue went", e.b.ExchangeExists("/", "ad"), NotFound)
	wantCode(t, "up after ad went", e.b.ExchangeExists("/", "up"), NotFound)
	// Being a destination does not keep an auto-delete exchange's source
	// alive, nor does losing a binding as destination delete it.
	e.declareX("/", "dst", ExchangeOptions{Kind: "fanout", AutoDelete: true})
	e.bindX("/", "dst", "amq.fanout", "", nil)
	if err := e.b.UnbindExchange("/", "dst", "amq.fanout", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.b.ExchangeExists("/", "dst"); err != nil {
		t.Fatalf("an auto-delete exchange went when it lost a binding as destination: %v", err)
	}
}
