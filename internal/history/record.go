package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The log's payload: one event, in the segment framing (length +
// CRC-32C). All integers are varints:
//
//	u8      version (1)
//	str     vhost
//	str     queue
//	uvarint engine id
//	varint  at (Unix nanoseconds)
//	str     event name
//	uvarint deliveries
//	str     consumer, connection, reason, detail, message id
//
// where str is a uvarint length followed by that many bytes. The event
// name is spelled out rather than numbered so that a log written by a
// later version with more events still reads.
const recordVersion = 1

// entry is one event of one message, as kept and logged.
type entry struct {
	vhost, queue string
	id           uint64
	messageID    string
	ev           Event
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encode appends e's record to b.
func (e *entry) encode(b []byte) []byte {
	b = append(b, recordVersion)
	b = appendStr(b, e.vhost)
	b = appendStr(b, e.queue)
	b = binary.AppendUvarint(b, e.id)
	b = binary.AppendVarint(b, e.ev.At.UnixNano())
	b = appendStr(b, e.ev.Event)
	b = binary.AppendUvarint(b, uint64(e.ev.Deliveries))
	for _, s := range [...]string{e.ev.Consumer, e.ev.Connection, e.ev.Reason, e.ev.Detail, e.messageID} {
		b = appendStr(b, s)
	}
	return b
}

var errRecord = errors.New("history: malformed record")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errRecord
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errRecord
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errRecord
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decode reads one record.
func decode(p []byte) (entry, error) {
	if len(p) == 0 || p[0] != recordVersion {
		return entry{}, fmt.Errorf("%w: version %v", errRecord, p[:min(1, len(p))])
	}
	r := reader{b: p[1:]}
	var e entry
	e.vhost = r.str()
	e.queue = r.str()
	e.id = r.uvarint()
	e.ev.At = time.Unix(0, r.varint()).UTC()
	e.ev.Event = r.str()
	d := r.uvarint()
	e.ev.Consumer = r.str()
	e.ev.Connection = r.str()
	e.ev.Reason = r.str()
	e.ev.Detail = r.str()
	e.messageID = r.str()
	if r.err != nil {
		return entry{}, r.err
	}
	if d > 1<<32-1 {
		return entry{}, fmt.Errorf("%w: deliveries %d", errRecord, d)
	}
	e.ev.Deliveries = uint32(d)
	e.ev.Queue, e.ev.ID = e.queue, e.id
	return e, nil
}
