package message

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// AppendFieldValue appends v as a tagged AMQP field value (one tag octet,
// then the value) to dst. v must have one of the Go types listed on Table.
func AppendFieldValue(dst []byte, v any) ([]byte, error) {
	return appendValue(dst, v, 0)
}

// ReadFieldValue decodes one tagged AMQP field value from the start of src
// and reports how many bytes it took.
func ReadFieldValue(src []byte) (v any, n int, err error) {
	return readValue(src, 0)
}

// appendValue encodes v as a field value inside a container at depth depth
// (0 when the value stands alone). A nested table or array sits at depth+1.
//
// Tags and widths are RabbitMQ's (AMQP 0-9-1 errata, "3 Field types");
// all integers are big-endian (§4.2.5.2, network byte order).
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, 'V'), nil
	case bool:
		b := byte(0)
		if v {
			b = 1
		}
		return append(dst, 't', b), nil
	case int8:
		return append(dst, 'b', byte(v)), nil
	case uint8:
		return append(dst, 'B', v), nil
	case int16:
		return binary.BigEndian.AppendUint16(append(dst, 's'), uint16(v)), nil
	case uint16:
		return binary.BigEndian.AppendUint16(append(dst, 'u'), v), nil
	case int32:
		return binary.BigEndian.AppendUint32(append(dst, 'I'), uint32(v)), nil
	case uint32:
		return binary.BigEndian.AppendUint32(append(dst, 'i'), v), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(dst, 'l'), uint64(v)), nil
	case float32:
		return binary.BigEndian.AppendUint32(append(dst, 'f'), math.Float32bits(v)), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, 'd'), math.Float64bits(v)), nil
	case Decimal:
		// §4.2.5.5: decimal-value = scale long-uint; scale = OCTET.
		return binary.BigEndian.AppendUint32(append(dst, 'D', v.Scale), uint32(v.Value)), nil
	case string:
		if uint64(len(v)) > math.MaxUint32 {
			return dst, fmt.Errorf("long string of %d bytes: %w", len(v), ErrTooLarge)
		}
		dst = binary.BigEndian.AppendUint32(append(dst, 'S'), uint32(len(v)))
		return append(dst, v...), nil
	case []byte:
		if uint64(len(v)) > math.MaxUint32 {
			return dst, fmt.Errorf("byte array of %d bytes: %w", len(v), ErrTooLarge)
		}
		dst = binary.BigEndian.AppendUint32(append(dst, 'x'), uint32(len(v)))
		return append(dst, v...), nil
	case time.Time:
		// Timestamps are 64-bit POSIX seconds (§4.2.5.4).
		return binary.BigEndian.AppendUint64(append(dst, 'T'), uint64(v.Unix())), nil
	case Table:
		dst = append(dst, 'F')
		out, err := appendTable(dst, v, depth+1)
		if err != nil {
			return dst[:len(dst)-1], err
		}
		return out, nil
	case []any:
		dst = append(dst, 'A')
		out, err := appendArray(dst, v, depth+1)
		if err != nil {
			return dst[:len(dst)-1], err
		}
		return out, nil
	default:
		return dst, fmt.Errorf("%T: %w", v, ErrUnsupportedType)
	}
}

// appendArray encodes an array: a 32-bit byte count, then tagged values.
func appendArray(dst []byte, a []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, fmt.Errorf("depth %d: %w", depth, ErrTooDeep)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // size, patched below
	for i, v := range a {
		var err error
		if dst, err = appendValue(dst, v, depth); err != nil {
			return dst[:start], fmt.Errorf("array element %d: %w", i, err)
		}
	}
	size := len(dst) - start - 4
	if uint64(size) > math.MaxUint32 {
		return dst[:start], fmt.Errorf("array of %d bytes: %w", size, ErrTooLarge)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(size))
	return dst, nil
}

// fixedWidth is the width of each fixed-size value after its tag; 0 means
// the tag is not fixed-width (or unknown).
var fixedWidth = [256]uint8{
	't': 1, 'b': 1, 'B': 1, 's': 2, 'u': 2, 'I': 4, 'i': 4,
	'l': 8, 'f': 4, 'd': 8, 'D': 5, 'T': 8,
}

