package loadgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// This file holds the lean client's per-message framing: publishes out,
// and deliveries and returns in, without allocating per message.

// maxBatchBytes bounds one write of publishes: a full confirm window of
// small messages goes out in one write, a window of large ones in several
// of about this size, so the batch buffer stays small.
const maxBatchBytes = 1 << 20

// publishFrames frames one producer's basic.publish messages. Every
// message has the same method frame (default exchange, routing key =
// queue, mandatory) and the same content header (same size and delivery
// mode), so those two frames are encoded once, by package wire; per
// message only the body frames are appended, and the load-tool header is
// stamped into the first of them in place.
type publishFrames struct {
	prefix []byte // the basic.publish method frame and the content header frame
	body   []byte // a zero body of the message size: the padding
	chunk  int    // body bytes per body frame: frame-max less the 8 bytes of framing
}

func newPublishFrames(queue string, size int, persistent bool, frameMax uint32) (*publishFrames, error) {
	props := message.Properties{Flags: message.FlagDeliveryMode, DeliveryMode: message.Transient}
	if persistent {
		props.DeliveryMode = message.Persistent
	}
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	w.SetFrameMax(frameMax)
	if err := w.WriteMethod(leanChannel, &wire.BasicPublish{RoutingKey: queue, Mandatory: true}); err != nil {
		return nil, err
	}
	if err := w.WriteHeader(leanChannel, uint64(size), &props); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	pf := &publishFrames{prefix: b.Bytes(), body: make([]byte, size), chunk: int(frameMax) - 8}
	if pf.chunk < HeaderSize {
		return nil, fmt.Errorf("frame-max %d leaves no room for the %d-byte header", frameMax, HeaderSize)
	}
	return pf, nil
}

// wireSize is how many bytes one message takes on the wire.
func (pf *publishFrames) wireSize() int {
	frames := (len(pf.body) + pf.chunk - 1) / pf.chunk
	return len(pf.prefix) + len(pf.body) + 8*frames
}

// batchLimit is how many messages one write carries at most.
func (pf *publishFrames) batchLimit() uint64 {
	return uint64(max(1, maxBatchBytes/pf.wireSize()))
}

// append appends the frames of the message with header h to dst.
//
// 4.2.6.2: "the content body can be split into as many frames as needed.
// The maximum size of the frame payload is agreed upon by both peers
// during connection negotiation."
func (pf *publishFrames) append(dst []byte, h header) []byte {
	dst = append(dst, pf.prefix...)
	first := len(dst) + 7 // the first body frame's payload
	for body := pf.body; len(body) > 0; {
		n := min(pf.chunk, len(body))
		dst = wire.AppendFrame(dst, wire.Frame{Type: wire.FrameBody, Channel: leanChannel, Payload: body[:n]})
		body = body[n:]
	}
	h.put(dst[first:])
	return dst
}

// content follows one incoming message (basic.deliver or basic.return)
// through its content header and body frames, and keeps only what the
// load tool reads: the first HeaderSize bytes of the body. Nothing of a
// frame is kept past the next read, so no frame is copied whole.
type content struct {
	state int    // contentNone, contentHeader or contentBody
	left  uint64 // body bytes still to come
	n     int    // bytes of head filled
	head  [HeaderSize]byte
	hdr   wire.ContentHeader // reused: decoding our own properties allocates nothing
}

const (
	contentNone   = iota // no content expected: the next frame is a method
	contentHeader        // a content method arrived; its header is next
	contentBody          // body frames are next
)

var errContentOrder = errors.New("content frames out of order")

// begin starts a message after its method frame.
func (c *content) begin() error {
	if c.state != contentNone {
		return fmt.Errorf("a method frame inside a message's content: %w", errContentOrder)
	}
	c.state, c.n = contentHeader, 0
	return nil
}

// pending reports whether a message has begun but not ended.
func (c *content) pending() bool { return c.state != contentNone }

// onHeader takes the content header frame and reports whether the message
// is complete (an empty body).
func (c *content) onHeader(payload []byte) (bool, error) {
	if c.state != contentHeader {
		return false, fmt.Errorf("a content header without its method: %w", errContentOrder)
	}
	if err := c.hdr.Read(payload); err != nil {
		return false, err
	}
	c.left = c.hdr.BodySize
	c.state = contentBody
	if c.left == 0 {
		c.state = contentNone
	}
	return c.state == contentNone, nil
}

// onBody takes a body frame and reports whether the message is complete.
func (c *content) onBody(payload []byte) (bool, error) {
	if c.state != contentBody {
		return false, fmt.Errorf("a body frame without its header: %w", errContentOrder)
	}
	if uint64(len(payload)) > c.left {
		return false, fmt.Errorf("body frame of %d bytes, %d announced: %w", len(payload), c.left, errContentOrder)
	}
	c.n += copy(c.head[c.n:], payload)
	c.left -= uint64(len(payload))
	if c.left == 0 {
		c.state = contentNone
	}
	return c.state == contentNone, nil
}

// headBytes is the start of the finished message's body, at most
// HeaderSize bytes: all that parseHeader reads.
func (c *content) headBytes() []byte { return c.head[:c.n] }

// deliveryTag reads the delivery-tag from basic.deliver's arguments,
//
//	consumer-tag shortstr, delivery-tag longlong, redelivered bit,
//	exchange shortstr, routing-key shortstr
//
// without decoding the three strings: BasicDeliver.Read would allocate
// them for every message, and the consumer needs none of them.
func deliveryTag(args []byte) (uint64, error) {
	if len(args) < 1 || len(args) < 1+int(args[0])+8 {
		return 0, fmt.Errorf("basic.deliver of %d bytes: %w", len(args), wire.ErrTruncated)
	}
	return binary.BigEndian.Uint64(args[1+int(args[0]):]), nil
}
