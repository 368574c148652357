package diskstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/store"
)

// maxHeader is the longest record header: kind and two uvarints.
const maxHeader = 1 + binary.MaxVarintLen64 + binary.MaxVarintLen32

// errBadRecord means a payload passed the segment checksum but does not
// decode: the file was written by something else or is from the future.
var errBadRecord = errors.New("diskstore: undecodable record")

// encode appends r's payload (kind u8 | uvarint id | uvarint deliveries |
// data) to dst.
func encode(dst []byte, r store.Record) []byte {
	dst = append(dst, byte(r.Kind))
	dst = binary.AppendUvarint(dst, r.ID)
	dst = binary.AppendUvarint(dst, uint64(r.Deliveries))
	return append(dst, r.Data...)
}

// header is a decoded record without its data.
type header struct {
	kind       store.Kind
	id         uint64
	deliveries uint32
	dataOff    int // where data starts in the payload
}

// decode reads the header of payload; the data is payload[h.dataOff:].
func decode(payload []byte) (header, error) {
	if len(payload) < 3 {
		return header{}, fmt.Errorf("%w: %d bytes", errBadRecord, len(payload))
	}
	h := header{kind: store.Kind(payload[0])}
	if h.kind < store.Enqueue || h.kind > store.DeadLetter {
		return header{}, fmt.Errorf("%w: kind %d", errBadRecord, h.kind)
	}
	id, n := binary.Uvarint(payload[1:])
	if n <= 0 {
		return header{}, fmt.Errorf("%w: bad id", errBadRecord)
	}
	d, m := binary.Uvarint(payload[1+n:])
	if m <= 0 || d > 1<<32-1 {
		return header{}, fmt.Errorf("%w: bad delivery count", errBadRecord)
	}
	h.id, h.deliveries, h.dataOff = id, uint32(d), 1+n+m
	return h, nil
}
