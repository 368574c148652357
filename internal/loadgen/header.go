package loadgen

import (
	"encoding/binary"
	"errors"
)

// HeaderSize is the length of the header at the start of every body; it is
// the smallest message size a run accepts.
const HeaderSize = 32

// magic marks a body written by this tool (version 1 of the header).
var magic = [4]byte{'F', 'R', 'Y', '1'}

// header is what a producer stamps on every message. The layout is drawn
// in doc.go.
type header struct {
	RunID    uint64
	Producer uint32
	Seq      uint64
	SentNano int64
}

var errNotOurs = errors.New("body does not start with a load-tool header")

// put writes h into the first HeaderSize bytes of b, which must be at least
// that long. It leaves the rest of b (the padding) alone, so a producer can
// reuse one body buffer for every message.
func (h header) put(b []byte) {
	_ = b[HeaderSize-1] // one bounds check for all the writes below
	copy(b[0:4], magic[:])
	binary.BigEndian.PutUint64(b[4:12], h.RunID)
	binary.BigEndian.PutUint32(b[12:16], h.Producer)
	binary.BigEndian.PutUint64(b[16:24], h.Seq)
	binary.BigEndian.PutUint64(b[24:32], uint64(h.SentNano))
}

// parseHeader reads the header at the start of b. It fails for a body too
// short or without the magic: a message some other client published.
func parseHeader(b []byte) (header, error) {
	if len(b) < HeaderSize || [4]byte(b[0:4]) != magic {
		return header{}, errNotOurs
	}
	return header{
		RunID:    binary.BigEndian.Uint64(b[4:12]),
		Producer: binary.BigEndian.Uint32(b[12:16]),
		Seq:      binary.BigEndian.Uint64(b[16:24]),
		SentNano: int64(binary.BigEndian.Uint64(b[24:32])),
	}, nil
}
