package wire

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/message"
)

// This file cross-checks the codec against a real client, amqp091-go (a
// test-only dependency): a scripted server built from this package talks to
// the client over a pipe, through the handshake, a confirmed publish whose
// body spans several frames, and a delivery with headers of most types.

// scriptServer is the server side of the exchange.
type scriptServer struct {
	conn net.Conn
	r    *Reader
	w    *Writer
}

// next returns the next frame that is not a heartbeat.
func (s *scriptServer) next() (Frame, error) {
	for {
		f, err := s.r.ReadFrame()
		if err != nil || f.Type != FrameHeartbeat {
			return f, err
		}
	}
}

// expect reads a method frame on channel and decodes it into want, which
// must be the method that arrives.
func (s *scriptServer) expect(channel uint16, want Method) error {
	f, err := s.next()
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", want.Name(), err)
	}
	if f.Type != FrameMethod || f.Channel != channel {
		return fmt.Errorf("waiting for %s on channel %d: got %v", want.Name(), channel, f)
	}
	got, err := ReadMethodFrame(f.Payload)
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", want.Name(), err)
	}
	if got.Name() != want.Name() {
		return fmt.Errorf("waiting for %s: got %s %+v", want.Name(), got.Name(), got)
	}
	return want.Read(f.Payload[4:])
}

func (s *scriptServer) send(channel uint16, m Method) error {
	if err := s.w.WriteMethod(channel, m); err != nil {
		return err
	}
	return s.w.Flush()
}

// publishedHeaders is what the client publishes, as amqp091-go types.
var publishedHeaders = amqp.Table{
	"tenant": "acme", "attempt": int32(2), "big": int64(1 << 40), "ok": true,
	"when": time.Unix(1700000000, 0), "raw": []byte{1, 2, 3}, "nested": amqp.Table{"a": "b"},
	"list": []interface{}{"x", int32(1)}, "price": amqp.Decimal{Scale: 2, Value: 1999},
	"ratio": 1.5, "small": int8(-3), "short": int16(-300), "void": nil,
}

// publishedHeadersOurs is the same table as this package decodes it.
var publishedHeadersOurs = map[string]any{
	"tenant": "acme", "attempt": int32(2), "big": int64(1 << 40), "ok": true,
	"when": time.Unix(1700000000, 0).UTC(), "raw": []byte{1, 2, 3}, "nested": message.Table{{Key: "a", Value: "b"}},
	"list": []any{"x", int32(1)}, "price": message.Decimal{Scale: 2, Value: 1999},
	"ratio": 1.5, "small": int8(-3), "short": int16(-300), "void": nil,
}

func deliveredProperties() message.Properties {
	return message.Properties{
		Flags:       0xfff8, // all but cluster-id, which amqp091-go does not expose
		ContentType: "text/plain", ContentEncoding: "identity",
		Headers: message.Table{
			{Key: "x-count", Value: int64(3)}, {Key: "flag", Value: true}, {Key: "inner", Value: message.Table{{Key: "k", Value: int32(1)}}},
			{Key: "arr", Value: []any{"a", int64(2)}}, {Key: "bin", Value: []byte{9}}, {Key: "at", Value: time.Unix(1600000000, 0).UTC()},
		},
		DeliveryMode: 2, Priority: 4, CorrelationID: "corr", ReplyTo: "replies", Expiration: "1000",
		MessageID: "m-1", Timestamp: 1700000001, Type: "kind", UserID: "guest", AppID: "app",
	}
}

