package wire

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
)

// readAll reads every frame of stream with frame-max unlimited.
func readAll(t *testing.T, stream []byte) []Frame {
	t.Helper()
	r := NewReader(bufio.NewReader(bytes.NewReader(stream)))
	r.SetFrameMax(0)
	var frames []Frame
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		f.Payload = bytes.Clone(f.Payload)
		frames = append(frames, f)
	}
	return frames
}

func TestWriteContentSplitsBody(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.SetFrameMax(FrameMinSize)
	body := bytes.Repeat([]byte("x"), 10000)
	props := everyProperty()
	m := &BasicDeliver{ConsumerTag: "ctag", DeliveryTag: 7, Exchange: "ex", RoutingKey: "rk"}
	if err := w.WriteContent(9, m, &props, body); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, out.Bytes())
	max := int(FrameMinSize) - 8
	wantTypes := []uint8{FrameMethod, FrameHeader, FrameBody, FrameBody, FrameBody}
	if len(frames) != len(wantTypes) {
		t.Fatalf("%d frames, want %d", len(frames), len(wantTypes))
	}
	var got []byte
	for i, f := range frames {
		if f.Type != wantTypes[i] || f.Channel != 9 {
			t.Errorf("frame %d: %v, want type %d on channel 9", i, f, wantTypes[i])
		}
		if f.Type == FrameBody {
			if len(f.Payload) > max {
				t.Errorf("body frame %d has %d bytes, more than %d", i, len(f.Payload), max)
			}
			got = append(got, f.Payload...)
		}
	}
	if !bytes.Equal(got, body) {
		t.Error("body frames do not add up to the body")
	}
	if len(frames[2].Payload) != max {
		t.Errorf("first body frame %d bytes, want full frames of %d", len(frames[2].Payload), max)
	}
	dm, err := ReadMethodFrame(frames[0].Payload)
	if err != nil || !reflect.DeepEqual(dm, m) {
		t.Errorf("method = %#v, %v; want %#v", dm, err, m)
	}
	var h ContentHeader
	if err := h.Read(frames[1].Payload); err != nil {
		t.Fatal(err)
	}
	if h.ClassID != ClassBasic || h.BodySize != uint64(len(body)) || !reflect.DeepEqual(h.Properties, props) {
		t.Errorf("header = %+v", h)
	}
}

func TestWriteContentEmptyBody(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.WriteContent(1, &BasicPublish{}, &message.Properties{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, out.Bytes())
	if len(frames) != 2 || frames[0].Type != FrameMethod || frames[1].Type != FrameHeader {
		t.Errorf("frames %v, want a method and a header and no body frame", frames)
	}
}

func TestWriteHeartbeatGolden(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.WriteHeartbeat(); err != nil {
		t.Fatal(err)
	}
	if w.Buffered() != 8 {
		t.Errorf("Buffered() = %d before Flush, want 8", w.Buffered())
	}
	if out.Len() != 0 {
		t.Error("frame written before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []byte{8, 0, 0, 0, 0, 0, 0, 0xce}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("heartbeat % x, want % x", out.Bytes(), want)
	}
}

func TestWriterRefusesWithoutSideEffects(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.WriteHeartbeat(); err != nil {
		t.Fatal(err)
	}
	before := w.Buffered()
	big := &ConnectionStart{Mechanisms: strings.Repeat("m", int(FrameMinSize))}
	if err := w.WriteMethod(0, big); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("method over frame-max: err = %v, want ErrFrameTooLarge", err)
	}
	if err := w.WriteContent(1, &BasicAck{}, &message.Properties{}, nil); err == nil {
		t.Error("WriteContent with basic.ack: no error")
	}
	bad := message.Properties{Flags: message.FlagType, Type: strings.Repeat("t", 300)}
	if err := w.WriteContent(1, &BasicPublish{}, &bad, []byte("b")); err == nil {
		t.Error("WriteContent with a 300-byte type: no error")
	}
	if w.Buffered() != before {
		t.Errorf("Buffered() = %d after refused writes, want %d", w.Buffered(), before)
	}
}

// failingWriter fails every write after the first n.
type failingWriter struct {
	n      int
	writes int
}

var errReset = errors.New("connection reset")

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.n {
		return 0, errReset
	}
	return len(p), nil
}

func TestWriterErrorIsSticky(t *testing.T) {
	fw := &failingWriter{n: 0}
	w := NewWriter(fw)
	if err := w.WriteHeartbeat(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); !errors.Is(err, errReset) {
		t.Fatalf("Flush: err = %v, want errReset", err)
	}
	if err := w.WriteHeartbeat(); !errors.Is(err, errReset) {
		t.Errorf("WriteHeartbeat after a failed flush: err = %v, want errReset", err)
	}
	if err := w.Flush(); !errors.Is(err, errReset) || fw.writes != 1 {
		t.Errorf("second Flush: err = %v after %d writes, want errReset and no new write", err, fw.writes)
	}
}

// TestWriteBodyStreamsLargeBodies: a large body goes out in several
// writes rather than being copied whole into the buffer first.
func TestWriteBodyStreamsLargeBodies(t *testing.T) {
	fw := &failingWriter{n: 1 << 30}
	w := NewWriter(fw)
	w.SetFrameMax(131072)
	if err := w.WriteBody(1, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if fw.writes < 2 {
		t.Errorf("%d writes during WriteBody of 1 MiB, want it to stream", fw.writes)
	}
	if w.Buffered() > flushAt+131072 {
		t.Errorf("%d bytes still buffered", w.Buffered())
	}
}
