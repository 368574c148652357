package wire

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// The fuzz targets below run their checked-in corpora under
// testdata/fuzz/ as plain tests; `go test -fuzz=FuzzX` explores further.

// FuzzReadFrame feeds arbitrary bytes to a Reader. It must never panic;
// every error is a clean end, a cut-off stream or a FRAME_ERROR; and every
// frame it accepts re-encodes to the bytes it was read from.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Type: FrameHeartbeat}))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := NewReader(bufio.NewReader(bytes.NewReader(stream)))
		off := 0
		for {
			fr, err := r.ReadFrame()
			if err != nil {
				if code, ok := ReplyCode(err); ok && code != FrameError {
					t.Fatalf("reader error with code %d: %v", code, err)
				}
				if _, ok := ReplyCode(err); !ok && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type: %v", err)
				}
				return
			}
			enc := AppendFrame(nil, fr)
			if !bytes.Equal(enc, stream[off:off+len(enc)]) {
				t.Fatalf("frame at %d re-encodes differently:\n got % x\nwant % x", off, enc, stream[off:off+len(enc)])
			}
			off += len(enc)
		}
	})
}

// FuzzReadMethod decodes arbitrary method frame payloads. It must never
// panic; errors are protocol errors; a decoded method re-encodes to the
// same length, and to exactly the same bytes except in a packed octet's
// unused bits, which the decoder ignores (so encoding is a fixed point).
func FuzzReadMethod(f *testing.F) {
	for _, m := range sampleMethods() {
		p, err := AppendMethodFrame(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := ReadMethodFrame(payload)
		if err != nil {
			if _, ok := ReplyCode(err); !ok {
				t.Fatalf("error is not a protocol error: %v", err)
			}
			return
		}
		enc, err := AppendMethodFrame(nil, m)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", m.Name(), err)
		}
		if len(enc) != len(payload) {
			t.Fatalf("%s: re-encoded to %d bytes from %d", m.Name(), len(enc), len(payload))
		}
		m2, err := ReadMethodFrame(enc)
		if err != nil {
			t.Fatalf("%s: decode of re-encoding: %v", m.Name(), err)
		}
		enc2, err := AppendMethodFrame(nil, m2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("%s: encoding is not a fixed point (%v)", m.Name(), err)
		}
	})
}

// FuzzReadProperties decodes arbitrary content header payloads. It must
// never panic; errors are SYNTAX_ERRORs; an accepted header re-encodes to
// exactly its bytes.
func FuzzReadProperties(f *testing.F) {
	props := everyProperty()
	h, err := (&ContentHeader{ClassID: ClassBasic, BodySize: 3, Properties: props}).Append(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var h ContentHeader
		if err := h.Read(payload); err != nil {
			if code, _ := ReplyCode(err); code != SyntaxError {
				t.Fatalf("error is not a SYNTAX_ERROR: %v", err)
			}
			return
		}
		enc, err := h.Append(nil)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(enc, payload) {
			t.Fatalf("re-encoding differs:\n got % x\nwant % x", enc, payload)
		}
	})
}
