package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/ferrymq/ferry/internal/message"
)

// ContentHeader is the payload of a content header frame.
//
// 4.2.6.1 The Content Header: "A content header payload has this format:
//
//	0          2        4           12               14
//	+----------+--------+-----------+----------------+------------- - -
//	| class-id | weight | body size | property flags | property list...
//	+----------+--------+-----------+----------------+------------- - -
//	   short     short    long long       short        remainder...
//
// The class-id MUST match the method frame class id. [...] The weight field
// is unused and must be zero. The body size is a 64-bit value that defines
// the total size of the content body."
//
// Checking the class against the method's, and the body size against what
// arrives, is the channel's job; this type only carries them.
type ContentHeader struct {
	ClassID    uint16
	Weight     uint16 // kept as sent, so the header re-encodes unchanged
	BodySize   uint64
	Properties message.Properties
}

// contentHeaderFixed is the size of class-id, weight and body size.
const contentHeaderFixed = 2 + 2 + 8

// Read decodes a content header frame's payload into h.
func (h *ContentHeader) Read(payload []byte) error {
	if len(payload) < contentHeaderFixed {
		return syntaxError("content header of %d bytes, shorter than its %d fixed bytes: %w",
			len(payload), contentHeaderFixed, ErrTruncated)
	}
	h.ClassID = binary.BigEndian.Uint16(payload)
	h.Weight = binary.BigEndian.Uint16(payload[2:])
	h.BodySize = binary.BigEndian.Uint64(payload[4:])
	if h.ClassID != ClassBasic {
		return syntaxError("content header for class %d: %w", h.ClassID, ErrNoContentClass)
	}
	return ReadProperties(payload[contentHeaderFixed:], &h.Properties)
}

// Append appends h as a content header frame's payload to dst. On error
// dst is returned as it was.
func (h *ContentHeader) Append(dst []byte) ([]byte, error) {
	return appendContentHeader(dst, h.ClassID, h.Weight, h.BodySize, &h.Properties)
}

func appendContentHeader(dst []byte, classID, weight uint16, bodySize uint64, p *message.Properties) ([]byte, error) {
	if classID != ClassBasic {
		return dst, fmt.Errorf("encode content header for class %d: %w", classID, ErrNoContentClass)
	}
	out := binary.BigEndian.AppendUint16(dst, classID)
	out = binary.BigEndian.AppendUint16(out, weight)
	out = binary.BigEndian.AppendUint64(out, bodySize)
	out, err := AppendProperties(out, p)
	if err != nil {
		return dst, err
	}
	return out, nil
}
