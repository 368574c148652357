package amqp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// TestRestartKeepsDurableMessages: confirmed persistent messages in a
// durable queue survive Shutdown, broker Close, and a new node on the
// same directory; a message leased when the node stopped comes back
// marked redelivered.
func TestRestartKeepsDurableMessages(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	_, err := ch.QueueDeclare("keep", true, false, false, false, nil)
	must(t, err)
	must(t, ch.ExchangeDeclare("kx", "direct", true, false, false, false, nil))
	must(t, ch.QueueBind("keep", "k", "kx", false, nil))
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 10))
	for i := range 5 {
		must(t, ch.PublishWithContext(context.Background(), "kx", "k", false, false,
			amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte(fmt.Sprint(i))}))
	}
	for range 5 {
		if c := <-confirms; !c.Ack {
			t.Fatalf("nack: %+v", c)
		}
	}
	leased := getN(t, ch, "keep", 1)[0]
	if string(leased.Body) != "0" {
		t.Fatalf("first message %q", leased.Body)
	}
	closed := c.NotifyClose(make(chan *amqp091.Error, 1))
	e.restart()
	if err := amqpErr(t, closed); err.Code != 320 {
		t.Fatalf("client saw %v, want 320 CONNECTION_FORCED", err)
	}

	_, ch = e.channel()
	msgs, err := ch.Consume("keep", "", false, false, false, false, nil)
	must(t, err)
	for i := range 5 {
		d := recv(t, msgs)
		if string(d.Body) != fmt.Sprint(i) || d.Redelivered != (i == 0) {
			t.Fatalf("after restart, delivery %d: %q redelivered=%v", i, d.Body, d.Redelivered)
		}
		must(t, d.Ack(false))
	}
	// The exchange and binding came back too.
	publish(t, ch, "kx", "k", "again")
	if d := recv(t, msgs); string(d.Body) != "again" {
		t.Fatalf("through the reloaded binding: %q", d.Body)
	}
}

// TestQueueDeleteCancelsConsumers: a consumer whose queue is deleted from
// another connection gets basic.cancel (amqp091-go closes its delivery
// channel and reports the tag).
func TestQueueDeleteCancelsConsumers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "doomed")
	cancels := ch.NotifyCancel(make(chan string, 1))
	msgs, err := ch.Consume("doomed", "victim", false, false, false, false, nil)
	must(t, err)
	_, other := e.channel()
	n, err := other.QueueDelete("doomed", false, false, false)
	must(t, err)
	if n != 0 {
		t.Fatalf("deleted %d messages", n)
	}
	if tag := <-cancels; tag != "victim" {
		t.Fatalf("cancelled tag %q", tag)
	}
	if _, ok := <-msgs; ok {
		t.Fatal("delivery channel still open")
	}
	// Deleting again is not an error, as in RabbitMQ.
	_, err = other.QueueDelete("doomed", false, false, false)
	must(t, err)
}

// TestQueueDeletedElsewhereCancelsConsumers: a queue deleted not over
// AMQP (the admin API, x-expires) cancels its AMQP consumers too.
func TestQueueDeletedElsewhereCancelsConsumers(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "doomed-elsewhere")
	cancels := ch.NotifyCancel(make(chan string, 1))
	msgs, err := ch.Consume("doomed-elsewhere", "victim", false, false, false, false, nil)
	must(t, err)
	if _, err := e.broker.DeleteQueue("/", "doomed-elsewhere", false, false); err != nil {
		t.Fatal(err)
	}
	select {
	case tag := <-cancels:
		if tag != "victim" {
			t.Fatalf("cancelled tag %q", tag)
		}
	case <-time.After(hangGuard): // a hang guard, not a timing assertion
		t.Fatal("no basic.cancel after the queue was deleted")
	}
	if _, ok := <-msgs; ok {
		t.Fatal("delivery channel still open")
	}
	// The channel goes on.
	declare(t, ch, "after")
}

func TestQueueDeleteIfUnusedIfEmptyAndPurge(t *testing.T) {
	e := start(t)
	c, ch := e.channel()
	declare(t, ch, "qd")
	publish(t, ch, "", "qd", "x")
	_, err := ch.QueueDelete("qd", false, true, false)
	wantCode(t, "if-empty on a queue with a message", err, 406)
	ch, err = c.Channel()
	must(t, err)
	n, err := ch.QueuePurge("qd", false)
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d", n)
	}
	_, err = ch.Consume("qd", "", false, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDelete("qd", true, false, false)
	wantCode(t, "if-unused on a queue with a consumer", err, 406)
}

func TestAutoDeleteOnLastCancel(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("ad", false, true, false, false, nil)
	must(t, err)
	_, err = ch.Consume("ad", "c1", false, false, false, false, nil)
	must(t, err)
	_, err = ch.Consume("ad", "c2", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Cancel("c1", false))
	if _, err := e.broker.QueueInfo("/", "ad"); err != nil {
		t.Fatalf("deleted with a consumer left: %v", err)
	}
	must(t, ch.Cancel("c2", false))
	if _, err := e.broker.QueueInfo("/", "ad"); err == nil {
		t.Fatal("auto-delete queue still there after its last consumer")
	}
}

func TestChannelFlowHoldsDeliveries(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "fl")
	must(t, ch.Flow(false))
	msgs, err := ch.Consume("fl", "", true, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "fl", "held")
	declare(t, ch, "fl") // a round trip: replies still flow
	select {
	case d := <-msgs:
		t.Fatalf("delivery %q while flow is off", d.Body)
	default:
	}
	must(t, ch.Flow(true))
	if d := recv(t, msgs); string(d.Body) != "held" {
		t.Fatalf("after flow on: %q", d.Body)
	}
}

func TestShutdownClosesClientsWith320(t *testing.T) {
	e := start(t)
	c := e.dial()
	closed := c.NotifyClose(make(chan *amqp091.Error, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, e.srv.Shutdown(ctx))
	if err := amqpErr(t, closed); err.Code != 320 || err.Reason != "CONNECTION_FORCED - broker shutdown" {
		t.Fatalf("client saw %v", err)
	}
	if st := e.srv.Stats(); st.Connections != 0 || st.Channels != 0 {
		t.Fatalf("stats after shutdown: %+v", st)
	}
	if _, err := amqp091.Dial(e.url("guest", "guest")); err == nil {
		t.Fatal("dial after shutdown succeeded")
	}
}

// TestManyChannelsConcurrently: channels of one connection publish and
// consume in parallel without crossing.
func TestManyChannelsConcurrently(t *testing.T) {
	e := start(t)
	c := e.dial()
	const chans, per = 8, 50
	errs := make(chan error, chans)
	for i := range chans {
		go func() {
			errs <- func() error {
				ch, err := c.Channel()
				if err != nil {
					return err
				}
				q := fmt.Sprint("par", i)
				if _, err := ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
					return err
				}
				msgs, err := ch.Consume(q, "", false, false, false, false, nil)
				if err != nil {
					return err
				}
				for j := range per {
					if err := ch.PublishWithContext(context.Background(), "", q, false, false,
						amqp091.Publishing{Body: []byte(fmt.Sprint(i, ":", j))}); err != nil {
						return err
					}
				}
				for j := range per {
					d := <-msgs
					if string(d.Body) != fmt.Sprint(i, ":", j) {
						return fmt.Errorf("channel %d got %q, want %d:%d", i, d.Body, i, j)
					}
					if err := d.Ack(false); err != nil {
						return err
					}
				}
				return ch.Close()
			}()
		}()
	}
	for range chans {
		must(t, <-errs)
	}
}
