package loadgen

import (
	"bytes"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	body := bytes.Repeat([]byte{0xAA}, 64)
	want := header{RunID: 0x0102030405060708, Producer: 7, Seq: 1<<40 + 3, SentNano: 1_700_000_000_123_456_789}
	want.put(body)
	got, err := parseHeader(body)
	if err != nil || got != want {
		t.Fatalf("parseHeader = %+v, %v; want %+v", got, err, want)
	}
	if !bytes.Equal(body[HeaderSize:], bytes.Repeat([]byte{0xAA}, 64-HeaderSize)) {
		t.Fatal("put wrote past the header")
	}
}

func TestParseHeaderRejectsOtherBodies(t *testing.T) {
	full := make([]byte, HeaderSize)
	header{Seq: 1}.put(full)
	for name, body := range map[string][]byte{
		"empty":     nil,
		"short":     full[:HeaderSize-1],
		"bad magic": append([]byte("XRY1"), full[4:]...),
		"text":      []byte("hello, this is somebody else's message body"),
	} {
		if _, err := parseHeader(body); err == nil {
			t.Errorf("%s: parseHeader accepted it", name)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	b := make([]byte, HeaderSize)
	header{RunID: 1, Producer: 2, Seq: 3, SentNano: 4}.put(b)
	f.Add(b)
	f.Add([]byte("FRY1"))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := parseHeader(body)
		if err != nil {
			return
		}
		again := make([]byte, HeaderSize)
		h.put(again)
		if !bytes.Equal(again, body[:HeaderSize]) {
			t.Fatalf("header %+v does not re-encode to its bytes", h)
		}
	})
}
