package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// fakeBroker is a scripted AMQP 0-9-1 server built from package wire, for
// what a real broker does not do on demand: nack, confirm out of order,
// withhold a confirm. It serves the connections of a producers-only run
// (handshake, channel.open, queue.declare, confirm.select, the closes),
// collects each connection's publishes and, once count of them are in,
// calls script with their bodies to write the broker's answers.
type fakeBroker struct {
	t        *testing.T
	ln       net.Listener
	frameMax uint32
	count    int
	script   func(s *fakeScript) error
	wg       sync.WaitGroup
}

// fakeScript is what a script writes with: the connection's writer and
// the bodies published on it, by delivery tag - 1.
type fakeScript struct {
	w      *wire.Writer
	bodies [][]byte
}

func (s *fakeScript) ack(tag uint64, multiple bool) error {
	return s.w.WriteMethod(leanChannel, &wire.BasicAck{DeliveryTag: tag, Multiple: multiple})
}

func (s *fakeScript) nack(tag uint64, multiple bool) error {
	return s.w.WriteMethod(leanChannel, &wire.BasicNack{DeliveryTag: tag, Multiple: multiple})
}

// ret sends basic.return with the body of publish tag, split at the
// connection's frame-max.
func (s *fakeScript) ret(tag uint64) error {
	return s.w.WriteContent(leanChannel, &wire.BasicReturn{ReplyCode: wire.NoRoute, ReplyText: "NO_ROUTE", RoutingKey: "q"},
		&message.Properties{}, s.bodies[tag-1])
}

func startFakeBroker(t *testing.T, frameMax uint32, count int, script func(s *fakeScript) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{t: t, ln: ln, frameMax: frameMax, count: count, script: script}
	b.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Go(func() {
				defer nc.Close()
				if err := b.serve(nc); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					t.Errorf("fake broker: %v", err)
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		b.wg.Wait()
	})
	return "amqp://guest:guest@" + ln.Addr().String() + "/"
}

func (b *fakeBroker) serve(nc net.Conn) error {
	br := bufio.NewReader(nc)
	if err := wire.ReadProtocolHeader(br); err != nil {
		return err
	}
	r, w := wire.NewReader(br), wire.NewWriter(nc)
	send := func(channel uint16, m wire.Method) error {
		if err := w.WriteMethod(channel, m); err != nil {
			return err
		}
		return w.Flush()
	}
	start := &wire.ConnectionStart{VersionMajor: 0, VersionMinor: 9, Mechanisms: "PLAIN", Locales: "en_US",
		ServerProperties: message.Table{{Key: "capabilities", Value: message.Table{
			{Key: "publisher_confirms", Value: true}, {Key: "basic.nack", Value: true}}}}}
	if err := send(0, start); err != nil {
		return err
	}
	s := &fakeScript{w: w}
	var body []byte
	var size uint64
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return err
		}
		switch f.Type {
		case wire.FrameHeader:
			var h wire.ContentHeader
			if err := h.Read(f.Payload); err != nil {
				return err
			}
			size, body = h.BodySize, make([]byte, 0, h.BodySize)
		case wire.FrameBody:
			if len(f.Payload) > int(b.frameMax)-8 {
				return fmt.Errorf("body frame of %d bytes over frame-max %d", len(f.Payload), b.frameMax)
			}
			body = append(body, f.Payload...)
		case wire.FrameMethod:
			m, err := wire.ReadMethodFrame(f.Payload)
			if err != nil {
				return err
			}
			var reply wire.Method
			switch m := m.(type) {
			case *wire.ConnectionStartOk:
				reply = &wire.ConnectionTune{ChannelMax: 16, FrameMax: b.frameMax}
			case *wire.ConnectionTuneOk:
				r.SetFrameMax(m.FrameMax)
				w.SetFrameMax(m.FrameMax)
			case *wire.ConnectionOpen:
				reply = &wire.ConnectionOpenOk{}
			case *wire.ChannelOpen:
				reply = &wire.ChannelOpenOk{}
			case *wire.QueueDeclare:
				reply = &wire.QueueDeclareOk{Queue: m.Queue}
			case *wire.ConfirmSelect:
				reply = &wire.ConfirmSelectOk{}
			case *wire.BasicPublish:
			case *wire.ChannelClose:
				reply = &wire.ChannelCloseOk{}
			case *wire.ConnectionClose:
				return send(0, &wire.ConnectionCloseOk{})
			default:
				return fmt.Errorf("unexpected %s", m.Name())
			}
			if reply != nil {
				if err := send(f.Channel, reply); err != nil {
					return err
				}
			}
		}
		if f.Type != wire.FrameMethod && uint64(len(body)) == size && body != nil {
			s.bodies = append(s.bodies, body)
			body = nil
			if len(s.bodies) == b.count {
				if err := b.script(s); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}
}

