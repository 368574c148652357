package amqp_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// drain gets every ready message of q (auto-ack) and returns their
// bodies, sorted.
func drain(t *testing.T, ch *amqp091.Channel, q string) string {
	t.Helper()
	var out []string
	for {
		d, ok, err := ch.Get(q, true)
		must(t, err)
		if !ok {
			break
		}
		out = append(out, string(d.Body))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestExchangeKinds(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	pubH := func(ex, key, body string, h amqp091.Table) {
		must(t, ch.PublishWithContext(context.Background(), ex, key, false, false, amqp091.Publishing{Headers: h, Body: []byte(body)}))
	}
	cases := []struct {
		kind     string
		bindings map[string][2]any // queue → {key, args}
		publish  func(ex string)
		want     map[string]string // queue → bodies
	}{
		{
			kind:     "direct",
			bindings: map[string][2]any{"d1": {"red", nil}, "d2": {"blue", nil}},
			publish:  func(ex string) { pubH(ex, "red", "r", nil); pubH(ex, "blue", "b", nil); pubH(ex, "green", "g", nil) },
			want:     map[string]string{"d1": "r", "d2": "b"},
		},
		{
			kind:     "fanout",
			bindings: map[string][2]any{"f1": {"", nil}, "f2": {"ignored", nil}},
			publish:  func(ex string) { pubH(ex, "any", "x", nil) },
			want:     map[string]string{"f1": "x", "f2": "x"},
		},
		{
			kind:     "topic",
			bindings: map[string][2]any{"t1": {"stock.*.nyse", nil}, "t2": {"stock.#", nil}, "t3": {"#.eur", nil}},
			publish: func(ex string) {
				pubH(ex, "stock.ibm.nyse", "a", nil)
				pubH(ex, "stock.sap.xetra.eur", "b", nil)
				pubH(ex, "fx.eur", "c", nil)
			},
			want: map[string]string{"t1": "a", "t2": "a,b", "t3": "b,c"},
		},
		{
			kind: "headers",
			bindings: map[string][2]any{
				"h1": {"", amqp091.Table{"x-match": "all", "format": "pdf", "type": "report"}},
				"h2": {"", amqp091.Table{"x-match": "any", "format": "pdf", "type": "log"}},
			},
			publish: func(ex string) {
				pubH(ex, "", "both", amqp091.Table{"format": "pdf", "type": "report"})
				pubH(ex, "", "log", amqp091.Table{"format": "zip", "type": "log"})
				pubH(ex, "", "none", amqp091.Table{"format": "zip"})
			},
			want: map[string]string{"h1": "both", "h2": "both,log"},
		},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			ex := "ex." + c.kind
			must(t, ch.ExchangeDeclare(ex, c.kind, false, false, false, false, nil))
			for q, b := range c.bindings {
				declare(t, ch, q)
				args, _ := b[1].(amqp091.Table)
				must(t, ch.QueueBind(q, b[0].(string), ex, false, args))
			}
			c.publish(ex)
			for q, want := range c.want {
				if got := drain(t, ch, q); got != want {
					t.Errorf("queue %s got %q, want %q", q, got, want)
				}
			}
		})
	}
}

func TestExchangeDeclareErrorsAndDelete(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	must(t, ch.ExchangeDeclare("logs", "fanout", true, false, false, false, nil))
	must(t, ch.ExchangeDeclarePassive("logs", "fanout", true, false, false, false, nil))
	err := ch.ExchangeDeclare("logs", "direct", true, false, false, false, nil)
	wantCode(t, "redeclare with another kind", err, 406)

	ch, err = c.Channel()
	must(t, err)
	err = ch.ExchangeDeclarePassive("nope", "direct", false, false, false, false, nil)
	wantCode(t, "passive declare of a missing exchange", err, 404)

	ch, err = c.Channel()
	must(t, err)
	closed := c.NotifyClose(make(chan *amqp091.Error, 1))
	err = ch.ExchangeDeclare("odd", "x-unknown", false, false, false, false, nil)
	wantCode(t, "unknown exchange type", err, 503)
	amqpErr(t, closed) // a connection error

	_, ch = e.channel()
	must(t, ch.ExchangeDelete("logs", false, false))
	// Deleting it again, or one that never was, is fine (RabbitMQ 3.2+),
	// with if-unused too; the channel stays open.
	must(t, ch.ExchangeDelete("logs", false, false))
	must(t, ch.ExchangeDelete("never-was", true, false))
	err = ch.PublishWithContext(context.Background(), "logs", "", false, false, amqp091.Publishing{})
	must(t, err)
	closedCh := ch.NotifyClose(make(chan *amqp091.Error, 1))
	if err := amqpErr(t, closedCh); err.Code != 404 {
		t.Fatalf("publish to a deleted exchange: %v", err)
	}
}

