package amqp_test

import (
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// TestIntrospect checks the admin view of connections, channels and
// consumers against what a real client opened.
func TestIntrospect(t *testing.T) {
	e := start(t)
	if got := e.srv.Connections(); len(got) != 0 {
		t.Fatalf("Connections before any client = %+v", got)
	}
	conn, ch := e.channel()
	declare(t, ch, "intro")
	must(t, ch.Qos(7, 0, false))
	ch2, err := conn.Channel()
	must(t, err)
	must(t, ch2.Qos(3, 0, true))
	dels, err := ch.Consume("intro", "c1", false, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "intro", "hello")
	d := recv(t, dels) // leased to c1, not acked yet

	conns := e.srv.Connections()
	if len(conns) != 1 {
		t.Fatalf("Connections = %+v, want 1", conns)
	}
	c := conns[0]
	if c.User != "guest" || c.VHost != "/" || c.Channels != 2 || c.Name != c.Peer+" -> "+e.addr ||
		c.BytesIn == 0 || c.BytesOut == 0 || c.ConnectedAt.IsZero() || c.FrameMax == 0 {
		t.Errorf("connection = %+v", c)
	}
	chans := e.srv.Channels()
	if len(chans) != 2 {
		t.Fatalf("Channels = %+v, want 2", chans)
	}
	if a := chans[0]; a.Number != 1 || a.Prefetch != 7 || a.Consumers != 1 || a.Unacked != 1 || a.Connection != c.Name || a.User != "guest" {
		t.Errorf("channel 1 = %+v", a)
	}
	if b := chans[1]; b.Number != 2 || b.GlobalPrefetch != 3 || b.Consumers != 0 || b.Unacked != 0 {
		t.Errorf("channel 2 = %+v", b)
	}
	cons := e.srv.Consumers()
	if len(cons) != 1 {
		t.Fatalf("Consumers = %+v", cons)
	}
	if k := cons[0]; k.Tag != "c1" || k.Queue != "intro" || k.VHost != "/" || !k.AckRequired || k.Prefetch != 7 || k.Channel != 1 || k.Connection != c.Name {
		t.Errorf("consumer = %+v", k)
	}
	must(t, d.Ack(false))

	// A closed channel leaves the listing.
	must(t, ch2.Close())
	if got := e.srv.Channels(); len(got) != 1 {
		t.Errorf("after channel close: Channels = %+v", got)
	}

	closed := conn.NotifyClose(make(chan *amqp091.Error, 1))
	if e.srv.CloseConnection("nope", "x") {
		t.Error("CloseConnection of an unknown name reported true")
	}
	if !e.srv.CloseConnection(c.Name, "Closed via management plugin") {
		t.Fatal("CloseConnection reported false")
	}
	ae := amqpErr(t, closed)
	if ae.Code != 320 || ae.Reason != "CONNECTION_FORCED - Closed via management plugin" {
		t.Errorf("close = %d %q", ae.Code, ae.Reason)
	}
}
