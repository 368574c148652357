package amqp_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// coverAllFieldTypes is a header table with a value of every field type
// amqp091-go sends, each as the Go type it decodes that type to, so that
// a faithful broker gives back a table reflect.DeepEqual to it. (Go int,
// which amqp091-go also sends, goes out as 'I' and comes back int32: the
// int32 values cover it. An empty array comes back nil from amqp091-go,
// so arrays here are not empty.)
func coverAllFieldTypes() amqp091.Table {
	ts := time.Unix(1_700_000_000, 0) // 'T' is whole seconds; amqp091-go decodes to local time
	return amqp091.Table{
		"nil":      nil,                                      // V
		"true":     true,                                     // t
		"false":    false,                                    // t
		"int8":     int8(math.MinInt8),                       // b
		"uint8":    byte(math.MaxUint8),                      // B
		"int16":    int16(math.MinInt16),                     // s
		"int32":    int32(math.MinInt32),                     // I
		"int32max": int32(math.MaxInt32),                     // I
		"int64":    int64(math.MinInt64),                     // l
		"int64max": int64(math.MaxInt64),                     // l
		"float32":  float32(3.1415927),                       // f
		"f32tiny":  float32(math.SmallestNonzeroFloat32),     // f
		"f32inf":   float32(math.Inf(-1)),                    // f
		"float64":  float64(-2.718281828459045),              // d
		"f64big":   math.MaxFloat64,                          // d
		"f64tiny":  math.SmallestNonzeroFloat64,              // d
		"decimal":  amqp091.Decimal{Scale: 3, Value: -12345}, // D
		"decmax":   amqp091.Decimal{Scale: 255, Value: math.MaxInt32},
		"string":   "héllo\x00wörld",             // S
		"empty":    "",                           // S
		"bytes":    []byte{0, 1, 0xfe, 0xff},     // x
		"nobytes":  []byte{},                     // x
		"time":     ts,                           // T
		"table":    amqp091.Table{"a": int32(1)}, // F
		"notable":  amqp091.Table{},              // F
		"array": []any{ // A
			nil, true, int8(-1), byte(7), int16(-300), int32(70000), int64(-1 << 40),
			float32(0.5), 0.25, amqp091.Decimal{Scale: 1, Value: 5}, "s", []byte("x"), ts,
			amqp091.Table{"in": "array"}, []any{"nested", int32(2)},
		},
		"nested": amqp091.Table{ // F in F in F
			"deeper": amqp091.Table{
				"deepest": amqp091.Table{"f": float32(-0.125), "d": 1e300, "l": []any{amqp091.Table{"k": false}}},
			},
			"x-not-special": "x",
		},
	}
}

// TestCoverHeaderFieldTypesRoundTrip: a header table holding every field
// type amqp091-go can send comes back equal from a transient queue and a
// durable one, through basic.consume and basic.get, and from the durable
// queue again after a restart of the broker, read back from disk.
func TestCoverHeaderFieldTypesRoundTrip(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "hdr-mem")
	_, err := ch.QueueDeclare("hdr-disk", true, false, false, false, nil)
	must(t, err)
	sent := coverAllFieldTypes()
	must(t, sent.Validate())
	must(t, ch.Confirm(false))
	for _, q := range []string{"hdr-mem", "hdr-disk", "hdr-disk"} {
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", q, false, false,
			amqp091.Publishing{DeliveryMode: amqp091.Persistent, Headers: sent, Body: []byte(q)})
		must(t, err)
		if !dc.Wait() {
			t.Fatalf("publish to %s nacked", q)
		}
	}
	check := func(how string, got amqp091.Table) {
		t.Helper()
		want := coverAllFieldTypes()
		if reflect.DeepEqual(got, want) {
			return
		}
		for k, w := range want {
			if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
				t.Errorf("%s: header %q = %#v (%T), want %#v (%T)", how, k, g, g, w, w)
			}
		}
		for k, g := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: extra header %q = %#v", how, k, g)
			}
		}
		if !t.Failed() {
			t.Errorf("%s: headers differ: %#v", how, got)
		}
	}

	msgs, err := ch.Consume("hdr-mem", "", false, false, false, false, nil)
	must(t, err)
	d := recv(t, msgs)
	check("transient queue, consume", d.Headers)
	must(t, d.Ack(false))
	d, ok, err := ch.Get("hdr-disk", false)
	must(t, err)
	if !ok {
		t.Fatal("durable queue empty")
	}
	check("durable queue, get", d.Headers)
	must(t, d.Nack(false, true)) // back to the queue, for after the restart

	e.restart()
	_, ch = e.channel()
	msgs, err = ch.Consume("hdr-disk", "", false, false, false, false, nil)
	must(t, err)
	for i := range 2 {
		d := recv(t, msgs)
		check("durable queue after a restart", d.Headers)
		if string(d.Body) != "hdr-disk" {
			t.Fatalf("delivery %d after the restart: body %q", i, d.Body)
		}
		must(t, d.Ack(false))
	}
}