// fakeConfig is a producers-only run of count messages, all within one
// confirm window, of bodies three frames long at frame-max 4096.
func fakeConfig(url, client string, count int) Config {
	cfg := testConfig(url, client)
	cfg.FreshQueue, cfg.Queue = false, "q"
	cfg.Producers, cfg.Consumers = 1, 0
	cfg.Duration, cfg.Count = 0, uint64(count)
	cfg.ConfirmWindow = count
	cfg.Size = 8<<10 + 100
	return cfg
}

// TestRunCountsNacksReturnsAndOutOfOrderConfirms answers twelve publishes
// with returns, single and multiple acks and nacks, out of order.
func TestRunCountsNacksReturnsAndOutOfOrderConfirms(t *testing.T) {
	url := startFakeBroker(t, 4096, 12, func(s *fakeScript) error {
		return errors.Join(
			s.ret(3), s.ack(3, false), // returned, confirmed ahead of 1 and 2
			s.ack(5, true),             // 1, 2, 4, 5
			s.nack(8, true),            // 6, 7, 8
			s.ack(10, false),           // ahead of 9
			s.nack(9, false),           // closes the gap
			s.ret(11), s.ack(12, true), // 11 (returned) and 12
		)
	})
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg = fakeConfig(url, cfg.Client, 12)
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 12 || res.Confirmed != 8 || res.Nacked != 4 || res.Returned != 2 || res.Unconfirmed != 0 || res.ConfirmLatency.Count != 12 {
			t.Errorf("sent %d confirmed %d nacked %d returned %d unconfirmed %d confirm latencies %d; want 12 8 4 2 0 12",
				res.Sent, res.Confirmed, res.Nacked, res.Returned, res.Unconfirmed, res.ConfirmLatency.Count)
		}
	})
}

// A multiple ack covers only tags still open: a nack that came ahead of
// it stays a nack, and a repeated ack counts once. (amqp091-go counts tag
// 2 as acked here: its multiple ack overrides confirms it holds for
// resequencing. So only the lean client runs this.)
func TestLeanMultipleAckLeavesEarlierNacks(t *testing.T) {
	url := startFakeBroker(t, 4096, 12, func(s *fakeScript) error {
		return errors.Join(
			s.nack(2, false),
			s.ack(5, true),   // 1, 3, 4, 5
			s.ack(4, false),  // again: ignored
			s.ret(7),         // 7 is returned ...
			s.ack(12, true),  // ... and acked with 6 to 12
			s.nack(12, true), // settled already: ignored
		)
	})
	cfg := fakeConfig(url, ClientLean, 12)
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 12 || res.Confirmed != 11 || res.Nacked != 1 || res.Returned != 1 || res.Unconfirmed != 0 || res.ConfirmLatency.Count != 12 {
		t.Errorf("sent %d confirmed %d nacked %d returned %d unconfirmed %d confirm latencies %d; want 12 11 1 1 0 12",
			res.Sent, res.Confirmed, res.Nacked, res.Returned, res.Unconfirmed, res.ConfirmLatency.Count)
	}
}

// A confirm that never comes counts as unconfirmed once the drain
// timeout is over, and the run still ends cleanly.
func TestRunCountsUnconfirmedAtDrainTimeout(t *testing.T) {
	url := startFakeBroker(t, 4096, 5, func(s *fakeScript) error { return s.ack(4, true) })
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg = fakeConfig(url, cfg.Client, 5)
		cfg.DrainTimeout = 200 * time.Millisecond
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 5 || res.Confirmed != 4 || res.Unconfirmed != 1 || res.Nacked != 0 {
			t.Errorf("sent %d confirmed %d unconfirmed %d nacked %d; want 5 4 1 0", res.Sent, res.Confirmed, res.Unconfirmed, res.Nacked)
		}
	})
}

// A broker that confirms a tag never published is broken; the run says so.
func TestLeanRefusesAConfirmOfAnUnpublishedTag(t *testing.T) {
	url := startFakeBroker(t, 4096, 3, func(s *fakeScript) error { return s.ack(4, true) })
	_, err := Run(context.Background(), fakeConfig(url, ClientLean, 3), io.Discard)
	if want := "producer 0: the broker confirmed delivery tag 4, but 3 were published"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run = %v, want an error saying %q", err, want)
	}
}

func TestParseAMQPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want amqpURL
	}{
		{"amqp://", amqpURL{addr: "localhost:5672", user: "guest", pass: "guest", vhost: "/"}},
		{"amqp://h", amqpURL{addr: "h:5672", user: "guest", pass: "guest", vhost: "/"}},
		{"amqp://bob:s%40cret@h:5673/", amqpURL{addr: "h:5673", user: "bob", pass: "s@cret", vhost: "/"}},
		{"amqp://bob@h/dev", amqpURL{addr: "h:5672", user: "bob", pass: "guest", vhost: "dev"}},
		{"amqp://h/%2f", amqpURL{addr: "h:5672", user: "guest", pass: "guest", vhost: "/"}},
		{"amqp://h/a%2fb", amqpURL{addr: "h:5672", user: "guest", pass: "guest", vhost: "a/b"}},
		{"amqp://[::1]:5672/v", amqpURL{addr: "[::1]:5672", user: "guest", pass: "guest", vhost: "v"}},
	} {
		got, err := parseAMQPURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseAMQPURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for in, want := range map[string]string{"amqps://h/": "-client amqp091", "http://h/": "scheme", "amqp://h:x/": "port"} {
		if _, err := parseAMQPURL(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseAMQPURL(%q) = %v, want an error mentioning %q", in, err, want)
		}
	}
}

// TestPublishFramesSplitAtFrameMax reads two framed publishes back with
// package wire: method, header, and bodies in frames within frame-max.
func TestPublishFramesSplitAtFrameMax(t *testing.T) {
	const size, frameMax = 10000, 4096
	pf, err := newPublishFrames("orders", size, true, frameMax)
	if err != nil {
		t.Fatal(err)
	}
	hs := []header{{RunID: 7, Producer: 1, Seq: 0, SentNano: 11}, {RunID: 7, Producer: 1, Seq: 1, SentNano: 12}}
	var out []byte
	for _, h := range hs {
		out = pf.append(out, h)
	}
	if len(out) != 2*pf.wireSize() {
		t.Errorf("%d bytes for two messages, wireSize says %d each", len(out), pf.wireSize())
	}
	r := wire.NewReader(bufio.NewReader(bytes.NewReader(out)))
	r.SetFrameMax(frameMax)
	for _, want := range hs {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.ReadMethodFrame(f.Payload)
		if pub, ok := m.(*wire.BasicPublish); err != nil || !ok || *pub != (wire.BasicPublish{RoutingKey: "orders", Mandatory: true}) {
			t.Fatalf("method frame: %+v, %v", m, err)
		}
		if f, err = r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
		var ch wire.ContentHeader
		if err := ch.Read(f.Payload); err != nil || ch.BodySize != size || !ch.Properties.Persistent() {
			t.Fatalf("content header: %+v, %v", ch, err)
		}
		var body []byte
		var frames []int
		for len(body) < size {
			f, err := r.ReadFrame()
			if err != nil || f.Type != wire.FrameBody {
				t.Fatalf("body frame: %v, %v", f, err)
			}
			frames = append(frames, len(f.Payload))
			body = append(body, f.Payload...)
		}
		if fmt.Sprint(frames) != "[4088 4088 1824]" {
			t.Errorf("body frames of %v bytes, want [4088 4088 1824]", frames)
		}
		if got, err := parseHeader(body); err != nil || got != want || len(body) != size {
			t.Errorf("body: header %+v, %v, %d bytes; want %+v, %d bytes", got, err, len(body), want, size)
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Errorf("after two messages: %v, want io.EOF", err)
	}
	if n := testing.AllocsPerRun(100, func() { out = pf.append(out[:0], hs[0]) }); n != 0 {
		t.Errorf("framing a publish allocates %v times", n)
	}
}

// TestContentKeepsTheBodyHeader assembles a delivery from its frames,
// keeping only the header, and refuses frames out of order.
func TestContentKeepsTheBodyHeader(t *testing.T) {
	h := header{RunID: 1, Producer: 2, Seq: 3, SentNano: 4}
	body := make([]byte, 100)
	h.put(body)
	var hdr bytes.Buffer
	w := wire.NewWriter(&hdr)
	if err := w.WriteHeader(leanChannel, uint64(len(body)), &message.Properties{Flags: message.FlagDeliveryMode, DeliveryMode: 2}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	headerPayload := hdr.Bytes()[7 : hdr.Len()-1]

	var c content
	deliver := func() (header, error) {
		if err := c.begin(); err != nil {
			return header{}, err
		}
		if done, err := c.onHeader(headerPayload); done || err != nil {
			return header{}, fmt.Errorf("header: done %v, %v", done, err)
		}
		// The body in frames of 10, 20 and 70 bytes: the header spans two.
		for i, part := range [][]byte{body[:10], body[10:30], body[30:]} {
			done, err := c.onBody(part)
			if err != nil || done != (i == 2) {
				return header{}, fmt.Errorf("body frame %d: done %v, %v", i, done, err)
			}
		}
		return parseHeader(c.headBytes())
	}
	if got, err := deliver(); err != nil || got != h {
		t.Fatalf("assembled %+v, %v; want %+v", got, err, h)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = deliver() }); n != 0 {
		t.Errorf("assembling a delivery allocates %v times", n)
	}
	if _, err := c.onBody(body); !errors.Is(err, errContentOrder) {
		t.Errorf("body without a header: %v", err)
	}
	if _, err := c.onHeader(headerPayload); !errors.Is(err, errContentOrder) {
		t.Errorf("header without a method: %v", err)
	}
	c.begin()
	if err := c.begin(); !errors.Is(err, errContentOrder) {
		t.Errorf("a method inside content: %v", err)
	}
	c.onHeader(headerPayload)
	if _, err := c.onBody(make([]byte, 101)); !errors.Is(err, errContentOrder) {
		t.Errorf("a body longer than announced: %v", err)
	}
}

func TestDeliveryTag(t *testing.T) {
	m := &wire.BasicDeliver{ConsumerTag: "consumer 0", DeliveryTag: 1<<40 + 9, Redelivered: true, Exchange: "x", RoutingKey: "rk"}
	args, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if tag, err := deliveryTag(args); err != nil || tag != m.DeliveryTag {
		t.Errorf("deliveryTag = %d, %v; want %d", tag, err, m.DeliveryTag)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = deliveryTag(args) }); n != 0 {
		t.Errorf("deliveryTag allocates %v times", n)
	}
	for _, short := range [][]byte{nil, args[:1], args[:len(m.ConsumerTag)+8]} {
		if _, err := deliveryTag(short); !errors.Is(err, wire.ErrTruncated) {
			t.Errorf("deliveryTag of %d bytes: %v", len(short), err)
		}
	}
}

