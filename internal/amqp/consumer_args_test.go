package amqp_test

import (
	"fmt"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// x-priority: with prefetch 1 each, the higher consumer gets the first
// message whatever the order of registration, the lower one gets
// messages only while the higher one is full, and the higher one gets
// the next once it has room.
func TestConsumerPriority(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "prio")
	must(t, ch.Qos(1, 0, false))
	lo, err := ch.Consume("prio", "lo", false, false, false, false, amqp091.Table{"x-priority": int32(1)})
	must(t, err)
	hi, err := ch.Consume("prio", "hi", false, false, false, false, amqp091.Table{"x-priority": int64(10)})
	must(t, err)
	none3, err := ch.Consume("prio", "none", false, false, false, false, amqp091.Table{"x-priority": int8(-5)})
	must(t, err)
	_, pub := e.channel()
	next := 0
	send := func() string {
		t.Helper()
		publish(t, pub, "", "prio", fmt.Sprint(next))
		next++
		return fmt.Sprint(next - 1)
	}
	// want waits for the next delivery and checks it went to the
	// consumer named, with body.
	want := func(name, body string) amqp091.Delivery {
		t.Helper()
		var d amqp091.Delivery
		select {
		case d = <-hi:
		case d = <-lo:
		case d = <-none3:
		case <-time.After(hangGuard):
			t.Fatalf("no delivery; want %q to %s", body, name)
		}
		if d.ConsumerTag != name || string(d.Body) != body {
			t.Fatalf("delivery %q to %s, want %q to %s", d.Body, d.ConsumerTag, body, name)
		}
		return d
	}
	h := want("hi", send())
	l := want("lo", send())
	n := want("none", send())
	must(t, h.Ack(false))
	want("hi", send())
	must(t, l.Ack(false))
	must(t, n.Ack(false))
	want("lo", send())
	syncChannel(t, ch, "prio")
	wantQueue(t, e, "prio", 0, 2)
}

func TestConsumerArgs(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "args")
	for _, tt := range []struct {
		args amqp091.Table
		text string // "": accepted
	}{
		{amqp091.Table{"x-priority": int8(-3)}, ""},
		{amqp091.Table{"x-priority": byte(200)}, ""},
		{amqp091.Table{"x-priority": int16(300)}, ""},
		{amqp091.Table{"x-priority": int64(-1 << 40)}, ""},
		{amqp091.Table{"x-cancel-on-ha-failover": true}, ""},
		{amqp091.Table{"x-my-framework-key": "kept as RabbitMQ does"}, ""},
		{amqp091.Table{"x-priority": "high"},
			"PRECONDITION_FAILED - invalid arg 'x-priority' for queue 'args' in vhost '/': {unacceptable_type,longstr}"},
		{amqp091.Table{"x-priority": 1.5},
			"PRECONDITION_FAILED - invalid arg 'x-priority' for queue 'args' in vhost '/': {unacceptable_type,double}"},
		{amqp091.Table{"x-priority": nil},
			"PRECONDITION_FAILED - invalid arg 'x-priority' for queue 'args' in vhost '/': {unacceptable_type,void}"},
		{amqp091.Table{"x-stream-offset": "first"},
			"PRECONDITION_FAILED - invalid arg 'x-stream-offset' for queue 'args' in vhost '/': stream offsets are not supported by Ferry"},
		{amqp091.Table{"x-stream-filter": "eu"},
			"PRECONDITION_FAILED - invalid arg 'x-stream-filter' for queue 'args' in vhost '/': stream filtering is not supported by Ferry"},
	} {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			c, ch := e.channel()
			_, err := ch.Consume("args", "", false, false, false, false, tt.args)
			if tt.text == "" {
				must(t, err)
				return
			}
			if ae := wantCode(t, "consume", err, 406); ae.Reason != tt.text {
				t.Fatalf("reason %q, want %q", ae.Reason, tt.text)
			}
			// Only the channel closed, and no consumer was left behind.
			ch2, err := c.Channel()
			must(t, err)
			syncChannel(t, ch2, "args")
		})
	}
	info, err := e.broker.QueueInfo("/", "args")
	must(t, err)
	if info.Stats.Consumers != 6 {
		t.Fatalf("%d consumers, want the 6 accepted", info.Stats.Consumers)
	}
}
