package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// methodsInSpec is how many methods RabbitMQ's JSON spec defines, counted
// by hand: connection 14, channel 6, access 2, exchange 8, queue 10,
// basic 18, confirm 2, tx 6 (the XML's 64 plus access.request and
// access.request-ok).
const methodsInSpec = 66

func TestMethodRoundTripEveryMethod(t *testing.T) {
	seen := map[[2]uint16]bool{}
	for _, m := range sampleMethods() {
		classID, methodID := m.ID()
		seen[[2]uint16{classID, methodID}] = true
		payload, err := AppendMethodFrame(nil, m)
		if err != nil {
			t.Fatalf("%s: AppendMethodFrame: %v", m.Name(), err)
		}
		got, err := ReadMethodFrame(payload)
		if err != nil {
			t.Fatalf("%s: ReadMethodFrame: %v", m.Name(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: round trip\n got %#v\nwant %#v", m.Name(), got, m)
		}
		again, err := AppendMethodFrame(nil, got)
		if err != nil || !bytes.Equal(again, payload) {
			t.Errorf("%s: re-encoding differs (err %v)", m.Name(), err)
		}
	}
	if len(seen) != methodsInSpec {
		t.Errorf("samples cover %d methods, want %d", len(seen), methodsInSpec)
	}
}

// TestMethodReadOverwrites checks that a reused Method takes every field
// from the new arguments, leaving nothing of the old value behind.
func TestMethodReadOverwrites(t *testing.T) {
	full := &BasicConsume{Ticket: 1, Queue: "q", ConsumerTag: "c", NoLocal: true, NoAck: true, Exclusive: true, NoWait: true,
		Arguments: message.Table{{Key: "x", Value: "y"}}}
	empty, err := (&BasicConsume{}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := full.Read(empty); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full, &BasicConsume{}) {
		t.Errorf("after reading zero arguments: %#v, want the zero value", full)
	}
}

// TestMethodGolden checks whole frames against bytes worked out by hand
// from the spec: 4.2.3 framing, 4.2.4 class and method ids, 4.2.5 types.
func TestMethodGolden(t *testing.T) {
	cases := []struct {
		name    string
		channel uint16
		m       Method
		want    []byte
	}{
		{"connection.tune", 0, &ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60}, []byte{
			1, 0, 0, 0, 0, 0, 12, // method frame, channel 0, 12 bytes
			0, 10, 0, 30, // class 10, method 30
			0x07, 0xff, // channel-max 2047
			0, 2, 0, 0, // frame-max 131072
			0, 60, // heartbeat 60
			0xce,
		}},
		{"basic.publish", 1, &BasicPublish{Exchange: "ex", RoutingKey: "rk", Mandatory: true}, []byte{
			1, 0, 1, 0, 0, 0, 13,
			0, 60, 0, 40,
			0, 0, // ticket
			2, 'e', 'x',
			2, 'r', 'k',
			0x01, // mandatory is bit 0, immediate bit 1
			0xce,
		}},
		{"exchange.declare", 3, &ExchangeDeclare{Exchange: "e", Type: "topic", Durable: true, Internal: true,
			Arguments: message.Table{{Key: "a", Value: true}}}, []byte{
			1, 0, 3, 0, 0, 0, 23,
			0, 40, 0, 10,
			0, 0,
			1, 'e',
			5, 't', 'o', 'p', 'i', 'c',
			0x0a, // passive 0, durable 1, auto-delete 2, internal 3, nowait 4
			0, 0, 0, 4, 1, 'a', 't', 1,
			0xce,
		}},
		{"queue.declare", 2, &QueueDeclare{Queue: "q", Exclusive: true, NoWait: true}, []byte{
			1, 0, 2, 0, 0, 0, 13,
			0, 50, 0, 10,
			0, 0,
			1, 'q',
			0x14, // passive 0, durable 1, exclusive 2, auto-delete 3, nowait 4
			0, 0, 0, 0,
			0xce,
		}},
		{"connection.close", 0, &ConnectionClose{ReplyCode: 404, ReplyText: "NOT_FOUND", ClassID: 60, MethodID: 40}, []byte{
			1, 0, 0, 0, 0, 0, 20,
			0, 10, 0, 50,
			0x01, 0x94,
			9, 'N', 'O', 'T', '_', 'F', 'O', 'U', 'N', 'D',
			0, 60, 0, 40,
			0xce,
		}},
		{"basic.ack", 5, &BasicAck{DeliveryTag: 0x0102030405060708, Multiple: true}, []byte{
			1, 0, 5, 0, 0, 0, 13,
			0, 60, 0, 80,
			1, 2, 3, 4, 5, 6, 7, 8,
			1,
			0xce,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			w := NewWriter(&out)
			if err := w.WriteMethod(c.channel, c.m); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), c.want) {
				t.Fatalf("encoded\n got % x\nwant % x", out.Bytes(), c.want)
			}
			got, err := ReadMethodFrame(c.want[7 : len(c.want)-1])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.m) {
				t.Errorf("decoded %#v, want %#v", got, c.m)
			}
		})
	}
}

