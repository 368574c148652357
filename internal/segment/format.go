package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The on-disk format; doc.go draws it.
const (
	// HeaderSize is the size of a segment header; the first record's frame
	// starts at this offset.
	HeaderSize = 32
	// FrameHeaderSize is the size of a record's length and CRC.
	FrameHeaderSize = 8
	// MaxRecordSize is the largest payload Append accepts. Bigger lengths
	// found on disk are corruption.
	MaxRecordSize = 64 << 20

	// formatVersion is the version new segments are written in. Version 1
	// (frames not salted) is still read.
	formatVersion = 2
	segSuffix     = ".seg"
)

// headerMagic opens every segment file: "FRYS".
var headerMagic = [4]byte{'F', 'R', 'Y', 'S'}

// Errors the package returns; match them with errors.Is.
var (
	// ErrCorrupt marks data that failed a length or CRC check.
	ErrCorrupt = errors.New("segment: corrupt data")
	// ErrClosed is returned by calls on a Log after Close.
	ErrClosed = errors.New("segment: log closed")
	// ErrTooLarge is returned by Append for a payload over MaxRecordSize.
	ErrTooLarge = errors.New("segment: record too large")
)

// castagnoli is CRC-32C; the standard library uses the SSE4.2/ARMv8 CRC
// instructions for this table.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a decoded segment header.
type header struct {
	Seq     uint64
	Base    uint64
	Version uint32 // 1 or 2; encodeHeader writes formatVersion for 0
}

// saltMul spreads segment numbers over the CRC salts; it is odd, so
// uint32(seq)*saltMul is a bijection on 32-bit values.
const saltMul = 0x9e3779b1

// salt is what the frames of a segment with this header XOR into their
// stored CRC (doc.go, On-disk format; recycle.go says why): 0 in version 1,
// a value of the segment's number in version 2. Two segments whose
// numbers differ by less than 2^32 have different salts (but see below).
//
// Two values are never used, for the one segment number in 2^32 that
// would make them: 0 (version 1 frames would check out) and the CRC of an
// empty record (a zero-filled frame header would check out as one, and
// preallocated zeros would read as endless empty records). Those numbers
// take saltAlt instead, which another number shares; salts of segments
// 2^32 apart are equal anyway.
func (h header) salt() uint32 {
	if h.Version < 2 {
		return 0
	}
	s := uint32(h.Seq) * saltMul
	if s == 0 || s == emptyFrameCRC {
		s = saltAlt
	}
	return s
}

// emptyFrameCRC is frameCRC(nil), the stored CRC of an empty record in a
// version 1 segment.
const emptyFrameCRC = 0x48674bc7

// saltAlt is the salt of the segment numbers whose own would be 0 or
// emptyFrameCRC.
const saltAlt = saltMul ^ 0x5a5a5a5a

// encodeHeader returns the 32 header bytes for h.
func encodeHeader(h header) [HeaderSize]byte {
	if h.Version == 0 {
		h.Version = formatVersion
	}
	var b [HeaderSize]byte
	copy(b[0:4], headerMagic[:])
	binary.LittleEndian.PutUint32(b[4:8], h.Version)
	binary.LittleEndian.PutUint64(b[8:16], h.Seq)
	binary.LittleEndian.PutUint64(b[16:24], h.Base)
	// b[24:28] reserved, zero.
	binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[:28], castagnoli))
	return b
}

