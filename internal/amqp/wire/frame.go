package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// ProtocolHeader opens every AMQP 0-9-1 connection.
//
// 4.2.2 Protocol Header: "The client MUST start a new connection by sending
// a protocol header. This is an 8-octet sequence:
//
//	+---+---+---+---+---+---+---+---+
//	|'A'|'M'|'Q'|'P'| 0 | 0 | 9 | 1 |
//	+---+---+---+---+---+---+---+---+
//	            8 octets
//
// [...] If the server does not recognise the first 5 octets of data on the
// socket, or does not support the specific protocol version that the client
// requests, it MUST write a valid protocol header to the open socket [...]
// and then close the socket connection."
const ProtocolHeader = "AMQP\x00\x00\x09\x01"

// ReadProtocolHeader reads the 8 octets a client opens with and checks
// them. On ErrProtocolHeader the server writes ProtocolHeader and closes.
func ReadProtocolHeader(r io.Reader) error {
	var got [len(ProtocolHeader)]byte
	if _, err := io.ReadFull(r, got[:]); err != nil {
		return fmt.Errorf("read protocol header: %w", err)
	}
	if string(got[:]) != ProtocolHeader {
		return fmt.Errorf("got %q: %w", got[:], ErrProtocolHeader)
	}
	return nil
}

// Frame is one frame as it travels: its type, its channel and its payload.
type Frame struct {
	Type    uint8 // FrameMethod, FrameHeader, FrameBody or FrameHeartbeat
	Channel uint16
	Payload []byte
}

// frameOverhead is the header (type, channel, size) plus the frame-end
// octet; frame-max counts them (connection.tune: "The largest frame size
// [...] including frame header and end-byte").
const frameOverhead = 7 + 1

// growStep bounds how much the reader's buffer grows ahead of the bytes
// that have actually arrived.
const growStep = 64 << 10

// Reader reads frames from a connection. It is not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	frameMax uint32  // largest frame accepted, overhead included; 0: no limit
	hdr      [7]byte // the frame header being read
	buf      []byte  // payload of the last frame, reused
}

// NewReader returns a Reader over br that accepts frames up to
// FrameMinSize, the limit until connection.tune-ok has set frame-max
// ("Until the frame-max has been negotiated, both peers MUST accept frames
// of up to frame-min-size octets large").
func NewReader(br *bufio.Reader) *Reader {
	return &Reader{br: br, frameMax: FrameMinSize}
}

// SetFrameMax sets the largest frame accepted, frame header and end octet
// included, as negotiated by connection.tune-ok. Zero means no limit, as
// in the spec; the buffer then still grows only as bytes arrive. Values
// below FrameMinSize are raised to it, which a peer may always send.
func (r *Reader) SetFrameMax(n uint32) {
	if n != 0 && n < FrameMinSize {
		n = FrameMinSize
	}
	r.frameMax = n
}

// ReadFrame reads the next frame. Its Payload is valid until the next call.
//
// At a clean end of stream between frames it returns io.EOF; a stream that
// ends inside a frame gives io.ErrUnexpectedEOF. A malformed frame gives an
// *Error with FRAME_ERROR.
//
// 4.2.3 General Frame Format: "All frames start with a 7-octet header
// composed of a type field (octet), a channel field (short integer) and a
// size field (long integer):
//
//	0      1         3             7                  size+7 size+8
//	+------+---------+-------------+  +------------+  +-----------+
//	| type | channel |     size    |  |  payload   |  | frame-end |
//	+------+---------+-------------+  +------------+  +-----------+
//	 octet   short         long         size octets       octet
//
// [...] If a peer receives a frame with a type that is not one of these
// defined types, it MUST treat this as a fatal protocol error [...] When a
// peer reads a frame it MUST check that the frame-end is valid before
// attempting to decode the frame. [...] A peer MUST NOT send frames larger
// than the agreed-upon size. A peer that receives an oversized frame MUST
// signal a connection exception with reply code 501 (frame error)."
func (r *Reader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return Frame{}, err
	}
	f := Frame{Type: r.hdr[0], Channel: binary.BigEndian.Uint16(r.hdr[1:])}
	size := binary.BigEndian.Uint32(r.hdr[3:])
	switch f.Type {
	case FrameMethod, FrameHeader, FrameBody:
	case FrameHeartbeat:
		// 4.2.7: "Heartbeat frames MUST have a channel number of zero. A
		// peer that receives an invalid heartbeat frame MUST raise a
		// connection exception with reply code 501 (frame error)."
		if f.Channel != 0 {
			return Frame{}, &Error{Code: FrameError, Err: fmt.Errorf("channel %d: %w", f.Channel, ErrHeartbeat)}
		}
	default:
		return Frame{}, &Error{Code: FrameError, Err: fmt.Errorf("type %d on channel %d: %w", f.Type, f.Channel, ErrFrameType)}
	}
	if r.frameMax != 0 && uint64(size)+frameOverhead > uint64(r.frameMax) {
		return Frame{}, &Error{Code: FrameError, Err: fmt.Errorf("%d bytes with header and end, frame-max %d: %w",
			uint64(size)+frameOverhead, r.frameMax, ErrFrameTooLarge)}
	}
	payload, err := r.readPayload(int(size))
	if err != nil {
		return Frame{}, unexpected(err)
	}
	end, err := r.br.ReadByte()
	if err != nil {
		return Frame{}, unexpected(err)
	}
	if end != FrameEnd {
		return Frame{}, &Error{Code: FrameError, Err: fmt.Errorf("type %d, channel %d, %d bytes, end %#02x: %w",
			f.Type, f.Channel, size, end, ErrFrameEnd)}
	}
	f.Payload = payload
	return f, nil
}

// readPayload reads size bytes into the reused buffer. A size larger than
// the buffer grows it in steps as the bytes arrive, so a size field that
// lies costs no more memory than what the peer really sent.
func (r *Reader) readPayload(size int) ([]byte, error) {
	if size <= cap(r.buf) {
		r.buf = r.buf[:size]
		_, err := io.ReadFull(r.br, r.buf)
		return r.buf, err
	}
	b := r.buf[:0]
	for len(b) < size {
		step := min(size-len(b), max(len(b), growStep))
		b = slices.Grow(b, step)[:len(b)+step]
		if _, err := io.ReadFull(r.br, b[len(b)-step:]); err != nil {
			r.buf = b[:0]
			return nil, err
		}
	}
	r.buf = b
	return b, nil
}

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends f in wire form to dst.
func AppendFrame(dst []byte, f Frame) []byte {
	dst = append(dst, f.Type)
	dst = binary.BigEndian.AppendUint16(dst, f.Channel)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Payload)))
	dst = append(dst, f.Payload...)
	return append(dst, FrameEnd)
}

// String describes a frame for logs, without its payload.
func (f Frame) String() string {
	names := [...]string{FrameMethod: "method", FrameHeader: "header", FrameBody: "body", FrameHeartbeat: "heartbeat"}
	name := ""
	if int(f.Type) < len(names) {
		name = names[f.Type]
	}
	if name == "" {
		name = fmt.Sprintf("type-%d", f.Type)
	}
	return fmt.Sprintf("%s frame, channel %d, %d bytes", name, f.Channel, len(f.Payload))
}