func (s *scriptServer) run(body []byte) error {
	if err := ReadProtocolHeader(s.conn); err != nil {
		return err
	}
	start := &ConnectionStart{VersionMajor: 0, VersionMinor: 9, Mechanisms: "PLAIN", Locales: "en_US",
		ServerProperties: message.Table{{Key: "product", Value: "ferry-test"},
			{Key: "capabilities", Value: message.Table{{Key: "publisher_confirms", Value: true}, {Key: "basic.nack", Value: true}}}}}
	if err := s.send(0, start); err != nil {
		return err
	}
	var startOk ConnectionStartOk
	if err := s.expect(0, &startOk); err != nil {
		return err
	}
	if startOk.Mechanism != "PLAIN" || startOk.Response != "\x00guest\x00guest" {
		return fmt.Errorf("start-ok: mechanism %q, response %q", startOk.Mechanism, startOk.Response)
	}
	if caps, ok := startOk.ClientProperties.Get("capabilities"); !ok || !hasTrue(caps, "publisher_confirms") {
		return fmt.Errorf("start-ok: client properties %v lack capabilities.publisher_confirms", startOk.ClientProperties)
	}
	if err := s.send(0, &ConnectionTune{ChannelMax: 16, FrameMax: FrameMinSize, Heartbeat: 0}); err != nil {
		return err
	}
	var tuneOk ConnectionTuneOk
	if err := s.expect(0, &tuneOk); err != nil {
		return err
	}
	if tuneOk.FrameMax != FrameMinSize || tuneOk.ChannelMax != 16 {
		return fmt.Errorf("tune-ok: %+v", tuneOk)
	}
	s.r.SetFrameMax(tuneOk.FrameMax)
	s.w.SetFrameMax(tuneOk.FrameMax)
	var open ConnectionOpen
	if err := s.expect(0, &open); err != nil {
		return err
	}
	if open.VirtualHost != "orders" {
		return fmt.Errorf("connection.open: virtual host %q, want orders", open.VirtualHost)
	}
	for _, step := range []struct {
		ch        uint16
		in, reply Method
	}{
		{0, nil, &ConnectionOpenOk{}},
		{1, &ChannelOpen{}, &ChannelOpenOk{}},
		{1, &ConfirmSelect{}, &ConfirmSelectOk{}},
	} {
		if step.in != nil {
			if err := s.expect(step.ch, step.in); err != nil {
				return err
			}
		}
		if err := s.send(step.ch, step.reply); err != nil {
			return err
		}
	}

	var pub BasicPublish
	if err := s.expect(1, &pub); err != nil {
		return err
	}
	if pub != (BasicPublish{Exchange: "orders", RoutingKey: "order.created", Mandatory: true}) {
		return fmt.Errorf("basic.publish: %+v", pub)
	}
	if err := s.checkContent(body); err != nil {
		return err
	}
	if err := s.send(1, &BasicAck{DeliveryTag: 1}); err != nil {
		return err
	}

	var consume BasicConsume
	if err := s.expect(1, &consume); err != nil {
		return err
	}
	if v, _ := consume.Arguments.Get("x-priority"); consume.Queue != "work" || consume.ConsumerTag != "ctag-1" || v != int32(5) {
		return fmt.Errorf("basic.consume: %+v", consume)
	}
	if err := s.send(1, &BasicConsumeOk{ConsumerTag: "ctag-1"}); err != nil {
		return err
	}
	props := deliveredProperties()
	deliver := &BasicDeliver{ConsumerTag: "ctag-1", DeliveryTag: 1, Redelivered: true, Exchange: "orders", RoutingKey: "order.created"}
	if err := s.w.WriteContent(1, deliver, &props, body); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	var ack BasicAck
	if err := s.expect(1, &ack); err != nil {
		return err
	}
	if ack.DeliveryTag != 1 || ack.Multiple {
		return fmt.Errorf("basic.ack: %+v", ack)
	}
	var closeReq ConnectionClose
	if err := s.expect(0, &closeReq); err != nil {
		return err
	}
	return s.send(0, &ConnectionCloseOk{})
}

// checkContent reads the content of the publish: its header, which must
// re-encode byte for byte, and body frames within frame-max.
func (s *scriptServer) checkContent(body []byte) error {
	f, err := s.next()
	if err != nil || f.Type != FrameHeader {
		return fmt.Errorf("content header: %v, %v", f, err)
	}
	var h ContentHeader
	if err := h.Read(f.Payload); err != nil {
		return err
	}
	if again, err := h.Append(nil); err != nil || !bytes.Equal(again, f.Payload) {
		return fmt.Errorf("content header does not re-encode byte for byte (%v)", err)
	}
	p := h.Properties
	if p.ContentType != "application/json" || p.DeliveryMode != 2 || p.MessageID != "m-0" || p.Timestamp != 1700000000 ||
		p.Has(message.FlagPriority) || h.BodySize != uint64(len(body)) {
		return fmt.Errorf("content header: %+v", h)
	}
	if len(p.Headers) != len(publishedHeadersOurs) {
		return fmt.Errorf("headers: %d fields, want %d", len(p.Headers), len(publishedHeadersOurs))
	}
	for k, want := range publishedHeadersOurs {
		if got, _ := p.Headers.Get(k); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("header %q = %#v, want %#v", k, got, want)
		}
	}
	var got []byte
	for len(got) < len(body) {
		f, err := s.next()
		if err != nil || f.Type != FrameBody || len(f.Payload) > int(FrameMinSize)-8 {
			return fmt.Errorf("body frame: %v, %v", f, err)
		}
		got = append(got, f.Payload...)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("body differs")
	}
	return nil
}

