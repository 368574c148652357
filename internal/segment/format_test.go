package segment

import (
	"errors"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []header{{1, 0, 1}, {1, 0, 2}, {0xfedcba9876543210, 42, 2}, {1<<64 - 1, 1<<64 - 1, 2}} {
		b := encodeHeader(h)
		got, err := decodeHeader(b[:])
		if err != nil || got != h {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", h, got, err)
		}
	}
}

// TestHeaderDamage flips every bit of a header: each flip must be caught.
func TestHeaderDamage(t *testing.T) {
	good := encodeHeader(header{Seq: 3, Base: 99})
	for i := range HeaderSize * 8 {
		b := good
		b[i/8] ^= 1 << (i % 8)
		if h, err := decodeHeader(b[:]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bit %d flipped: decoded %+v, %v", i, h, err)
		}
	}
	if _, err := decodeHeader(good[:HeaderSize-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short header: %v", err)
	}
}

func TestFrameCRCCoversLength(t *testing.T) {
	// CRC of the empty record is not zero, so zero fill is never a record.
	if got := frameCRC(nil); got != 0x48674bc7 {
		t.Fatalf("CRC of the empty record = %#x, want 0x48674bc7", got)
	}
	if frameCRC([]byte{0}) == frameCRC([]byte{0, 0}) {
		t.Fatal("CRC does not depend on the length")
	}
}

func TestSegmentNames(t *testing.T) {
	for _, seq := range []uint64{1, 255, 1<<64 - 1} {
		name := segmentName(seq)
		if got, ok := parseSegmentName(name); !ok || got != seq {
			t.Fatalf("parse(%q) = %d, %v", name, got, ok)
		}
	}
	if segmentName(26) != "000000000000001a.seg" {
		t.Fatalf("segmentName(26) = %q", segmentName(26))
	}
	for _, bad := range []string{"1.seg", "000000000000001A.seg", "000000000000001a.log", "000000000000001a.seg.tmp", ""} {
		if _, ok := parseSegmentName(bad); ok {
			t.Fatalf("parsed %q as a segment name", bad)
		}
	}
}
