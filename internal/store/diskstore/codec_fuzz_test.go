package diskstore

import (
	"bytes"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// FuzzDecodeRecord feeds arbitrary payloads to the record decoder, as a
// segment whose checksum matched but whose bytes came from elsewhere would.
// It must never panic, and whatever it accepts must survive an encode and
// decode unchanged.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encode(nil, store.Record{Kind: store.Enqueue, ID: 1, Data: []byte("hello")}))
	f.Add(encode(nil, store.Record{Kind: store.Ack, ID: 1 << 40}))
	f.Add(encode(nil, store.Record{Kind: store.Requeue, ID: 7, Deliveries: 1<<32 - 1}))
	f.Add(encode(nil, store.Record{Kind: store.DeadLetter, ID: 9, Data: []byte("rejected")}))
	f.Add([]byte{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0})
	f.Add([]byte{5, 1, 0})
	f.Add(encode(nil, store.Record{Kind: store.Enqueue, ID: 3, Meta: store.Meta{Due: 1, Expires: -5, Key: "g"}, Data: []byte("x")}))
	f.Add(encode(nil, store.Record{Kind: store.Dedup, ID: 4, Meta: store.Meta{Expires: 1 << 60, Key: "dedup-id"}}))
	f.Add(encode(nil, store.Record{Kind: store.Requeue, ID: 5, Deliveries: 2, Meta: store.Meta{Due: 1 << 50}}))
	f.Add([]byte{0x71, 1, 0, 2, 2, 5, 'a'})
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, err := decode(payload)
		if err != nil {
			return
		}
		if h.kind < store.Enqueue || h.kind > store.Dedup || h.dataOff > len(payload) {
			t.Fatalf("accepted a bad header %+v of a %d-byte payload", h, len(payload))
		}
		data := payload[h.dataOff:]
		again := encode(nil, store.Record{Kind: h.kind, ID: h.id, Deliveries: h.deliveries, Meta: h.meta(), Data: data})
		if !bytes.Equal(again, payload) {
			t.Fatalf("accepted an encoding that encode does not give: %x, encode gives %x", payload, again)
		}
		h2, err := decode(again)
		if err != nil || h2.kind != h.kind || h2.id != h.id || h2.deliveries != h.deliveries ||
			h2.meta() != h.meta() || !bytes.Equal(again[h2.dataOff:], data) {
			t.Fatalf("round trip changed the record: %+v → %+v (%v)", h, h2, err)
		}
	})
}