func hasTrue(v any, key string) bool {
	t, ok := v.(message.Table)
	if !ok {
		return false
	}
	b, _ := t.Get(key)
	return b == true
}

func TestAgainstAmqp091Client(t *testing.T) {
	clientConn, serverConn := net.Pipe()
	body := bytes.Repeat([]byte("0123456789"), 1000) // 10 000 bytes: three body frames at frame-min-size
	srv := &scriptServer{conn: serverConn, r: NewReader(bufio.NewReader(serverConn)), w: NewWriter(serverConn)}
	serverErr := make(chan error, 1)
	go func() {
		err := srv.run(body)
		serverConn.Close() // lets a client blocked on a reply fail instead of hang
		serverErr <- err
	}()

	conn, err := amqp.DialConfig("amqp://guest:guest@ferry:5672/orders?heartbeat=0", amqp.Config{
		Dial:   func(network, addr string) (net.Conn, error) { return clientConn, nil },
		Locale: "en_US",
	})
	if err != nil {
		t.Fatalf("dial: %v (server: %v)", err, <-serverErr)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel: %v (server: %v)", err, <-serverErr)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatalf("confirm.select: %v (server: %v)", err, <-serverErr)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1))
	err = ch.PublishWithContext(context.Background(), "orders", "order.created", true, false, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: "m-0",
		Timestamp: time.Unix(1700000000, 0), Headers: publishedHeaders, Body: body,
	})
	if err != nil {
		t.Fatalf("publish: %v (server: %v)", err, <-serverErr)
	}
	if c, ok := <-confirms; !ok || !c.Ack || c.DeliveryTag != 1 {
		t.Fatalf("confirmation %+v (open %v); server: %v", c, ok, <-serverErr)
	}
	deliveries, err := ch.Consume("work", "ctag-1", false, false, false, false, amqp.Table{"x-priority": int32(5)})
	if err != nil {
		t.Fatalf("consume: %v (server: %v)", err, <-serverErr)
	}
	d, ok := <-deliveries
	if !ok {
		t.Fatalf("deliveries closed; server: %v", <-serverErr)
	}
	checkDelivery(t, d, body)
	if err := d.Ack(false); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Errorf("server: %v", err)
	}
}

// checkDelivery compares what amqp091-go decoded with deliveredProperties.
func checkDelivery(t *testing.T, d amqp.Delivery, body []byte) {
	t.Helper()
	p := deliveredProperties()
	got := []any{d.ConsumerTag, d.DeliveryTag, d.Redelivered, d.Exchange, d.RoutingKey, d.ContentType, d.ContentEncoding,
		d.DeliveryMode, d.Priority, d.CorrelationId, d.ReplyTo, d.Expiration, d.MessageId, d.Timestamp.Unix(), d.Type, d.UserId, d.AppId}
	want := []any{"ctag-1", uint64(1), true, "orders", "order.created", p.ContentType, p.ContentEncoding,
		p.DeliveryMode, p.Priority, p.CorrelationID, p.ReplyTo, p.Expiration, p.MessageID, int64(p.Timestamp), p.Type, p.UserID, p.AppID}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivery\n got %v\nwant %v", got, want)
	}
	if !bytes.Equal(d.Body, body) {
		t.Error("delivered body differs")
	}
	wantHeaders := amqp.Table{"x-count": int64(3), "flag": true, "inner": amqp.Table{"k": int32(1)},
		"arr": []interface{}{"a", int64(2)}, "bin": []byte{9}}
	at, _ := d.Headers["at"].(time.Time)
	delete(d.Headers, "at")
	if !reflect.DeepEqual(d.Headers, wantHeaders) || at.Unix() != 1600000000 {
		t.Errorf("delivered headers %#v (at %v), want %#v", d.Headers, at, wantHeaders)
	}
}
