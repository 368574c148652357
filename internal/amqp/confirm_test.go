package amqp_test

import (
	"context"
	"fmt"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// TestConfirmsDurableQueue: every publish to a durable queue on the disk
// store (sync=always) is acked, in order, and the messages are there.
func TestConfirmsDurableQueue(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("dq", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 200))
	const n = 200
	for i := range n {
		must(t, ch.PublishWithContext(context.Background(), "", "dq", false, false,
			amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte(fmt.Sprint(i))}))
	}
	// amqp091-go turns multiple acks into one Confirmation per tag, in order.
	for i := range n {
		c := <-confirms
		if !c.Ack || c.DeliveryTag != uint64(i+1) {
			t.Fatalf("confirmation %d: %+v", i, c)
		}
	}
	info, err := e.broker.QueueInfo("/", "dq")
	must(t, err)
	if info.Stats.Ready != n {
		t.Fatalf("ready %d, want %d", info.Stats.Ready, n)
	}
	if st := e.srv.Stats(); st.Confirmed != n || st.Published != n {
		t.Fatalf("stats: %+v", st)
	}
}

// TestConfirmUnroutableAndMandatoryReturn: an unroutable message is
// confirmed (RabbitMQ acks it); with mandatory it first comes back as
// basic.return 312 NO_ROUTE.
func TestConfirmUnroutableAndMandatoryReturn(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 2))
	returns := ch.NotifyReturn(make(chan amqp091.Return, 1))
	must(t, ch.PublishWithContext(context.Background(), "", "nowhere", true, false,
		amqp091.Publishing{MessageId: "m1", Body: []byte("lost")}))
	r := <-returns
	if r.ReplyCode != 312 || r.ReplyText != "NO_ROUTE" || r.RoutingKey != "nowhere" || string(r.Body) != "lost" || r.MessageId != "m1" {
		t.Fatalf("return: %+v", r)
	}
	if c := <-confirms; !c.Ack || c.DeliveryTag != 1 {
		t.Fatalf("confirm of the returned message: %+v", c)
	}
	must(t, ch.PublishWithContext(context.Background(), "", "nowhere", false, false, amqp091.Publishing{}))
	if c := <-confirms; !c.Ack || c.DeliveryTag != 2 {
		t.Fatalf("confirm of a non-mandatory unroutable message: %+v", c)
	}
}

func TestMandatoryReturnWithoutConfirms(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	returns := ch.NotifyReturn(make(chan amqp091.Return, 1))
	must(t, ch.PublishWithContext(context.Background(), "", "nowhere", true, false, amqp091.Publishing{Body: []byte("b")}))
	if r := <-returns; r.ReplyCode != 312 || string(r.Body) != "b" {
		t.Fatalf("return: %+v", r)
	}
	// A routable mandatory message is not returned: a round trip later
	// nothing has come back.
	declare(t, ch, "here")
	must(t, ch.PublishWithContext(context.Background(), "", "here", true, false, amqp091.Publishing{Body: []byte("ok")}))
	if _, ok, err := ch.Get("here", true); !ok || err != nil {
		t.Fatalf("routed mandatory message: ok=%v err=%v", ok, err)
	}
	select {
	case r := <-returns:
		t.Fatalf("routable message returned: %+v", r)
	default:
	}
}

func TestTransactions(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	_, err := ch.QueueDeclare("txq", true, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "txq", "before")
	must(t, ch.Tx())
	publish(t, ch, "", "txq", "rolled-back")
	must(t, ch.TxRollback())
	publish(t, ch, "", "txq", "a")
	publish(t, ch, "", "txq", "b")
	// Nothing is in the queue until commit.
	info, err := e.broker.QueueInfo("/", "txq")
	must(t, err)
	if info.Stats.Ready != 1 {
		t.Fatalf("before commit: ready %d, want 1", info.Stats.Ready)
	}
	must(t, ch.TxCommit())
	info, _ = e.broker.QueueInfo("/", "txq")
	if info.Stats.Ready != 3 {
		t.Fatalf("after commit: ready %d, want 3", info.Stats.Ready)
	}
	// Acks are held too.
	ds := getN(t, ch, "txq", 3)
	if bodies(ds) != "before a b " {
		t.Fatalf("committed order: %q", bodies(ds))
	}
	must(t, ds[2].Ack(true))
	must(t, ch.TxRollback()) // the ack is dropped: still unacked
	info, _ = e.broker.QueueInfo("/", "txq")
	if info.Stats.Unacked != 3 {
		t.Fatalf("after rolled-back ack: unacked %d, want 3", info.Stats.Unacked)
	}
	must(t, ds[2].Ack(true))
	must(t, ch.TxCommit())
	info, _ = e.broker.QueueInfo("/", "txq")
	if info.Stats.Unacked != 0 || info.Stats.Ready != 0 {
		t.Fatalf("after committed ack: %+v", info.Stats)
	}
	// Confirm mode cannot follow tx mode.
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	wantCode(t, "confirm.select on a tx channel", ch.Confirm(false), 406)
	<-closed
}

func TestTxCommitWithoutSelect(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	wantCode(t, "tx.commit without tx.select", ch.TxCommit(), 406)
}
