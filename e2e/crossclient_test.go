package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// pikaCrossBody is what pika_client.py's rich_body(i) publishes: every
// byte value, then "seq=i", so a path that treats bodies as text shows.
func pikaCrossBody(i int) []byte {
	b := make([]byte, 0, 262)
	for c := range 256 {
		b = append(b, byte(c))
	}
	return append(b, fmt.Sprintf("seq=%d", i)...)
}

// pikaCrossHeaders is pika_client.py's RICH_HEADERS plus seq, as
// amqp091-go decodes them: the field types pika chose on the wire
// (int32 'I' for small ints, int64 'l' past 32 bits, 'D' decimal,
// 'T' timestamp, 'x' byte array, 'V' void) must reach the Go client
// unchanged, not re-typed by the broker.
func pikaCrossHeaders(i int) amqp.Table {
	return amqp.Table{
		"str":    "héllo wörld",
		"int":    int32(42),
		"neg":    int32(-7),
		"big":    int64(1 << 40),
		"negbig": int64(-(1 << 40)),
		"bool":   true,
		"false":  false,
		"dec":    amqp.Decimal{Scale: 2, Value: 314},
		"ts":     time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"nested": amqp.Table{"k": "v", "n": int32(1), "inner": amqp.Table{"deep": true}},
		"list":   []any{int32(1), "two", false, nil},
		"bytes":  []byte{0x00, 0x01, 0xfe, 0xff},
		"none":   nil,
		"empty":  "",
		"seq":    int32(i),
	}
}

// utcTimes returns v with every time.Time in UTC, so that DeepEqual
// compares instants: amqp091-go decodes timestamps in the local zone.
func utcTimes(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.UTC()
	case amqp.Table:
		out := amqp.Table{}
		for k, x := range v {
			out[k] = utcTimes(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = utcTimes(x)
		}
		return out
	}
	return v
}

// TestCrossClientPikaToAmqp091 publishes with pika (confirmed, every
// basic property set, headers of every type pika encodes, a binary body)
// and consumes with amqp091-go: each property, header value and type,
// and body byte must arrive as sent.
func TestCrossClientPikaToAmqp091(t *testing.T) {
	t.Parallel()
	py := pikaPython(t)
	n := startNode(t, t.TempDir())
	const count = 3
	if out := runPika(t, py, n, "publish-cross", fmt.Sprint(count)); out["published"] != float64(count) {
		t.Fatalf("pika publish-cross: %v", out)
	}

	ch, err := n.dial(t).Channel()
	must(t, err)
	must(t, ch.Qos(count, 0, false))
	deliveries, err := ch.Consume("e2e.cross", "go-consumer", false, false, false, false, nil)
	must(t, err)
	for i := range count {
		d := <-deliveries
		want := amqp.Delivery{
			ContentType:     "application/octet-stream",
			ContentEncoding: "identity",
			DeliveryMode:    amqp.Persistent,
			Priority:        5,
			CorrelationId:   fmt.Sprintf("corr-%d", i),
			ReplyTo:         "e2e.replies",
			MessageId:       fmt.Sprintf("msg-%d", i),
			Timestamp:       time.Unix(1700000000+int64(i), 0).UTC(),
			Type:            "e2e.cross",
			UserId:          "guest",
			AppId:           "pika-e2e",
			Headers:         pikaCrossHeaders(i),
			ConsumerTag:     "go-consumer",
			DeliveryTag:     uint64(i + 1),
			RoutingKey:      "e2e.cross",
			Body:            pikaCrossBody(i),
		}
		got := d
		got.Acknowledger = nil
		got.Timestamp = got.Timestamp.UTC()
		got.Headers = utcTimes(got.Headers).(amqp.Table)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("message %d differs:\n got  %+v\n want %+v", i, got, want)
			for k, w := range want.Headers {
				if g := got.Headers[k]; !reflect.DeepEqual(g, w) {
					t.Errorf("  header %q: got %#v, want %#v", k, g, w)
				}
			}
		}
		must(t, d.Ack(false))
	}
}

// TestCrossClientAmqp091ToPika is the reverse: amqp091-go publishes
// (confirmed) a message whose headers use the Go client's field types,
// and pika reports what it decoded. Values avoid pika 1.2's decoding
// quirks (it reads 'b' and 'l' as unsigned and truncates floats to
// integers), which are pika's, not the broker's.
func TestCrossClientAmqp091ToPika(t *testing.T) {
	t.Parallel()
	py := pikaPython(t)
	n := startNode(t, t.TempDir())

	ch, err := n.dial(t).Channel()
	must(t, err)
	_, err = ch.QueueDeclare("e2e.cross", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1))
	body := []byte("héllo from Go \x00\xff")
	must(t, ch.PublishWithContext(context.Background(), "", "e2e.cross", false, false, amqp.Publishing{
		ContentType:     "text/plain",
		ContentEncoding: "utf-8",
		DeliveryMode:    amqp.Persistent,
		Priority:        9,
		CorrelationId:   "c-go",
		ReplyTo:         "r-go",
		MessageId:       "m-go",
		Timestamp:       time.Unix(1700000123, 0),
		Type:            "t-go",
		UserId:          "guest",
		AppId:           "amqp091-go",
		Headers: amqp.Table{
			"str":    "grüße",
			"byte":   byte(7),
			"i8":     int8(5),
			"i16":    int16(-300),
			"i32":    int32(-70000),
			"i64":    int64(1 << 40),
			"bool":   false,
			"dec":    amqp.Decimal{Scale: 3, Value: 12345},
			"ts":     time.Unix(1700000000, 0),
			"nested": amqp.Table{"a": amqp.Table{"b": "c"}},
			"list":   []any{"x", int32(2), true, nil},
			"bytes":  []byte{0xde, 0xad},
			"none":   nil,
		},
		Body: body,
	}))
	if c := <-confirms; !c.Ack {
		t.Fatalf("publish nacked: %+v", c)
	}

	got := runPika(t, py, n, "consume-cross")
	var want map[string]any
	must(t, json.Unmarshal([]byte(`{
		"body_hex": "`+fmt.Sprintf("%x", body)+`",
		"properties": {
			"app_id": "amqp091-go", "content_encoding": "utf-8", "content_type": "text/plain",
			"correlation_id": "c-go", "delivery_mode": 2, "expiration": null,
			"message_id": "m-go", "priority": 9, "reply_to": "r-go",
			"timestamp": 1700000123, "type": "t-go", "user_id": "guest",
			"headers": {
				"str": "grüße", "byte": 7, "i8": 5, "i16": -300, "i32": -70000,
				"i64": 1099511627776, "bool": false, "dec": {"decimal": "12.345"},
				"ts": {"timestamp": "2023-11-14T22:13:20"},
				"nested": {"a": {"b": "c"}}, "list": ["x", 2, true, null],
				"bytes": {"bytes": "dead"}, "none": null
			}
		}
	}`), &want))
	compareJSON(t, got, want)
}
