package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ferrymq/ferry/internal/message"
)

// This file holds the primitive types of spec 4.2.5 that the generated
// Read and Append methods are made of. Both sides keep a sticky error, so
// that generated code is a straight list of fields, checked once at the end.
//
// 4.2.5.1 Integers: "AMQP defines these native integer types: unsigned
// octet (8 bits), unsigned short integers (16 bits), unsigned long integers
// (32 bits), unsigned long long integers (64 bits). Integers and string
// lengths are always unsigned and held in network byte order."
//
// 4.2.5.3 Strings: "Short strings, stored as an 8-bit unsigned integer
// length followed by zero or more octets of data. [...] Long strings,
// stored as a 32-bit unsigned integer length followed by zero or more
// octets of data. Long strings can contain any data."

// decoder reads arguments from src. After the first error every read
// returns a zero value and the error stays.
type decoder struct {
	src []byte
	off int
	err error
}

// need reports whether n more bytes are there, recording an error if not.
func (d *decoder) need(field string, n int) bool {
	if d.err != nil {
		return false
	}
	if n > len(d.src)-d.off {
		d.err = fmt.Errorf("%s: %d of %d bytes: %w", field, len(d.src)-d.off, n, ErrTruncated)
		return false
	}
	return true
}

func (d *decoder) octet(field string) uint8 {
	if !d.need(field, 1) {
		return 0
	}
	v := d.src[d.off]
	d.off++
	return v
}

func (d *decoder) short(field string) uint16 {
	if !d.need(field, 2) {
		return 0
	}
	v := binary.BigEndian.Uint16(d.src[d.off:])
	d.off += 2
	return v
}

func (d *decoder) long(field string) uint32 {
	if !d.need(field, 4) {
		return 0
	}
	v := binary.BigEndian.Uint32(d.src[d.off:])
	d.off += 4
	return v
}

func (d *decoder) longlong(field string) uint64 {
	if !d.need(field, 8) {
		return 0
	}
	v := binary.BigEndian.Uint64(d.src[d.off:])
	d.off += 8
	return v
}

// timestamp is 4.2.5.4: "Time stamps are held in the 64-bit POSIX time_t
// format with an accuracy of one second." Kept as the raw seconds, as
// message.Properties does, so any value passes through unchanged.
func (d *decoder) timestamp(field string) uint64 { return d.longlong(field) }

func (d *decoder) shortstr(field string) string {
	if !d.need(field, 1) {
		return ""
	}
	n := int(d.src[d.off])
	if !d.need(field, 1+n) {
		return ""
	}
	v := string(d.src[d.off+1 : d.off+1+n])
	d.off += 1 + n
	return v
}

func (d *decoder) longstr(field string) string {
	if !d.need(field, 4) {
		return ""
	}
	n := binary.BigEndian.Uint32(d.src[d.off:])
	if uint64(n) > uint64(len(d.src)-d.off-4) {
		d.err = fmt.Errorf("%s: long string of %d bytes, %d left: %w", field, n, len(d.src)-d.off-4, ErrTruncated)
		return ""
	}
	v := string(d.src[d.off+4 : d.off+4+int(n)])
	d.off += 4 + int(n)
	return v
}

func (d *decoder) table(field string) message.Table {
	if d.err != nil {
		return nil
	}
	t, n, err := message.ReadTable(d.src[d.off:])
	if err != nil {
		d.err = fmt.Errorf("%s: %w", field, err)
		return nil
	}
	d.off += n
	return t
}

// done returns the first error, or ErrTrailingBytes if src holds more
// than the arguments, as a SYNTAX_ERROR naming what was being decoded.
func (d *decoder) done(what string) error {
	if d.err == nil && d.off != len(d.src) {
		d.err = fmt.Errorf("%d bytes: %w", len(d.src)-d.off, ErrTrailingBytes)
	}
	if d.err != nil {
		return syntaxError("%s: %w", what, d.err)
	}
	return nil
}

// encoder appends arguments to buf; after the first error it appends
// nothing more.
type encoder struct {
	buf []byte
	err error
}

func (e *encoder) octet(v uint8) { e.buf = append(e.buf, v) }

func (e *encoder) short(v uint16) { e.buf = binary.BigEndian.AppendUint16(e.buf, v) }

func (e *encoder) long(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

func (e *encoder) longlong(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

func (e *encoder) timestamp(v uint64) { e.longlong(v) }

func (e *encoder) shortstr(field, v string) {
	if len(v) > math.MaxUint8 {
		if e.err == nil {
			e.err = fmt.Errorf("%s: %d bytes, more than a short string's 255", field, len(v))
		}
		return
	}
	e.buf = append(e.buf, byte(len(v)))
	e.buf = append(e.buf, v...)
}

func (e *encoder) longstr(field, v string) {
	if uint64(len(v)) > math.MaxUint32 {
		if e.err == nil {
			e.err = fmt.Errorf("%s: %d bytes, more than a long string's 4 GiB", field, len(v))
		}
		return
	}
	e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(v)))
	e.buf = append(e.buf, v...)
}

func (e *encoder) table(field string, t message.Table) {
	out, err := message.AppendTable(e.buf, t)
	if err != nil {
		if e.err == nil {
			e.err = fmt.Errorf("%s: %w", field, err)
		}
		return
	}
	e.buf = out
}

// done returns what was appended, or, on error, dst as it was before.
func (e *encoder) done(dst []byte, what string) ([]byte, error) {
	if e.err != nil {
		return dst, fmt.Errorf("encode %s: %w", what, e.err)
	}
	return e.buf, nil
}

// bit places b at position pos of a packed octet. 4.2.5.2: "Bits are
// accumulated into whole octets. When two or more bits are contiguous in a
// frame these will be packed into one or more octets, starting from the
// low bit in each octet."
func bit(b bool, pos uint) uint8 {
	if b {
		return 1 << pos
	}
	return 0
}
