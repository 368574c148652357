package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Field is one entry of a Table.
type Field struct {
	Key   string
	Value any
}

// Table is an AMQP 0-9-1 field table (message headers, queue and exchange
// arguments, client properties) kept in wire order.
//
// A map would lose the order and collapse duplicate keys, and headers must
// pass through Ferry byte-exact: a consumer sees the table its publisher
// sent, and a table that is decoded and encoded again gives the same bytes.
// Lookups are linear; real tables hold a handful of fields.
//
// Each value has one of these Go types, and each Go type has exactly one
// wire tag, so that decoding then encoding is the identity (the tags are
// RabbitMQ's, which amqp091-go and pika also use; see "3 Field types" in
// RabbitMQ's AMQP 0-9-1 errata, which replaces the spec's own list):
//
//	't' bool             'b' int8          'B' uint8
//	's' int16            'u' uint16        'I' int32
//	'i' uint32           'l' int64         'f' float32
//	'd' float64          'D' Decimal       'S' string (long string)
//	'x' []byte           'T' time.Time     'F' Table
//	'A' []any (array)    'V' nil
//
// Timestamps are whole seconds since the Unix epoch; encoding drops the
// sub-second part and decoding yields UTC.
type Table []Field

// Decimal is the AMQP decimal value: Value × 10^-Scale.
type Decimal struct {
	Scale uint8
	Value int32
}

// MaxDepth is how deeply tables and arrays may nest (a top-level table is
// depth 1). The codec is recursive; the limit turns a hostile, deeply nested
// frame into an error instead of a stack overflow.
const MaxDepth = 64

// Errors the table codec returns, wrapped with the field they concern. The
// AMQP front end answers all of them with SYNTAX_ERROR (502).
var (
	ErrTruncated       = errors.New("field table truncated")
	ErrUnknownType     = errors.New("unknown field value type")
	ErrMalformed       = errors.New("malformed field value")
	ErrKeyTooLong      = errors.New("field name longer than 255 bytes")
	ErrTooDeep         = errors.New("field tables nested too deeply")
	ErrUnsupportedType = errors.New("Go type has no AMQP field value type")
	ErrTooLarge        = errors.New("field value longer than 4 GiB")
)

// Get returns the value of the first field named key.
func (t Table) Get(key string) (any, bool) {
	for i := range t {
		if t[i].Key == key {
			return t[i].Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the first field named key, keeping its place,
// or appends the field if there is none.
func (t *Table) Set(key string, v any) {
	for i := range *t {
		if (*t)[i].Key == key {
			(*t)[i].Value = v
			return
		}
	}
	*t = append(*t, Field{Key: key, Value: v})
}

// AppendTable appends t in AMQP wire form (a 32-bit byte count, then each
// field as a short-string name and a tagged value) to dst. On error, dst is
// returned as it was passed in.
func AppendTable(dst []byte, t Table) ([]byte, error) {
	return appendTable(dst, t, 1)
}

// ReadTable decodes a table in AMQP wire form from the start of src and
// reports how many bytes it took. Decoded values never alias src, so the
// caller may reuse its buffer. An empty table decodes as nil.
func ReadTable(src []byte) (t Table, n int, err error) {
	return readTable(src, 1)
}

// appendTable encodes t as a table at nesting depth depth.
//
// AMQP 0-9-1 §4.2.5.5: field-table = long-uint *field-value-pair;
// field-value-pair = field-name field-value; field-name = short-string.
func appendTable(dst []byte, t Table, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, fmt.Errorf("depth %d: %w", depth, ErrTooDeep)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // size, patched below
	for i := range t {
		f := &t[i]
		if len(f.Key) > math.MaxUint8 {
			return dst[:start], fmt.Errorf("field name of %d bytes: %w", len(f.Key), ErrKeyTooLong)
		}
		dst = append(dst, byte(len(f.Key)))
		dst = append(dst, f.Key...)
		var err error
		if dst, err = appendValue(dst, f.Value, depth); err != nil {
			return dst[:start], fmt.Errorf("field %q: %w", f.Key, err)
		}
	}
	size := len(dst) - start - 4
	if uint64(size) > math.MaxUint32 {
		return dst[:start], fmt.Errorf("table of %d bytes: %w", size, ErrTooLarge)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(size))
	return dst, nil
}

// readTable decodes a table at nesting depth depth.
func readTable(src []byte, depth int) (Table, int, error) {
	if depth > MaxDepth {
		return nil, 0, fmt.Errorf("depth %d: %w", depth, ErrTooDeep)
	}
	if len(src) < 4 {
		return nil, 0, fmt.Errorf("table size: %d of 4 bytes: %w", len(src), ErrTruncated)
	}
	size := binary.BigEndian.Uint32(src)
	if uint64(size) > uint64(len(src)-4) {
		return nil, 0, fmt.Errorf("table of %d bytes, %d left: %w", size, len(src)-4, ErrTruncated)
	}
	body := src[4 : 4+int(size)]
	var t Table
	for off := 0; off < len(body); {
		keyLen := int(body[off])
		off++
		if keyLen > len(body)-off {
			return nil, 0, fmt.Errorf("field name at table offset %d: %w", off-1, ErrTruncated)
		}
		key := string(body[off : off+keyLen])
		off += keyLen
		v, n, err := readValue(body[off:], depth)
		if err != nil {
			return nil, 0, fmt.Errorf("field %q: %w", key, err)
		}
		off += n
		t = append(t, Field{Key: key, Value: v})
	}
	return t, 4 + int(size), nil
}

// TypeName is RabbitMQ's name for the AMQP field type of a table value
// (this package's Go types), as its argument errors print it:
// "{unacceptable_type,signedint}".
func TypeName(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int8:
		return "byte"
	case uint8:
		return "unsignedbyte"
	case int16:
		return "short"
	case uint16:
		return "unsignedshort"
	case int32:
		return "signedint"
	case uint32:
		return "unsignedint"
	case int64:
		return "long"
	case float32:
		return "float"
	case float64:
		return "double"
	case Decimal:
		return "decimal"
	case string:
		return "longstr"
	case []byte:
		return "binary"
	case time.Time:
		return "timestamp"
	case Table:
		return "table"
	case []any:
		return "array"
	}
	return "void"
}

// String returns v as a string if it is a table's string: a Go string,
// or the []byte a long string decodes to.
func String(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// Int64 returns v as an int64 if it is one of a table's integer types
// (int8 to int64, uint8 to uint32): how a header such as x-delay or a
// count reads whatever width the publisher's client chose.
func Int64(v any) (int64, bool) {
	switch v := v.(type) {
	case int8:
		return int64(v), true
	case uint8:
		return int64(v), true
	case int16:
		return int64(v), true
	case uint16:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint32:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}
