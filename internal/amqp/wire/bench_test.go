package wire

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// benchPublish is a typical publish: basic.publish, a content header with
// a few properties and a small headers table, and a 1 KiB body.
func benchPublish() (*BasicPublish, *message.Properties, []byte) {
	m := &BasicPublish{Exchange: "orders", RoutingKey: "order.created.eu"}
	p := &message.Properties{
		Flags:        message.FlagContentType | message.FlagHeaders | message.FlagDeliveryMode | message.FlagMessageID | message.FlagTimestamp,
		ContentType:  "application/json",
		Headers:      message.Table{{Key: "tenant", Value: "acme"}, {Key: "attempt", Value: int32(1)}},
		DeliveryMode: message.Persistent,
		MessageID:    "3f2b9c4e-6d0a-4c1e-9a57-0b8e2f1d7c66",
		Timestamp:    1700000000,
	}
	return m, p, bytes.Repeat([]byte("b"), 1024)
}

// BenchmarkPublishEncode writes basic.publish + header + 1 KiB body into
// the Writer's reused buffer and flushes it; it should not allocate.
func BenchmarkPublishEncode(b *testing.B) {
	m, p, body := benchPublish()
	w := NewWriter(io.Discard)
	w.SetFrameMax(131072)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := w.WriteContent(1, m, p, body); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishDecode reads the three frames of the same publish and
// decodes the method and the content header, as the front end does.
func BenchmarkPublishDecode(b *testing.B) {
	m, p, body := benchPublish()
	var stream bytes.Buffer
	w := NewWriter(&stream)
	w.SetFrameMax(131072)
	if err := w.WriteContent(1, m, p, body); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	src := bytes.NewReader(stream.Bytes())
	br := bufio.NewReader(src)
	r := NewReader(br)
	r.SetFrameMax(131072)
	var h ContentHeader
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		src.Reset(stream.Bytes())
		br.Reset(src)
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ReadMethodFrame(f.Payload); err != nil {
			b.Fatal(err)
		}
		if f, err = r.ReadFrame(); err != nil {
			b.Fatal(err)
		}
		if err := h.Read(f.Payload); err != nil {
			b.Fatal(err)
		}
		if f, err = r.ReadFrame(); err != nil || len(f.Payload) != len(body) {
			b.Fatalf("body frame: %v, %d bytes", err, len(f.Payload))
		}
	}
}

// TestPublishEncodeAllocatesNothing holds the encode path to its promise.
func TestPublishEncodeAllocatesNothing(t *testing.T) {
	m, p, body := benchPublish()
	w := NewWriter(io.Discard)
	w.SetFrameMax(131072)
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.WriteContent(1, m, p, body); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per publish encode, want 0", allocs)
	}
}
