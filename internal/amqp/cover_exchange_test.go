package amqp_test

import (
	"context"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// coverChannels returns a function that opens a new channel on one
// connection: every channel exception closes the channel it happened on.
func coverChannels(t *testing.T, e *env) func() *amqp091.Channel {
	t.Helper()
	c := e.dial()
	return func() *amqp091.Channel {
		t.Helper()
		ch, err := c.Channel()
		if err != nil {
			t.Fatalf("channel: %v", err)
		}
		return ch
	}
}

// coverWantReason checks that err is an AMQP exception with code and
// reason.
func coverWantReason(t *testing.T, what string, err error, code int, reason string) {
	t.Helper()
	if ae := wantCode(t, what, err, code); ae.Reason != reason {
		t.Errorf("%s: reason %q, want %q", what, ae.Reason, reason)
	}
}

// coverExchangeExists says whether a passive declare of name succeeds; any
// other answer than 404 fails the test.
func coverExchangeExists(t *testing.T, open func() *amqp091.Channel, name string) bool {
	t.Helper()
	ch := open()
	err := ch.ExchangeDeclarePassive(name, "direct", false, false, false, false, nil)
	if err == nil {
		ch.Close()
		return true
	}
	coverWantReason(t, "passive declare of "+name, err, 404, "NOT_FOUND - no exchange '"+name+"' in vhost '/'")
	return false
}

func coverPublish(t *testing.T, ch *amqp091.Channel, exchange, key, body string, headers amqp091.Table) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, false, false,
		amqp091.Publishing{Headers: headers, Body: []byte(body)}))
}

// TestCoverExchangeDeleteIfUnused: if-unused refuses to delete an exchange
// that is the source of a binding (406, and it still exists and routes);
// a plain delete removes it and its bindings, and leaves the queue.
func TestCoverExchangeDeleteIfUnused(t *testing.T) {
	e := start(t)
	open := coverChannels(t, e)
	ch := open()
	must(t, ch.ExchangeDeclare("orders", "direct", false, false, false, false, nil))
	declare(t, ch, "orders-q")
	must(t, ch.QueueBind("orders-q", "new", "orders", false, nil))

	err := ch.ExchangeDelete("orders", true, false)
	coverWantReason(t, "delete if-unused of a bound exchange", err, 406, "PRECONDITION_FAILED - exchange 'orders' in vhost '/' in use")
	if !coverExchangeExists(t, open, "orders") {
		t.Fatal("exchange gone after a refused if-unused delete")
	}
	ch = open()
	coverPublish(t, ch, "orders", "new", "kept", nil)
	if got := drain(t, ch, "orders-q"); got != "kept" {
		t.Fatalf("binding after the refused delete: queue got %q, want %q", got, "kept")
	}

	must(t, ch.ExchangeDelete("orders", false, false))
	if coverExchangeExists(t, open, "orders") {
		t.Fatal("exchange still there after delete")
	}
	ch = open()
	if _, err := ch.QueueDeclarePassive("orders-q", false, false, false, false, nil); err != nil {
		t.Fatalf("deleting the exchange took its bound queue: %v", err)
	}
	// Redeclared, it starts without the old binding.
	must(t, ch.ExchangeDeclare("orders", "direct", false, false, false, false, nil))
	coverPublish(t, ch, "orders", "new", "lost", nil)
	if got := drain(t, ch, "orders-q"); got != "" {
		t.Fatalf("old binding survived the delete: queue got %q", got)
	}
	// An exchange without bindings goes with if-unused too.
	must(t, ch.ExchangeDelete("orders", true, false))
	if coverExchangeExists(t, open, "orders") {
		t.Fatal("unused exchange still there after delete if-unused")
	}
}

