package diskstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/store"
)

// Bits of a payload's first byte; see "Records" in the package doc.
const (
	kindMask     = 0x07 // store.Kind
	flagDue      = 0x10 // Meta.Due follows
	flagExpires  = 0x20 // Meta.Expires follows
	flagKey      = 0x40 // Meta.Key follows
	reservedBits = 0x88 // must be 0
)

// errBadRecord means a payload passed the segment checksum but does not
// decode: the file was written by something else or is from the future.
var errBadRecord = errors.New("diskstore: undecodable record")

// metaFlags returns the flag bits that a record of kind k with meta m
// carries: only the non-zero fields its kind keeps.
func metaFlags(k store.Kind, m store.Meta) byte {
	var f byte
	switch k {
	case store.Enqueue, store.Dedup:
		if m.Expires != 0 {
			f |= flagExpires
		}
		if m.Key != "" {
			f |= flagKey
		}
		fallthrough
	case store.Requeue:
		if m.Due != 0 {
			f |= flagDue
		}
	}
	return f
}

// encode appends r's payload to dst: kind and flags u8 | uvarint id |
// uvarint deliveries | meta fields the flags name | data.
func encode(dst []byte, r store.Record) []byte {
	f := metaFlags(r.Kind, r.Meta)
	dst = append(dst, byte(r.Kind)|f)
	dst = binary.AppendUvarint(dst, r.ID)
	dst = binary.AppendUvarint(dst, uint64(r.Deliveries))
	if f&flagDue != 0 {
		dst = binary.AppendVarint(dst, r.Meta.Due)
	}
	if f&flagExpires != 0 {
		dst = binary.AppendVarint(dst, r.Meta.Expires)
	}
	if f&flagKey != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(r.Meta.Key)))
		dst = append(dst, r.Meta.Key...)
	}
	return append(dst, r.Data...)
}

// metaSize is how many bytes encode spends on m in a record of kind k.
func metaSize(k store.Kind, m store.Meta) int {
	f := metaFlags(k, m)
	if f == 0 {
		return 0
	}
	var buf [binary.MaxVarintLen64]byte
	n := 0
	if f&flagDue != 0 {
		n += len(binary.AppendVarint(buf[:0], m.Due))
	}
	if f&flagExpires != 0 {
		n += len(binary.AppendVarint(buf[:0], m.Expires))
	}
	if f&flagKey != 0 {
		n += len(binary.AppendUvarint(buf[:0], uint64(len(m.Key)))) + len(m.Key)
	}
	return n
}

// header is a decoded record without its data.
type header struct {
	kind       store.Kind
	id         uint64
	deliveries uint32
	due        int64
	expires    int64
	key        []byte // Meta.Key, aliasing the payload
	metaLen    int    // bytes the meta fields take
	dataOff    int    // where data starts in the payload
}

// meta returns the record's Meta; it copies the key out of the payload.
func (h *header) meta() store.Meta {
	return store.Meta{Due: h.due, Expires: h.expires, Key: string(h.key)}
}

// uvarint is binary.Uvarint that also refuses an over-long encoding (a
// final byte of zero after the first), so each number has one encoding.
func uvarint(b []byte) (uint64, int) {
	v, n := binary.Uvarint(b)
	if n > 1 && b[n-1] == 0 {
		return 0, 0
	}
	return v, n
}

// varint is the zig-zag form of uvarint.
func varint(b []byte) (int64, int) {
	u, n := uvarint(b)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v, n
}

// decode reads the header of payload; the data is payload[h.dataOff:].
// It accepts only the one encoding encode gives (see the package doc).
func decode(payload []byte) (header, error) {
	if len(payload) < 3 {
		return header{}, fmt.Errorf("%w: %d bytes", errBadRecord, len(payload))
	}
	b := payload[0]
	h := header{kind: store.Kind(b & kindMask)}
	if h.kind < store.Enqueue || h.kind > store.Dedup || b&reservedBits != 0 {
		return header{}, fmt.Errorf("%w: kind byte %#x", errBadRecord, b)
	}
	flags := b &^ kindMask
	if allowed := metaFlags(h.kind, store.Meta{Due: 1, Expires: 1, Key: "k"}); flags&^allowed != 0 {
		return header{}, fmt.Errorf("%w: kind %d with metadata flags %#x", errBadRecord, h.kind, flags)
	}
	id, n := uvarint(payload[1:])
	if n <= 0 {
		return header{}, fmt.Errorf("%w: bad id", errBadRecord)
	}
	off := 1 + n
	d, n := uvarint(payload[off:])
	if n <= 0 || d > 1<<32-1 {
		return header{}, fmt.Errorf("%w: bad delivery count", errBadRecord)
	}
	off += n
	h.id, h.deliveries = id, uint32(d)
	metaStart := off
	if flags&flagDue != 0 {
		v, n := varint(payload[off:])
		if n <= 0 || v == 0 {
			return header{}, fmt.Errorf("%w: bad due time", errBadRecord)
		}
		h.due, off = v, off+n
	}
	if flags&flagExpires != 0 {
		v, n := varint(payload[off:])
		if n <= 0 || v == 0 {
			return header{}, fmt.Errorf("%w: bad expiry time", errBadRecord)
		}
		h.expires, off = v, off+n
	}
	if flags&flagKey != 0 {
		kl, n := uvarint(payload[off:])
		if n <= 0 || kl == 0 || kl > uint64(len(payload)-off-n) {
			return header{}, fmt.Errorf("%w: bad key length", errBadRecord)
		}
		off += n
		h.key, off = payload[off:off+int(kl)], off+int(kl)
	}
	h.metaLen, h.dataOff = off-metaStart, off
	return h, nil
}
