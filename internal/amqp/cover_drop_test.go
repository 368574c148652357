package amqp_test

import (
	"fmt"
	"net"
	"slices"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// coverDialKeepConn opens an amqp091 connection as guest and returns it
// with the TCP connection under it, so that a test can drop the socket
// without the client's connection.close.
func coverDialKeepConn(t *testing.T, e *env) (*amqp091.Connection, net.Conn) {
	t.Helper()
	var nc net.Conn
	c, err := amqp091.DialConfig(e.url("guest", "guest"), amqp091.Config{
		Dial: func(network, addr string) (net.Conn, error) {
			conn, err := net.Dial(network, addr)
			nc = conn
			return conn, err
		},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if nc == nil {
		t.Fatal("amqp091 did not dial through Config.Dial")
	}
	return c, nc
}

// TestCoverDroppedSocketRedelivers: a consumer holding five deliveries,
// two of them acked, loses its TCP connection without connection.close.
// Exactly the three unacked messages go to another consumer, each marked
// redelivered; the two acked ones do not come back.
func TestCoverDroppedSocketRedelivers(t *testing.T) {
	e := start(t)
	c1, nc1 := coverDialKeepConn(t, e)
	ch1, err := c1.Channel()
	must(t, err)
	declare(t, ch1, "dropped")
	const n = 5
	for i := range n {
		publish(t, ch1, "", "dropped", fmt.Sprint(i))
	}
	msgs1, err := ch1.Consume("dropped", "first", false, false, false, false, nil)
	must(t, err)
	var unacked []string
	for i := range n {
		d := recv(t, msgs1)
		if d.Redelivered {
			t.Fatalf("first delivery of %q marked redelivered", d.Body)
		}
		if i%2 == 1 { // acks 1 and 3
			must(t, d.Ack(false))
		} else {
			unacked = append(unacked, string(d.Body))
		}
	}
	// basic.ack has no reply: a synchronous method behind it on the same
	// channel is answered only once the server has read the acks.
	q, err := ch1.QueueDeclarePassive("dropped", false, false, false, false, nil)
	must(t, err)
	if q.Messages != 0 || q.Consumers != 1 {
		t.Fatalf("before the drop: %d ready, %d consumers; want 0 and 1", q.Messages, q.Consumers)
	}
	info, err := e.broker.QueueInfo("/", "dropped")
	must(t, err)
	if info.Stats.Unacked != len(unacked) {
		t.Fatalf("before the drop: %d unacked, want %d", info.Stats.Unacked, len(unacked))
	}

	must(t, nc1.Close()) // no connection.close: the socket just goes

	// The second consumer may subscribe before the server has noticed the
	// drop; the messages come to it once the first consumer is gone.
	_, ch2 := e.channel()
	msgs2, err := ch2.Consume("dropped", "second", false, false, false, false, nil)
	must(t, err)
	var got []string
	for range unacked {
		d := recv(t, msgs2)
		if !d.Redelivered {
			t.Errorf("%q came back without the redelivered flag", d.Body)
		}
		got = append(got, string(d.Body))
	}
	slices.Sort(got)
	if !slices.Equal(got, unacked) {
		t.Fatalf("redelivered %v, want the unacked %v", got, unacked)
	}
	// Nothing more: a marker published now is the next delivery (requeued
	// messages would be ahead of it), and the queue holds exactly the
	// three unacked by the second consumer plus the marker.
	publish(t, ch2, "", "dropped", "marker")
	if d := recv(t, msgs2); string(d.Body) != "marker" || d.Redelivered {
		t.Fatalf("after the %d redeliveries got %q (redelivered=%v), want the marker", len(unacked), d.Body, d.Redelivered)
	}
	info, err = e.broker.QueueInfo("/", "dropped")
	must(t, err)
	if st := info.Stats; st.Unacked != len(unacked)+1 || st.Ready != 0 || st.Consumers != 1 {
		t.Fatalf("after the redeliveries: unacked %d ready %d consumers %d, want %d, 0, 1",
			st.Unacked, st.Ready, st.Consumers, len(unacked)+1)
	}
	if st := info.Stats; st.Redelivered != uint64(len(unacked)) || st.Acked != n-uint64(len(unacked)) {
		t.Fatalf("queue counted %d redeliveries and %d acks, want %d and %d",
			st.Redelivered, st.Acked, len(unacked), n-len(unacked))
	}
}
