package diskstore

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// TestReadsFirstFormat holds the promise in the package doc: a payload of
// the first record format (kind | uvarint id | uvarint deliveries | data,
// no metadata bits, kinds 1 to 4) decodes to the record it meant.
func TestReadsFirstFormat(t *testing.T) {
	first := func(k store.Kind, id uint64, deliveries uint32, data string) []byte {
		p := []byte{byte(k)}
		p = binary.AppendUvarint(p, id)
		p = binary.AppendUvarint(p, uint64(deliveries))
		return append(p, data...)
	}
	cases := []struct {
		kind       store.Kind
		id         uint64
		deliveries uint32
		data       string
	}{
		{store.Enqueue, 1, 0, "hello"},
		{store.Enqueue, 1 << 40, 3, ""},
		{store.Ack, 77, 0, ""},
		{store.Requeue, 5, 1<<32 - 1, ""},
		{store.DeadLetter, 9, 2, "rejected"},
	}
	for _, c := range cases {
		p := first(c.kind, c.id, c.deliveries, c.data)
		h, err := decode(p)
		if err != nil {
			t.Fatalf("%v record %d: %v", c.kind, c.id, err)
		}
		if h.kind != c.kind || h.id != c.id || h.deliveries != c.deliveries || h.meta() != (store.Meta{}) ||
			string(p[h.dataOff:]) != c.data {
			t.Fatalf("first-format %v record %d decoded as %+v", c.kind, c.id, h)
		}
		// And the current encoder writes a plain record exactly as before.
		again := encode(nil, store.Record{Kind: c.kind, ID: c.id, Deliveries: c.deliveries, Data: []byte(c.data)})
		if !bytes.Equal(again, p) {
			t.Fatalf("plain %v record now encodes as %x, first format was %x", c.kind, again, p)
		}
	}
}

// TestMetaOnlyWhereKept checks that encode drops the Meta fields a kind
// does not keep, as the doc says, and keeps those it does.
func TestMetaOnlyWhereKept(t *testing.T) {
	m := store.Meta{Due: 10, Expires: 20, Key: "k"}
	want := map[store.Kind]store.Meta{
		store.Enqueue:    m,
		store.Dedup:      m,
		store.Requeue:    {Due: 10},
		store.Ack:        {},
		store.DeadLetter: {},
	}
	for k, w := range want {
		h, err := decode(encode(nil, store.Record{Kind: k, ID: 1, Meta: m}))
		if err != nil {
			t.Fatalf("kind %v: %v", k, err)
		}
		if h.meta() != w {
			t.Fatalf("kind %v kept %+v, want %+v", k, h.meta(), w)
		}
		if got := metaSize(k, m); got != h.metaLen {
			t.Fatalf("kind %v: metaSize %d, encoded %d", k, got, h.metaLen)
		}
	}
}