// TestCoverBuiltinExchanges: every amq.* exchange exists without being
// declared and routes as its type; redeclaring one alike is fine, with
// another type or durability 406; deleting one, with or without
// if-unused, 403 ACCESS_REFUSED, after which it still routes. Texts are
// RabbitMQ's.
func TestCoverBuiltinExchanges(t *testing.T) {
	e := start(t)
	open := coverChannels(t, e)
	ch := open()
	for _, q := range []string{"a", "b"} {
		declare(t, ch, q)
	}
	type pub struct {
		key, body string
		headers   amqp091.Table
	}
	cases := []struct {
		name, kind string
		bind       map[string]amqp091.Table // queue → binding args, key in "key"
		pubs       []pub
		want       map[string]string // queue → bodies, sorted
	}{
		{
			// Routes on the exact key only: not fanout, not topic.
			name: "amq.direct", kind: "direct",
			bind: map[string]amqp091.Table{"a": {"key": "red"}, "b": {"key": "red.*"}},
			pubs: []pub{{"red", "r", nil}, {"red.x", "rx", nil}, {"blue", "bl", nil}},
			want: map[string]string{"a": "r", "b": ""},
		},
		{
			// Ignores the keys on both sides.
			name: "amq.fanout", kind: "fanout",
			bind: map[string]amqp091.Table{"a": {"key": "one"}, "b": {"key": "two"}},
			pubs: []pub{{"three", "f", nil}},
			want: map[string]string{"a": "f", "b": "f"},
		},
		{
			name: "amq.topic", kind: "topic",
			bind: map[string]amqp091.Table{"a": {"key": "log.*"}, "b": {"key": "log.#"}},
			pubs: []pub{{"log.info", "1", nil}, {"log.info.disk", "2", nil}, {"log", "3", nil}, {"other", "4", nil}},
			want: map[string]string{"a": "1", "b": "1,2,3"},
		},
		{
			// Matches on headers, whatever the routing key.
			name: "amq.headers", kind: "headers",
			bind: map[string]amqp091.Table{
				"a": {"key": "k", "args": amqp091.Table{"x-match": "all", "fmt": "pdf", "lang": "en"}},
				"b": {"key": "k", "args": amqp091.Table{"x-match": "any", "fmt": "pdf", "lang": "en"}},
			},
			pubs: []pub{
				{"zz", "both", amqp091.Table{"fmt": "pdf", "lang": "en"}},
				{"k", "one", amqp091.Table{"fmt": "txt", "lang": "en"}},
				{"k", "none", nil},
			},
			want: map[string]string{"a": "both", "b": "both,one"},
		},
		{
			name: "amq.match", kind: "headers",
			bind: map[string]amqp091.Table{
				"a": {"key": "", "args": amqp091.Table{"x-match": "all", "n": int32(1)}},
				"b": {"key": "", "args": amqp091.Table{"n": int32(2)}}, // x-match defaults to all
			},
			pubs: []pub{{"", "n1", amqp091.Table{"n": int32(1)}}, {"", "n2", amqp091.Table{"n": int32(2), "m": "x"}}, {"", "n3", amqp091.Table{"n": int32(3)}}},
			want: map[string]string{"a": "n1", "b": "n2"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := open()
			must(t, ch.ExchangeDeclarePassive(c.name, c.kind, true, false, false, false, nil))
			must(t, ch.ExchangeDeclare(c.name, c.kind, true, false, false, false, nil))
			for q, b := range c.bind {
				args, _ := b["args"].(amqp091.Table)
				must(t, ch.QueueBind(q, b["key"].(string), c.name, false, args))
			}
			routeAll := func() {
				t.Helper()
				for _, p := range c.pubs {
					coverPublish(t, ch, c.name, p.key, p.body, p.headers)
				}
				for q, want := range c.want {
					if got := drain(t, ch, q); got != want {
						t.Errorf("%s: queue %s got %q, want %q", c.name, q, got, want)
					}
				}
			}
			routeAll()

			other := "fanout"
			if c.kind == "fanout" {
				other = "direct"
			}
			err := open().ExchangeDeclare(c.name, other, true, false, false, false, nil)
			coverWantReason(t, "redeclare as "+other, err, 406, "PRECONDITION_FAILED - inequivalent arg 'type' for exchange '"+
				c.name+"' in vhost '/': received '"+other+"' but current is '"+c.kind+"'")
			err = open().ExchangeDeclare(c.name, c.kind, false, false, false, false, nil)
			coverWantReason(t, "redeclare not durable", err, 406, "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '"+
				c.name+"' in vhost '/': received 'false' but current is 'true'")
			for _, ifUnused := range []bool{false, true} {
				err = open().ExchangeDelete(c.name, ifUnused, false)
				coverWantReason(t, "delete", err, 403, "ACCESS_REFUSED - deletion of system exchange '"+c.name+"' in vhost '/' not allowed")
			}
			// Still there, with its bindings.
			ch = open()
			must(t, ch.ExchangeDeclarePassive(c.name, c.kind, true, false, false, false, nil))
			routeAll()
			for q, b := range c.bind {
				args, _ := b["args"].(amqp091.Table)
				must(t, ch.QueueUnbind(q, b["key"].(string), c.name, args))
			}
		})
	}

	// A new name under amq. is refused, as in RabbitMQ.
	err := open().ExchangeDeclare("amq.mine", "direct", false, false, false, false, nil)
	coverWantReason(t, "declare amq.mine", err, 403, "ACCESS_REFUSED - exchange name 'amq.mine' contains reserved prefix 'amq.*'")
}

