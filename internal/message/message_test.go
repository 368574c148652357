package message

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func fullMessage() *Message {
	m := &Message{
		Exchange:   "amq.topic",
		RoutingKey: "orders.eu.created",
		Body:       []byte("{\"id\":42}"),
		Properties: Properties{
			ContentType: "application/json", ContentEncoding: "gzip",
			DeliveryMode: Persistent, Priority: 7, CorrelationID: "c-1", ReplyTo: "amq.rabbitmq.reply-to",
			Expiration: "60000", MessageID: "m-1", Timestamp: 1764700000, Type: "order.created",
			UserID: "guest", AppID: "shop", ClusterID: "",
		},
	}
	m.Properties.Flags = FlagContentType | FlagContentEncoding | FlagDeliveryMode | FlagPriority |
		FlagCorrelationID | FlagReplyTo | FlagExpiration | FlagMessageID | FlagTimestamp | FlagType |
		FlagUserID | FlagAppID | FlagClusterID
	m.Properties.SetHeader("x-retry", int32(3))
	m.Properties.SetHeader("sent", time.Unix(1764700000, 0).UTC())
	m.Properties.SetHeader("nested", Table{{Key: "a", Value: []any{int8(1), "two", nil}}})
	return m
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := fullMessage()
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs:\n%x\n%x", b, b2)
	}
	if got.Exchange != m.Exchange || got.RoutingKey != m.RoutingKey || string(got.Body) != string(m.Body) {
		t.Fatalf("routing or body changed: %+v", got)
	}
	p := got.Properties
	if p.Flags != m.Properties.Flags || p.ContentType != "application/json" || p.Timestamp != 1764700000 ||
		p.ClusterID != "" || !p.Has(FlagClusterID) || !p.Persistent() || p.Priority != 7 {
		t.Fatalf("properties changed: %+v", p)
	}
	if v, ok := p.Headers.Get("x-retry"); !ok || v != int32(3) {
		t.Fatalf("header x-retry = %v %v", v, ok)
	}
}

func TestAbsentAndEmptyPropertiesStayDistinct(t *testing.T) {
	var withEmpty, without Message
	withEmpty.Properties.Flags = FlagContentType // present, empty
	a, _ := Encode(&withEmpty)
	b, _ := Encode(&without)
	if bytes.Equal(a, b) {
		t.Fatal("an empty content-type encodes like an absent one")
	}
	got, err := Decode(a)
	if err != nil || !got.Properties.Has(FlagContentType) {
		t.Fatalf("decoded %+v, %v: want content-type present", got, err)
	}
}

func TestEncodeRefusesOverlongShortStrings(t *testing.T) {
	long := string(bytes.Repeat([]byte("k"), 256))
	for name, m := range map[string]*Message{
		"exchange":    {Exchange: long},
		"routing key": {RoutingKey: long},
		"message-id":  {Properties: Properties{Flags: FlagMessageID, MessageID: long}},
	} {
		if _, err := Encode(m); err == nil {
			t.Errorf("%s of 256 bytes encoded without error", name)
		}
	}
}

func TestDecodeRejectsEveryTruncation(t *testing.T) {
	b, err := Encode(fullMessage())
	if err != nil {
		t.Fatal(err)
	}
	// Every cut before the body starts must fail; cuts inside the body are
	// indistinguishable from a shorter body, by design.
	bodyStart := len(b) - len(fullMessage().Body)
	for i := 0; i < bodyStart; i++ {
		if _, err := Decode(b[:i]); err == nil {
			t.Fatalf("decoding the first %d of %d bytes succeeded", i, len(b))
		}
	}
	if _, err := Decode(append([]byte{9}, b[1:]...)); err == nil {
		t.Fatal("unknown version decoded")
	}
	if _, err := Decode(b[:2]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated error = %v, want ErrTruncated", err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(fullMessage())
	f.Add(b)
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add([]byte{1, 3, 'a', 'b', 'c', 0, 0x20, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		// Anything that decodes must encode to the very same bytes.
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not byte-exact:\n in %x\nout %x", data, again)
		}
	})
}

func BenchmarkEncodeDecode1KiB(b *testing.B) {
	m := &Message{RoutingKey: "work", Body: make([]byte, 1024),
		Properties: Properties{Flags: FlagDeliveryMode, DeliveryMode: Persistent}}
	buf := make([]byte, 0, 2048)
	var out Message
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		buf, _ = AppendEncoded(buf[:0], m)
		if err := DecodeInto(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}