// TestSettleCountsEachTagOnce drives settle directly: out of order,
// multiple, repeats, and the window's ring wrapping around.
func TestSettleCountsEachTagOnce(t *testing.T) {
	const window = 4
	p := &producer{counts: &counters{}}
	p.ahead = make([]bool, window)
	p.sentAt = make([]atomic.Int64, window)
	publish := func(n uint64) { p.published.Store(n) }
	type step struct {
		tag           uint64
		multiple, ack bool
		inOrder       uint64 // after the step
	}
	publish(4)
	for i, s := range []step{
		{3, false, true, 0},  // ahead
		{2, false, false, 0}, // ahead, a nack
		{1, false, true, 3},  // closes the gap
		{2, false, true, 3},  // a repeat
		{4, true, true, 4},
	} {
		if err := p.settle(s.tag, s.multiple, s.ack); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := p.inOrder.Load(); got != s.inOrder {
			t.Fatalf("step %d: inOrder %d, want %d", i, got, s.inOrder)
		}
	}
	publish(8) // tags 5..8 reuse the ring's slots
	for _, s := range []step{{6, false, true, 4}, {8, true, false, 8}} {
		if err := p.settle(s.tag, s.multiple, s.ack); err != nil {
			t.Fatal(err)
		}
		if got := p.inOrder.Load(); got != s.inOrder {
			t.Fatalf("tag %d: inOrder %d, want %d", s.tag, got, s.inOrder)
		}
	}
	// Acked: 1, 3, 4, 6; nacked: 2, 5, 7, 8.
	if p.settledN.Load() != 8 || p.nacked != 4 || p.acked.len() != 4 || p.counts.confirmed.Load() != 4 ||
		!p.acked.has(0) || !p.acked.has(2) || !p.acked.has(3) || !p.acked.has(5) || p.confirmLat.Count() != 8 {
		t.Errorf("settled %d nacked %d acked %d (counter %d) latencies %d", p.settledN.Load(), p.nacked, p.acked.len(),
			p.counts.confirmed.Load(), p.confirmLat.Count())
	}
	if err := p.settle(9, false, true); err == nil {
		t.Error("a confirm of tag 9 with 8 published was accepted")
	}
	if err := p.settle(0, true, true); err == nil {
		t.Error("a confirm of tag 0 was accepted")
	}
}
