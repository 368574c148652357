package amqp_test

import (
	"fmt"
	"slices"
	"testing"
)

// TestCoverRecoverRequeuePushConsumer: a push consumer holds four
// deliveries and has acked one; basic.recover(requeue=true) brings back
// exactly the three unacked, marked redelivered, and not the acked one.
func TestCoverRecoverRequeuePushConsumer(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "recover")
	const n = 4
	for i := range n {
		publish(t, ch, "", "recover", fmt.Sprint(i))
	}
	msgs, err := ch.Consume("recover", "c", false, false, false, false, nil)
	must(t, err)
	var unacked []string
	for i := range n {
		d := recv(t, msgs)
		if d.Redelivered {
			t.Fatalf("first delivery of %q marked redelivered", d.Body)
		}
		if i == 2 {
			must(t, d.Ack(false))
			continue
		}
		unacked = append(unacked, string(d.Body))
	}

	// recover-ok comes after the server has read the ack sent before it.
	must(t, ch.Recover(true))
	var got []string
	for range unacked {
		d := recv(t, msgs)
		if !d.Redelivered {
			t.Errorf("%q came again without the redelivered flag", d.Body)
		}
		got = append(got, string(d.Body))
		must(t, d.Ack(false))
	}
	slices.Sort(got)
	if !slices.Equal(got, unacked) {
		t.Fatalf("after recover got %v, want the unacked %v", got, unacked)
	}
	// Exactly those: a marker published now is the next delivery (a
	// further requeued message would be ahead of it).
	publish(t, ch, "", "recover", "marker")
	if d := recv(t, msgs); string(d.Body) != "marker" || d.Redelivered {
		t.Fatalf("after %d redeliveries got %q (redelivered=%v), want the marker", len(unacked), d.Body, d.Redelivered)
	} else {
		must(t, d.Ack(false))
	}
	q, err := ch.QueueDeclarePassive("recover", false, false, false, false, nil)
	must(t, err)
	info, err := e.broker.QueueInfo("/", "recover")
	must(t, err)
	if st := info.Stats; q.Messages != 0 || st.Unacked != 0 || st.Redelivered != uint64(len(unacked)) || st.Acked != n+1 {
		t.Fatalf("after acking everything: ready %d unacked %d redelivered %d acked %d, want 0, 0, %d, %d",
			q.Messages, st.Unacked, st.Redelivered, st.Acked, len(unacked), n+1)
	}
}
