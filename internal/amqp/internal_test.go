package amqp

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// testChannel is a channel on a conn with no socket, for the pieces that
// only queue items.
func testChannel() *channel {
	s := &Server{}
	c := &conn{s: s, logger: slog.New(slog.DiscardHandler)}
	c.out.init()
	return newChannel(c, 1)
}

// sent describes the items queued on ch, in order.
func sent(ch *channel) string {
	var parts []string
	for _, it := range ch.take(nil) {
		switch m := it.method.(type) {
		case *wire.BasicAck:
			parts = append(parts, fmt.Sprintf("ack %d multiple=%v", m.DeliveryTag, m.Multiple))
		case *wire.BasicNack:
			parts = append(parts, fmt.Sprintf("nack %d", m.DeliveryTag))
		default:
			parts = append(parts, it.method.Name())
		}
	}
	return strings.Join(parts, "; ")
}

func TestConfirmTrackerOrdersAndCoalesces(t *testing.T) {
	ch := testChannel()
	resolve := func(seq uint64, ok bool) {
		ch.mu.Lock()
		ch.resolveLocked(seq, ok)
		ch.mu.Unlock()
	}
	resolve(2, true)
	resolve(3, true)
	if got := sent(ch); got != "" {
		t.Fatalf("ahead of a gap: %q", got)
	}
	resolve(1, true)
	if got := sent(ch); got != "ack 3 multiple=true" {
		t.Fatalf("after the gap closed: %q", got)
	}
	resolve(4, true)
	if got := sent(ch); got != "ack 4 multiple=false" {
		t.Fatalf("single: %q", got)
	}
	resolve(6, false)
	resolve(7, true)
	resolve(5, true)
	if got := sent(ch); got != "ack 5 multiple=false; nack 6; ack 7 multiple=false" {
		t.Fatalf("with a nack inside: %q", got)
	}
}

func TestUnackedSet(t *testing.T) {
	u := newUnackedSet()
	for tag := uint64(1); tag <= 6; tag++ {
		u.add(unackedEntry{tag: tag, id: tag * 10})
		if tag <= 5 {
			u.markSent(tag)
		}
	}
	tags := func(es []unackedEntry) string { return fmt.Sprint(len(es), es) }
	if _, ok := u.take(nil, 6, false); ok {
		t.Fatal("took a delivery the writer has not sent")
	}
	if _, ok := u.take(nil, 9, false); ok {
		t.Fatal("took an unknown tag")
	}
	got, ok := u.take(nil, 2, false)
	if !ok || len(got) != 1 || got[0].id != 20 {
		t.Fatalf("single take: %s", tags(got))
	}
	if _, ok := u.take(nil, 2, false); ok {
		t.Fatal("took tag 2 twice")
	}
	got, ok = u.take(nil, 3, true)
	if !ok || len(got) != 2 || got[0].tag != 1 || got[1].tag != 3 {
		t.Fatalf("multiple up to 3: %s", tags(got))
	}
	got, ok = u.take(nil, 0, true) // all sent: 4 and 5, not the held 6
	if !ok || len(got) != 2 || got[0].tag != 4 || got[1].tag != 5 {
		t.Fatalf("multiple 0: %s", tags(got))
	}
	if len(u.m) != 1 {
		t.Fatalf("left %d, want the held one", len(u.m))
	}
}

func TestQueueArgs(t *testing.T) {
	if a, err := queueArgs(nil); a != nil || err != nil {
		t.Fatalf("nil: %v %v", a, err)
	}
	a, err := queueArgs(messageFields{{"x-queue-type", "classic"}, {"n", int32(5)}, {"f", float32(1.5)}, {"b", []byte("x")}}.table())
	if err != nil || a["n"] != int64(5) || a["f"] != float64(1.5) || a["b"] != "x" || a["x-queue-type"] != "classic" {
		t.Fatalf("converted: %v %v", a, err)
	}
	if _, err := queueArgs(messageFields{{"c", make(chan int)}}.table()); err == nil {
		t.Error("a value no table holds was accepted")
	} else if e := asAMQP(err); e.code != wire.PreconditionFailed {
		t.Errorf("unconvertible value: code %d", e.code)
	}
}

type messageField struct {
	k string
	v any
}

type messageFields []messageField

func (fs messageFields) table() message.Table {
	var t message.Table
	for _, f := range fs {
		t = append(t, message.Field{Key: f.k, Value: f.v})
	}
	return t
}