func TestReadMethodErrors(t *testing.T) {
	publish, err := AppendMethodFrame(nil, &BasicPublish{Exchange: "ex", RoutingKey: "rk"})
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(publish); cut++ {
		_, err := ReadMethodFrame(publish[:cut])
		if code, ok := ReplyCode(err); !ok || code != SyntaxError || !errors.Is(err, ErrTruncated) {
			t.Fatalf("method cut to %d/%d bytes: err = %v, want SYNTAX_ERROR wrapping ErrTruncated", cut, len(publish), err)
		}
	}
	_, err = ReadMethodFrame(append(publish, 0))
	if code, _ := ReplyCode(err); code != SyntaxError || !errors.Is(err, ErrTrailingBytes) {
		t.Errorf("trailing byte: err = %v, want SYNTAX_ERROR wrapping ErrTrailingBytes", err)
	}
	_, err = ReadMethodFrame([]byte{0, 60, 0, 41})
	if code, _ := ReplyCode(err); code != NotImplemented || !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("basic method 41: err = %v, want NOT_IMPLEMENTED wrapping ErrUnknownMethod", err)
	}
	// A table argument with an unknown field type is a syntax error too.
	bad := []byte{0, 50, 0, 10, 0, 0, 1, 'q', 0, 0, 0, 0, 3, 1, 'k', 'Z'}
	_, err = ReadMethodFrame(bad)
	if code, _ := ReplyCode(err); code != SyntaxError || !errors.Is(err, message.ErrUnknownType) {
		t.Errorf("bad arguments table: err = %v, want SYNTAX_ERROR wrapping message.ErrUnknownType", err)
	}
}

// TestMethodUnusedBitsIgnored: RabbitMQ ignores the bits of a packed octet
// that no field uses, and so does the decoder.
func TestMethodUnusedBitsIgnored(t *testing.T) {
	args := []byte{0, 0, 0, 0, 0xfc} // ticket, exchange "", routing key "", bits with 2..7 set
	var m BasicPublish
	if err := m.Read(args); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if m.Mandatory || m.Immediate {
		t.Errorf("unused bits set fields: %+v", m)
	}
}

func TestMethodAppendErrorLeavesDst(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []Method{
		&BasicPublish{RoutingKey: long},
		&QueueDeclare{Queue: "q", Arguments: message.Table{{Key: "x", Value: 7}}}, // int has no field type
	}
	for _, m := range cases {
		dst := []byte("keep")
		out, err := AppendMethodFrame(dst, m)
		if err == nil {
			t.Errorf("%s: no error", m.Name())
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst after error = %q, want it unchanged", m.Name(), out)
		}
	}
}

func TestReplyCodes(t *testing.T) {
	if !IsHardError(FrameError) || IsSoftError(FrameError) {
		t.Error("FRAME_ERROR should be hard, not soft")
	}
	if !IsSoftError(NotFound) || IsHardError(NotFound) {
		t.Error("NOT_FOUND should be soft, not hard")
	}
	if IsHardError(ReplySuccess) || IsSoftError(ReplySuccess) {
		t.Error("REPLY_SUCCESS is no error")
	}
	if got := ReplyName(PreconditionFailed); got != "PRECONDITION_FAILED" {
		t.Errorf("ReplyName(406) = %q", got)
	}
	if got := ReplyName(999); got != "" {
		t.Errorf("ReplyName(999) = %q, want empty", got)
	}
	if _, ok := ReplyCode(errors.New("plain")); ok {
		t.Error("ReplyCode of a plain error reported a code")
	}
}