// readValue decodes one tagged value inside a container at depth depth.
func readValue(src []byte, depth int) (any, int, error) {
	if len(src) < 1 {
		return nil, 0, fmt.Errorf("value type: %w", ErrTruncated)
	}
	tag, body := src[0], src[1:]
	if w := int(fixedWidth[tag]); w > 0 && len(body) < w {
		return nil, 0, fmt.Errorf("value of type %q: %d of %d bytes: %w", tag, len(body), w, ErrTruncated)
	}
	switch tag {
	case 'V':
		return nil, 1, nil
	case 't':
		// Anything but 0 or 1 would not re-encode to the same byte.
		switch body[0] {
		case 0:
			return false, 2, nil
		case 1:
			return true, 2, nil
		}
		return nil, 0, fmt.Errorf("boolean octet %d is neither 0 nor 1: %w", body[0], ErrMalformed)
	case 'b':
		return int8(body[0]), 2, nil
	case 'B':
		return body[0], 2, nil
	case 's':
		return int16(binary.BigEndian.Uint16(body)), 3, nil
	case 'u':
		return binary.BigEndian.Uint16(body), 3, nil
	case 'I':
		return int32(binary.BigEndian.Uint32(body)), 5, nil
	case 'i':
		return binary.BigEndian.Uint32(body), 5, nil
	case 'l':
		return int64(binary.BigEndian.Uint64(body)), 9, nil
	case 'f':
		return math.Float32frombits(binary.BigEndian.Uint32(body)), 5, nil
	case 'd':
		return math.Float64frombits(binary.BigEndian.Uint64(body)), 9, nil
	case 'D':
		return Decimal{Scale: body[0], Value: int32(binary.BigEndian.Uint32(body[1:]))}, 6, nil
	case 'T':
		return time.Unix(int64(binary.BigEndian.Uint64(body)), 0).UTC(), 9, nil
	case 'S', 'x':
		b, n, err := readLongBytes(body)
		if err != nil {
			return nil, 0, fmt.Errorf("value of type %q: %w", tag, err)
		}
		if tag == 'S' {
			return string(b), 1 + n, nil
		}
		return bytes.Clone(b), 1 + n, nil
	case 'F':
		t, n, err := readTable(body, depth+1)
		if err != nil {
			return nil, 0, err
		}
		return t, 1 + n, nil
	case 'A':
		a, n, err := readArray(body, depth+1)
		if err != nil {
			return nil, 0, err
		}
		return a, 1 + n, nil
	}
	return nil, 0, fmt.Errorf("type %q: %w", tag, ErrUnknownType)
}

// readLongBytes reads a 32-bit length and that many bytes, aliasing src.
func readLongBytes(src []byte) ([]byte, int, error) {
	if len(src) < 4 {
		return nil, 0, fmt.Errorf("length: %d of 4 bytes: %w", len(src), ErrTruncated)
	}
	size := binary.BigEndian.Uint32(src)
	if uint64(size) > uint64(len(src)-4) {
		return nil, 0, fmt.Errorf("%d bytes, %d left: %w", size, len(src)-4, ErrTruncated)
	}
	return src[4 : 4+int(size)], 4 + int(size), nil
}

// readArray decodes an array at depth depth. An empty array decodes as nil.
func readArray(src []byte, depth int) ([]any, int, error) {
	if depth > MaxDepth {
		return nil, 0, fmt.Errorf("depth %d: %w", depth, ErrTooDeep)
	}
	body, n, err := readLongBytes(src)
	if err != nil {
		return nil, 0, fmt.Errorf("array: %w", err)
	}
	var a []any
	for off := 0; off < len(body); {
		v, m, err := readValue(body[off:], depth)
		if err != nil {
			return nil, 0, fmt.Errorf("array element %d: %w", len(a), err)
		}
		off += m
		a = append(a, v)
	}
	return a, n, nil
}