func TestExchangeToExchangeAndUnbind(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	must(t, ch.ExchangeDeclare("src", "topic", false, false, false, false, nil))
	must(t, ch.ExchangeDeclare("dst", "fanout", false, false, false, false, nil))
	must(t, ch.ExchangeBind("dst", "a.*", "src", false, nil))
	declare(t, ch, "e2e")
	must(t, ch.QueueBind("e2e", "", "dst", false, nil))
	publish(t, ch, "src", "a.b", "1")
	publish(t, ch, "src", "x.y", "2")
	if got := drain(t, ch, "e2e"); got != "1" {
		t.Fatalf("through exchange binding: %q", got)
	}
	must(t, ch.ExchangeUnbind("dst", "a.*", "src", false, nil))
	publish(t, ch, "src", "a.b", "3")
	must(t, ch.QueueUnbind("e2e", "", "dst", nil))
	publish(t, ch, "dst", "", "4")
	if got := drain(t, ch, "e2e"); got != "" {
		t.Fatalf("after unbinding: %q", got)
	}
}

func TestInternalExchangeRefusesPublish(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	must(t, ch.ExchangeDeclare("inner", "fanout", false, false, true, false, nil))
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	publish(t, ch, "inner", "", "x")
	if err := amqpErr(t, closed); err.Code != 403 {
		t.Fatalf("publish to an internal exchange: %v", err)
	}
}

// TestAlternateExchange: a message its exchange routes nowhere goes to
// the exchange's alternate-exchange unchanged, and counts as routed (a
// mandatory publish is not returned).
func TestAlternateExchange(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	must(t, ch.ExchangeDeclare("ae", "fanout", true, false, false, false, nil))
	must(t, ch.ExchangeDeclare("orders", "direct", true, false, false, false, amqp091.Table{"alternate-exchange": "ae"}))
	declare(t, ch, "lost")
	declare(t, ch, "eu")
	must(t, ch.QueueBind("lost", "", "ae", false, nil))
	must(t, ch.QueueBind("eu", "eu", "orders", false, nil))
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 3))
	returns := ch.NotifyReturn(make(chan amqp091.Return, 2))
	for _, key := range []string{"eu", "us"} {
		must(t, ch.PublishWithContext(context.Background(), "orders", key, true, false,
			amqp091.Publishing{MessageId: key, Body: []byte("to " + key)}))
	}
	// A return for a message with no alternate comes after the returns
	// of the messages before it, if there were any.
	must(t, ch.PublishWithContext(context.Background(), "", "nowhere", true, false, amqp091.Publishing{Body: []byte("x")}))
	if r := <-returns; r.RoutingKey != "nowhere" {
		t.Fatalf("returned %q (%s), want only the message to nowhere", r.RoutingKey, r.Body)
	}
	for i := 1; i <= 3; i++ {
		if c := <-confirms; !c.Ack || c.DeliveryTag != uint64(i) {
			t.Fatalf("confirm %d: %+v", i, c)
		}
	}
	d, ok, err := ch.Get("lost", true)
	must(t, err)
	if !ok || d.Exchange != "orders" || d.RoutingKey != "us" || d.MessageId != "us" || string(d.Body) != "to us" {
		t.Fatalf("from the alternate's queue: ok=%v %q %q %q %q", ok, d.Exchange, d.RoutingKey, d.MessageId, d.Body)
	}
	if got := drain(t, ch, "eu"); got != "to eu" {
		t.Fatalf("eu = %q", got)
	}
	if got := drain(t, ch, "lost"); got != "" {
		t.Fatalf("lost holds more: %q", got)
	}

	// Redeclaring with another alternate is inequivalent; a name that is
	// not a string is refused.
	err = ch.ExchangeDeclare("orders", "direct", true, false, false, false, amqp091.Table{"alternate-exchange": "other"})
	ae := wantCode(t, "other alternate", err, 406)
	if want := "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'orders' in vhost '/': received 'other' but current is 'ae'"; ae.Reason != want {
		t.Fatalf("reason = %q, want %q", ae.Reason, want)
	}
	_, ch = e.channel()
	err = ch.ExchangeDeclare("bad", "direct", false, false, false, false, amqp091.Table{"alternate-exchange": int32(1)})
	ae = wantCode(t, "numeric alternate", err, 406)
	if want := "PRECONDITION_FAILED - invalid arg 'alternate-exchange' for exchange 'bad' in vhost '/': {unacceptable_type,signedint}"; ae.Reason != want {
		t.Fatalf("reason = %q, want %q", ae.Reason, want)
	}

	// Durable, with its alternate, across a restart.
	e.restart()
	_, ch = e.channel()
	_, err = ch.QueueDeclare("kept", true, false, false, false, nil)
	must(t, err)
	must(t, ch.QueueBind("kept", "", "ae", false, nil))
	publish(t, ch, "orders", "asia", "after restart")
	if got := drain(t, ch, "kept"); got != "after restart" {
		t.Fatalf("after restart: %q", got)
	}
}
