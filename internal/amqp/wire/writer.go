package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ferrymq/ferry/internal/message"
)

// flushAt is how much a Writer buffers of a content body before it writes
// on its own, so a large body streams instead of being copied whole.
const flushAt = 64 << 10

// maxRetained is the largest buffer a Writer keeps after a flush; one
// large message should not pin its size for the life of the connection.
const maxRetained = 1 << 20

// Writer appends frames for one connection to a reused buffer and writes
// them with Flush, so a method, its content header and its body go out in
// one write. It is not safe for concurrent use: the connection's writer
// goroutine owns it.
type Writer struct {
	w        io.Writer
	frameMax uint32 // largest frame written, overhead included; 0: no limit
	buf      []byte // frames not yet written
	err      error  // the first write error; every later call returns it
}

// NewWriter returns a Writer to w that keeps frames within FrameMinSize
// until SetFrameMax.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, frameMax: FrameMinSize}
}

// SetFrameMax sets the largest frame written, header and end octet
// included. Zero means no limit; other values below FrameMinSize are
// raised to it, the least a peer may negotiate.
func (w *Writer) SetFrameMax(n uint32) {
	if n != 0 && n < FrameMinSize {
		n = FrameMinSize
	}
	w.frameMax = n
}

// Buffered returns how many bytes wait for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Flush writes the buffered frames.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if cap(w.buf) > maxRetained {
		w.buf = nil
	}
	if err != nil {
		w.err = fmt.Errorf("write frames: %w", err)
	}
	return w.err
}

// begin starts a frame, returning where it starts in the buffer.
func (w *Writer) begin(typ uint8, channel uint16) int {
	start := len(w.buf)
	w.buf = append(w.buf, typ, byte(channel>>8), byte(channel), 0, 0, 0, 0)
	return start
}

// end finishes the frame begun at start: it fills in the size and appends
// the frame-end octet, or drops the frame if it is over frame-max.
func (w *Writer) end(start int) error {
	size := len(w.buf) - start - 7
	if uint64(size) > math.MaxUint32 || (w.frameMax != 0 && uint64(size)+frameOverhead > uint64(w.frameMax)) {
		typ := w.buf[start]
		w.buf = w.buf[:start]
		return fmt.Errorf("type %d frame of %d bytes, frame-max %d: %w", typ, size+frameOverhead, w.frameMax, ErrFrameTooLarge)
	}
	binary.BigEndian.PutUint32(w.buf[start+3:], uint32(size))
	w.buf = append(w.buf, FrameEnd)
	return nil
}

// WriteFrame buffers f as it is.
func (w *Writer) WriteFrame(f Frame) error {
	if w.err != nil {
		return w.err
	}
	start := w.begin(f.Type, f.Channel)
	w.buf = append(w.buf, f.Payload...)
	return w.end(start)
}

// WriteMethod buffers a method frame for m. A method frame cannot be split,
// so one over frame-max is an error.
func (w *Writer) WriteMethod(channel uint16, m Method) error {
	if w.err != nil {
		return w.err
	}
	start := w.begin(FrameMethod, channel)
	out, err := AppendMethodFrame(w.buf, m)
	if err != nil {
		w.buf = w.buf[:start]
		return err
	}
	w.buf = out
	return w.end(start)
}

// WriteHeader buffers a basic content header frame announcing bodySize
// bytes of body.
func (w *Writer) WriteHeader(channel uint16, bodySize uint64, p *message.Properties) error {
	if w.err != nil {
		return w.err
	}
	start := w.begin(FrameHeader, channel)
	out, err := appendContentHeader(w.buf, ClassBasic, 0, bodySize, p)
	if err != nil {
		w.buf = w.buf[:start]
		return err
	}
	w.buf = out
	return w.end(start)
}

// WriteBody buffers body as content body frames of at most frame-max each
// (none for an empty body), writing as it goes once the buffer is large.
//
// 4.2.6.2 The Content Body: "The content body payload is an opaque binary
// block followed by a frame end octet [...] the content body can be split
// into as many frames as needed. The maximum size of the frame payload is
// agreed upon by both peers during connection negotiation."
func (w *Writer) WriteBody(channel uint16, body []byte) error {
	if w.err != nil {
		return w.err
	}
	chunk := len(body)
	if w.frameMax != 0 {
		chunk = int(w.frameMax) - frameOverhead
	}
	chunk = min(chunk, math.MaxUint32)
	for len(body) > 0 {
		n := min(chunk, len(body))
		start := w.begin(FrameBody, channel)
		w.buf = append(w.buf, body[:n]...)
		if err := w.end(start); err != nil {
			return err
		}
		body = body[n:]
		if len(w.buf) >= flushAt && len(body) > 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteContent buffers a method that carries content (basic.publish,
// basic.deliver, basic.get-ok, basic.return), its content header and its
// body. If the method or header cannot be encoded nothing is buffered.
//
// 4.2.6: "Certain specific methods (such as Basic.Publish, Basic.Deliver,
// etc.) carry content. [...] the method frame [is] followed by a content
// header frame [and] zero or more content body frames."
func (w *Writer) WriteContent(channel uint16, m Method, p *message.Properties, body []byte) error {
	if !m.HasContent() {
		return fmt.Errorf("write content: %s: %w", m.Name(), errNoContent)
	}
	start := len(w.buf)
	if err := w.WriteMethod(channel, m); err != nil {
		return err
	}
	if err := w.WriteHeader(channel, uint64(len(body)), p); err != nil {
		w.buf = w.buf[:start]
		return err
	}
	return w.WriteBody(channel, body)
}

var errNoContent = errors.New("method carries no content")

// WriteHeartbeat buffers a heartbeat frame (type 8, channel 0, no payload).
func (w *Writer) WriteHeartbeat() error {
	return w.WriteFrame(Frame{Type: FrameHeartbeat})
}