// TestCoverAutoDeleteExchange: an auto-delete exchange stays while it has
// never had a binding, and while one of its bindings is left; it goes when
// its last binding goes, by unbind or with the bound queue.
func TestCoverAutoDeleteExchange(t *testing.T) {
	e := start(t)
	open := coverChannels(t, e)
	ch := open()
	must(t, ch.ExchangeDeclare("ad", "direct", false, true, false, false, nil))
	declare(t, ch, "ad-1")
	declare(t, ch, "ad-2")
	// Publishing to it and declaring another exchange do not delete it.
	coverPublish(t, ch, "ad", "k", "unrouted", nil)
	must(t, ch.ExchangeDeclare("other", "fanout", false, false, false, false, nil))
	if !coverExchangeExists(t, open, "ad") {
		t.Fatal("auto-delete exchange gone before it ever had a binding")
	}

	must(t, ch.QueueBind("ad-1", "k", "ad", false, nil))
	must(t, ch.QueueBind("ad-2", "k", "ad", false, nil))
	must(t, ch.QueueUnbind("ad-1", "k", "ad", nil))
	if !coverExchangeExists(t, open, "ad") {
		t.Fatal("auto-delete exchange gone with one binding left")
	}
	coverPublish(t, ch, "ad", "k", "routed", nil)
	if got := drain(t, ch, "ad-2"); got != "routed" {
		t.Fatalf("remaining binding: ad-2 got %q", got)
	}
	must(t, ch.QueueUnbind("ad-2", "k", "ad", nil))
	if coverExchangeExists(t, open, "ad") {
		t.Fatal("auto-delete exchange still there after its last binding went")
	}

	// The last binding also goes with its queue.
	ch = open()
	must(t, ch.ExchangeDeclare("ad-q", "fanout", false, true, false, false, nil))
	declare(t, ch, "ad-gone")
	must(t, ch.QueueBind("ad-gone", "", "ad-q", false, nil))
	if !coverExchangeExists(t, open, "ad-q") {
		t.Fatal("auto-delete exchange gone while bound")
	}
	if _, err := ch.QueueDelete("ad-gone", false, false, false); err != nil {
		t.Fatal(err)
	}
	if coverExchangeExists(t, open, "ad-q") {
		t.Fatal("auto-delete exchange still there after its only bound queue was deleted")
	}
	// A non-auto-delete exchange stays without bindings.
	if !coverExchangeExists(t, open, "other") {
		t.Fatal("plain exchange gone")
	}
}

// TestCoverExchangePassiveMissing: a passive declare of an exchange that
// does not exist closes the channel with 404 and creates nothing; the
// connection and its other channels go on.
func TestCoverExchangePassiveMissing(t *testing.T) {
	e := start(t)
	open := coverChannels(t, e)
	keep := open()
	ch := open()
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	err := ch.ExchangeDeclarePassive("nope", "topic", true, false, false, false, nil)
	coverWantReason(t, "passive declare of a missing exchange", err, 404, "NOT_FOUND - no exchange 'nope' in vhost '/'")
	if ae := amqpErr(t, closed); ae.Code != 404 {
		t.Fatalf("channel closed with %v, want 404", ae)
	}
	if coverExchangeExists(t, open, "nope") {
		t.Fatal("passive declare created the exchange")
	}
	must(t, keep.ExchangeDeclare("nope", "topic", false, false, false, false, nil))
	must(t, open().ExchangeDeclarePassive("nope", "topic", false, false, false, false, nil))
}
