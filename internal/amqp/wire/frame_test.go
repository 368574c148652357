package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func newTestReader(b []byte) *Reader {
	return NewReader(bufio.NewReader(bytes.NewReader(b)))
}

func TestReadFrameSequence(t *testing.T) {
	want := []Frame{
		{Type: FrameMethod, Channel: 1, Payload: []byte{0, 60, 0, 40, 0, 0, 0, 0, 0}},
		{Type: FrameHeader, Channel: 1, Payload: bytes.Repeat([]byte{7}, 14)},
		{Type: FrameBody, Channel: 1, Payload: []byte("hello")},
		{Type: FrameBody, Channel: 65535, Payload: []byte{}},
		{Type: FrameHeartbeat, Channel: 0, Payload: []byte{}},
	}
	var stream []byte
	for _, f := range want {
		stream = AppendFrame(stream, f)
	}
	r := newTestReader(stream)
	for i, w := range want {
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Type != w.Type || got.Channel != w.Channel || !bytes.Equal(got.Payload, w.Payload) {
			t.Fatalf("frame %d = %v % x, want %v % x", i, got, got.Payload, w, w.Payload)
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Errorf("after the last frame: err = %v, want io.EOF", err)
	}
}

func TestReadFrameReusesBuffer(t *testing.T) {
	stream := AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: []byte("first")})
	stream = AppendFrame(stream, Frame{Type: FrameBody, Channel: 1, Payload: []byte("again")})
	r := newTestReader(stream)
	a, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if string(a.Payload) != "again" {
		t.Errorf("first payload after a second read = %q; the buffer is not being reused", a.Payload)
	}
}

func TestReadFrameErrors(t *testing.T) {
	good := AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: []byte("abc")})
	badEnd := bytes.Clone(good)
	badEnd[len(badEnd)-1] = 0xcd
	cases := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"bad frame end", badEnd, ErrFrameEnd},
		{"unknown type", AppendFrame(nil, Frame{Type: 4, Payload: []byte{}}), ErrFrameType},
		{"heartbeat off channel 0", AppendFrame(nil, Frame{Type: FrameHeartbeat, Channel: 2}), ErrHeartbeat},
		{"over frame-min-size", AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: make([]byte, int(FrameMinSize)-7)}), ErrFrameTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newTestReader(c.stream).ReadFrame()
			if code, _ := ReplyCode(err); code != FrameError || !errors.Is(err, c.want) {
				t.Errorf("err = %v, want FRAME_ERROR wrapping %v", err, c.want)
			}
		})
	}
	// Exactly frame-min-size, overhead included, is allowed.
	atLimit := AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: make([]byte, int(FrameMinSize)-8)})
	if _, err := newTestReader(atLimit).ReadFrame(); err != nil {
		t.Errorf("frame of exactly frame-min-size: %v", err)
	}
	for cut := 1; cut < len(good); cut++ {
		if _, err := newTestReader(good[:cut]).ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Errorf("frame cut to %d/%d bytes: err = %v, want io.ErrUnexpectedEOF", cut, len(good), err)
		}
	}
}

func TestReaderSetFrameMax(t *testing.T) {
	big := AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: make([]byte, 10000)})
	r := newTestReader(big)
	r.SetFrameMax(10008)
	if _, err := r.ReadFrame(); err != nil {
		t.Errorf("frame of exactly frame-max: %v", err)
	}
	r = newTestReader(big)
	r.SetFrameMax(10007)
	if _, err := r.ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("frame one byte over frame-max: err = %v, want ErrFrameTooLarge", err)
	}
	r = newTestReader(AppendFrame(nil, Frame{Type: FrameBody, Payload: make([]byte, 4000)}))
	r.SetFrameMax(100) // below the spec minimum: raised to frame-min-size
	if _, err := r.ReadFrame(); err != nil {
		t.Errorf("frame under frame-min-size with frame-max set to 100: %v", err)
	}
}

// TestReaderLyingSizeAllocatesLittle: with no frame-max, a frame that
// claims 4 GiB but sends a few bytes must not make the reader allocate
// anything near 4 GiB.
func TestReaderLyingSizeAllocatesLittle(t *testing.T) {
	stream := []byte{FrameBody, 0, 1, 0xff, 0xff, 0xff, 0xf0, 'a', 'b', 'c'}
	r := newTestReader(stream)
	r.SetFrameMax(0)
	if _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	if cap(r.buf) > 2*growStep {
		t.Errorf("buffer grew to %d bytes for 3 bytes of payload", cap(r.buf))
	}
}

func TestReaderUnlimitedLargeFrame(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 000 bytes, several growth steps
	r := newTestReader(AppendFrame(nil, Frame{Type: FrameBody, Channel: 1, Payload: payload}))
	r.SetFrameMax(0)
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Payload, payload) {
		t.Error("large payload read back differently")
	}
}

func TestReadProtocolHeader(t *testing.T) {
	if err := ReadProtocolHeader(strings.NewReader(ProtocolHeader + "rest")); err != nil {
		t.Errorf("valid header: %v", err)
	}
	for _, bad := range []string{"AMQP\x01\x01\x00\x09", "GET / HTTP/1.1", "AMQP\x00\x01\x00\x00"} {
		if err := ReadProtocolHeader(strings.NewReader(bad)); !errors.Is(err, ErrProtocolHeader) {
			t.Errorf("header %q: err = %v, want ErrProtocolHeader", bad, err)
		}
	}
	if err := ReadProtocolHeader(strings.NewReader("AMQP")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short header: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestFrameString(t *testing.T) {
	if got := (Frame{Type: FrameBody, Channel: 3, Payload: []byte("ab")}).String(); got != "body frame, channel 3, 2 bytes" {
		t.Errorf("String() = %q", got)
	}
	if got := (Frame{Type: 9}).String(); got != "type-9 frame, channel 0, 0 bytes" {
		t.Errorf("String() = %q", got)
	}
}
