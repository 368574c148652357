package amqp_test

import (
	"context"
	"strings"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/auth"
)

// TestPassiveDeclareMissingClosesOnlyChannel: 404 closes the channel; the
// connection and its other channels work on.
func TestPassiveDeclareMissingClosesOnlyChannel(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	other, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclarePassive("missing", false, false, false, false, nil)
	ae := wantCode(t, "passive declare of a missing queue", err, 404)
	if ae.Reason != "NOT_FOUND - no queue 'missing' in vhost '/'" || ae.Server != true {
		t.Fatalf("reason %q server %v", ae.Reason, ae.Server)
	}
	if c.IsClosed() {
		t.Fatal("connection closed by a channel error")
	}
	declare(t, other, "still-works")
	ch2, err := c.Channel()
	must(t, err)
	declare(t, ch2, "also-works")
}

func TestInequivalentRedeclare(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("eq", true, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclare("eq", false, false, false, false, nil)
	ae := wantCode(t, "redeclare with other durable", err, 406)
	if !strings.Contains(ae.Reason, "inequivalent arg 'durable'") {
		t.Fatalf("reason %q", ae.Reason)
	}
}

func TestExclusiveQueueLockedForOthers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("mine", false, false, true, false, nil)
	must(t, err)
	publish(t, ch, "", "mine", "x")
	for name, op := range map[string]func(*amqp091.Channel) error{
		"declare": func(c *amqp091.Channel) error {
			_, err := c.QueueDeclare("mine", false, false, true, false, nil)
			return err
		},
		"passive": func(c *amqp091.Channel) error {
			_, err := c.QueueDeclarePassive("mine", false, false, true, false, nil)
			return err
		},
		"consume": func(c *amqp091.Channel) error {
			_, err := c.Consume("mine", "", false, false, false, false, nil)
			return err
		},
		"get":    func(c *amqp091.Channel) error { _, _, err := c.Get("mine", false); return err },
		"purge":  func(c *amqp091.Channel) error { _, err := c.QueuePurge("mine", false); return err },
		"delete": func(c *amqp091.Channel) error { _, err := c.QueueDelete("mine", false, false, false); return err },
	} {
		_, other := e.channel()
		wantCode(t, name+" from another connection", op(other), 405)
	}
	// The owner still has it, and it goes with its connection.
	if _, ok, err := ch.Get("mine", true); !ok || err != nil {
		t.Fatalf("owner get: ok=%v err=%v", ok, err)
	}
}

func TestExclusiveQueueGoesWithConnection(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(t, err)
	if !strings.HasPrefix(q.Name, "amq.gen-") {
		t.Fatalf("server-named queue %q", q.Name)
	}
	must(t, c.Close())
	_, other := e.channel()
	_, err = other.QueueDeclarePassive(q.Name, false, false, true, false, nil)
	wantCode(t, "exclusive queue after its connection closed", err, 404)
}