// decodeHeader parses the first HeaderSize bytes of b. Errors wrap
// ErrCorrupt.
func decodeHeader(b []byte) (header, error) {
	if len(b) < HeaderSize {
		return header{}, fmt.Errorf("header: %d bytes, want %d: %w", len(b), HeaderSize, ErrCorrupt)
	}
	b = b[:HeaderSize]
	if got, want := binary.LittleEndian.Uint32(b[28:32]), crc32.Checksum(b[:28], castagnoli); got != want {
		return header{}, fmt.Errorf("header: CRC %#08x, want %#08x: %w", got, want, ErrCorrupt)
	}
	// With a good CRC, anything else wrong is a file from another program or
	// a future version, not bit rot.
	if [4]byte(b[0:4]) != headerMagic {
		return header{}, fmt.Errorf("header: magic %q, want %q: %w", b[0:4], headerMagic[:], ErrCorrupt)
	}
	v := binary.LittleEndian.Uint32(b[4:8])
	if v < 1 || v > formatVersion {
		return header{}, fmt.Errorf("header: format version %d, want 1 to %d: %w", v, formatVersion, ErrCorrupt)
	}
	if r := binary.LittleEndian.Uint32(b[24:28]); r != 0 {
		return header{}, fmt.Errorf("header: reserved field %#x, want 0: %w", r, ErrCorrupt)
	}
	return header{
		Seq:     binary.LittleEndian.Uint64(b[8:16]),
		Base:    binary.LittleEndian.Uint64(b[16:24]),
		Version: v,
	}, nil
}

// frameCRC is the CRC-32C over a record's length bytes and payload.
func frameCRC(payload []byte) uint32 {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(payload)))
	return crc32.Update(crc32.Update(0, castagnoli, n[:]), castagnoli, payload)
}

// appendFrame appends payload's frame to buf, with crc = frameCRC(payload)
// computed by the caller (outside any lock) and the segment's salt.
func appendFrame(buf []byte, payload []byte, crc, salt uint32) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint32(buf, crc^salt)
	return append(buf, payload...)
}

// errRecycled marks a frame that checks out under the salt of a segment
// numbered below the one it is in: bytes left from an earlier life of a
// recycled file, not damage.
var errRecycled = errors.New("segment: record of an earlier segment (recycled file)")

// checkFrame verifies the frame whose 8-byte header is hdr and whose
// payload is payload (already read according to hdr's length), in segment
// seq whose frames carry salt. A mismatch wraps ErrCorrupt, and also
// errRecycled when the frame is whole under the salt of an earlier segment
// (version 1's 0, or a lower number's).
func checkFrame(hdr []byte, payload []byte, seq uint64, salt uint32) error {
	crc := frameCRC(payload)
	got := binary.LittleEndian.Uint32(hdr[4:8])
	if got == crc^salt {
		return nil
	}
	err := fmt.Errorf("record CRC %#08x, want %#08x: %w", got, crc^salt, ErrCorrupt)
	if salt != 0 {
		if old := (got ^ crc) * saltInv; got == crc || old != 0 && uint64(old) < seq&(1<<32-1) {
			return fmt.Errorf("%w: %w", errRecycled, err)
		}
	}
	return err
}

// saltInv is the inverse of saltMul modulo 2^32: salt*saltInv is the low
// 32 bits of the segment number the salt was made from.
const saltInv = 0x0e8b2f51

// frameLen decodes the payload length of a frame header and checks it
// against MaxRecordSize.
func frameLen(hdr []byte) (int64, error) {
	n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
	if n > MaxRecordSize {
		return 0, fmt.Errorf("record length %d over maximum %d: %w", n, MaxRecordSize, ErrCorrupt)
	}
	return n, nil
}

// segmentName is the file name of segment seq.
func segmentName(seq uint64) string {
	return fmt.Sprintf("%016x%s", seq, segSuffix)
}

// parseSegmentName returns the sequence number in a segment file name, or
// false for any other file.
func parseSegmentName(name string) (uint64, bool) {
	if len(name) != 16+len(segSuffix) || name[16:] != segSuffix {
		return 0, false
	}
	var seq uint64
	for _, c := range name[:16] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = byte(c - '0')
		case c >= 'a' && c <= 'f':
			d = byte(c-'a') + 10
		default:
			return 0, false
		}
		seq = seq<<4 | uint64(d)
	}
	return seq, true
}
