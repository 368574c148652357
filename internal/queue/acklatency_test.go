package queue

import (
	"testing"
	"time"
)

// TestAckLatency: the enqueue→ack histogram counts every ack (and every
// no-ack delivery) once, from the publish time the caller passed in, kept
// across a requeue; a nack without requeue is no ack.
func TestAckLatency(t *testing.T) {
	f := newFixture(t)
	a := f.publish("a") // t0+1s
	d, _ := f.get(1, false)
	f.ack(1, d.ID) // t0+3s: waited 2s
	if d.ID != a {
		t.Fatalf("got %d, want %d", d.ID, a)
	}

	f.publish("b")         // t0+4s
	d, _ = f.get(1, false) // t0+5s
	f.nack(1, d.ID, true)  // t0+6s: back, with its enqueue time
	d, _ = f.get(1, false) // t0+7s
	f.ack(1, d.ID)         // t0+8s: waited 4s

	f.publish("c") // t0+9s
	f.get(1, true) // t0+10s: no-ack, waited 1s
	f.publish("d") // t0+11s
	d, _ = f.get(1, false)
	f.nack(1, d.ID, false) // rejected: not an ack

	st := f.q.Stats(f.now)
	h := st.AckLatency
	if h.Count != 3 || st.Acked != 3 {
		t.Fatalf("AckLatency.Count = %d, Acked = %d, want 3 and 3", h.Count, st.Acked)
	}
	if h.Sum != int64(7*time.Second) {
		t.Errorf("AckLatency.Sum = %v, want 7s", time.Duration(h.Sum))
	}
	if h.Layout != AckLatencyLayout {
		t.Errorf("layout = %+v", h.Layout)
	}
	// 1s, 2s and 4s fall in the buckets ending at 100µs·2^14 = 1.6384s,
	// 2^15 = 3.2768s and 2^16 = 6.5536s.
	for _, c := range []struct {
		i    int
		want uint64
	}{{13, 0}, {14, 1}, {15, 1}, {16, 1}, {17, 0}} {
		if h.Buckets[c.i] != c.want {
			t.Errorf("bucket %d (≤%v) = %d, want %d", c.i, time.Duration(AckLatencyLayout.Upper(c.i)), h.Buckets[c.i], c.want)
		}
	}
}