func TestUnsupportedQueueArgumentRefused(t *testing.T) {
	e := start(t)
	for arg, why := range map[string]string{
		"x-max-priority":           "priority queues are not supported",
		"x-single-active-consumer": "single active consumer is not supported",
		"x-max-age":                "stream queues are not supported",
	} {
		_, ch := e.channel()
		_, err := ch.QueueDeclare("args", false, false, false, false, amqp091.Table{arg: int32(1000)})
		ae := wantCode(t, arg, err, 406)
		if want := "PRECONDITION_FAILED - invalid arg '" + arg + "' for queue 'args' in vhost '/': " + why; ae.Reason != want {
			t.Fatalf("%s: reason %q, want %q", arg, ae.Reason, want)
		}
	}
	// Delivery arguments are honoured, and a bad value is refused as
	// RabbitMQ words it.
	for _, c := range []struct {
		arg    string
		v      any
		reason string
	}{
		{"x-message-ttl", int32(-1), "{value_negative,-1}"},
		{"x-max-length", "ten", "{unacceptable_type,longstr}"},
		{"x-expires", int32(0), "{value_zero,0}"},
		{"x-overflow", "drop-tail", "invalid_overflow"},
		{"x-retry-jitter", "some", "invalid_retry_jitter"},
	} {
		_, ch := e.channel()
		_, err := ch.QueueDeclare("args", false, false, false, false, amqp091.Table{c.arg: c.v})
		ae := wantCode(t, c.arg, err, 406)
		if want := "PRECONDITION_FAILED - invalid arg '" + c.arg + "' for queue 'args' in vhost '/': " + c.reason; ae.Reason != want {
			t.Fatalf("%s: reason %q, want %q", c.arg, ae.Reason, want)
		}
	}
	_, ch := e.channel()
	_, err := ch.QueueDeclare("qq", true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
	must(t, err)
	_, err = ch.QueueDeclare("st", true, false, false, false, amqp091.Table{"x-queue-type": "stream"})
	wantCode(t, "stream queue", err, 406)
	// A quorum queue must be durable, not exclusive, not auto-delete.
	for _, c := range []struct {
		durable, exclusive, autoDelete bool
		prop                           string
	}{{false, false, false, "non-durable"}, {true, true, false, "exclusive-owner"}, {true, false, true, "auto-delete"}} {
		_, ch := e.channel()
		_, err := ch.QueueDeclare("qq2", c.durable, c.autoDelete, c.exclusive, false, amqp091.Table{"x-queue-type": "quorum"})
		ae := wantCode(t, c.prop+" quorum queue", err, 406)
		if want := "PRECONDITION_FAILED - invalid property '" + c.prop + "' for queue 'qq2' in vhost '/'"; ae.Reason != want {
			t.Fatalf("reason %q, want %q", ae.Reason, want)
		}
	}
	// Storage and placement hints are accepted; a redeclare compares only
	// the arguments with a meaning, and names the one that differs.
	_, ch = e.channel()
	hints := amqp091.Table{"x-queue-mode": "lazy", "x-queue-version": int32(2), "x-dead-letter-strategy": "at-least-once", "x-app-tag": "mine"}
	_, err = ch.QueueDeclare("hinted", true, false, false, false, hints)
	must(t, err)
	_, err = ch.QueueDeclare("hinted", true, false, false, false, amqp091.Table{"x-queue-type": "classic", "x-dead-letter-strategy": "at-least-once"})
	must(t, err)
	_, err = ch.QueueDeclare("hinted", true, false, false, false, amqp091.Table{"x-max-length": int32(5), "x-dead-letter-strategy": "at-least-once"})
	ae := wantCode(t, "redeclare with another rule", err, 406)
	if want := "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'hinted' in vhost '/': received '5' but current is 'none'"; ae.Reason != want {
		t.Fatalf("reason %q, want %q", ae.Reason, want)
	}
	if _, err := e.broker.QueueInfo("/", "args"); err == nil {
		t.Fatal("refused queue was created")
	}
}

func TestReservedQueueName(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("amq.mine", false, false, false, false, nil)
	wantCode(t, "amq. prefix", err, 403)
}

func TestImmediateIsConnectionError(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	closed := c.NotifyClose(make(chan *amqp091.Error, 1))
	must(t, ch.PublishWithContext(context.Background(), "", "q", false, true, amqp091.Publishing{}))
	if err := amqpErr(t, closed); err.Code != 540 || err.Reason != "NOT_IMPLEMENTED - immediate=true" {
		t.Fatalf("immediate: %v", err)
	}
}

func TestConsumerTagReuseAndCancel(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "ct")
	// amqp091-go makes its own tags; a server-made one is tested raw.
	_, err := ch.Consume("ct", "dup", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Cancel("dup", false))
	_, err = ch.Consume("ct", "dup", false, false, false, false, nil)
	must(t, err) // free again after cancel
}

func TestExclusiveConsumer(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "xc")
	_, err := ch.Consume("xc", "", false, true, false, false, nil)
	must(t, err)
	_, other := e.channel()
	_, err = other.Consume("xc", "", false, false, false, false, nil)
	wantCode(t, "consume beside an exclusive consumer", err, 403)
}

func TestMessageSizeLimit(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
	e.cfg.MaxMessageSize = 1000
	e.up()
	t.Cleanup(e.down)
	c, ch := e.channel()
	declare(t, ch, "small")
	publish(t, ch, "", "small", string(make([]byte, 1000)))
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	publish(t, ch, "", "small", string(make([]byte, 1001)))
	err := amqpErr(t, closed)
	if err.Code != 406 || err.Reason != "PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000" {
		t.Fatalf("oversized message: %v", err)
	}
	ch2, err2 := c.Channel()
	must(t, err2)
	if d, ok, err := ch2.Get("small", true); !ok || err != nil || len(d.Body) != 1000 {
		t.Fatalf("the message at the limit: ok=%v err=%v", ok, err)
	}
}
