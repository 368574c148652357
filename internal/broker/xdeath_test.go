package broker

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

var (
	deathT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	deathT1 = deathT0.Add(90 * time.Second)
	deathT2 = deathT0.Add(3 * time.Minute)
)

// deathEntry is an x-death table as RabbitMQ 3.13 writes it.
func deathEntry(count int64, reason, queue string, at time.Time, exchange string, keys []any, origExp ...string) message.Table {
	t := message.Table{
		{Key: "count", Value: count},
		{Key: "reason", Value: reason},
		{Key: "queue", Value: queue},
		{Key: "time", Value: at},
		{Key: "exchange", Value: exchange},
		{Key: "routing-keys", Value: keys},
	}
	for _, e := range origExp {
		t = append(t, message.Field{Key: "original-expiration", Value: e})
	}
	return t
}

func xDeath(t *testing.T, m *message.Message) []any {
	t.Helper()
	v, ok := m.Properties.Headers.Get("x-death")
	if !ok {
		t.Fatal("no x-death header")
	}
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("x-death is %T, want []any", v)
	}
	return a
}

func header(m *message.Message, k string) any {
	v, _ := m.Properties.Headers.Get(k)
	return v
}

func wantDeathHeaders(t *testing.T, m *message.Message, first, last [3]string) {
	t.Helper()
	for i, k := range []string{"reason", "queue", "exchange"} {
		if got := header(m, "x-first-death-"+k); got != first[i] {
			t.Errorf("x-first-death-%s = %#v, want %q", k, got, first[i])
		}
		if got := header(m, "x-last-death-"+k); got != last[i] {
			t.Errorf("x-last-death-%s = %#v, want %q", k, got, last[i])
		}
	}
}

func wantSortedHeaders(t *testing.T, m *message.Message) {
	t.Helper()
	keys := make([]string, len(m.Properties.Headers))
	for i, f := range m.Properties.Headers {
		keys[i] = f.Key
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Fatalf("headers %q are not sorted and unique", keys)
	}
}

func TestRecordDeathFirst(t *testing.T) {
	tests := []struct {
		name       string
		expiration string // "" for none
		cc         []any
		wantKeys   []any
		wantOrig   []string
	}{
		{"plain", "", nil, []any{"rk"}, nil},
		{"with CC", "", []any{"a", "b"}, []any{"rk", "a", "b"}, nil},
		{"per-message TTL", "60000", nil, []any{"rk"}, []string{"60000"}},
		{"TTL written with plus and zeros", "+007", nil, []any{"rk"}, []string{"7"}},
		{"zero TTL", "0", nil, []any{"rk"}, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &message.Message{Exchange: "ex", RoutingKey: "rk", Body: []byte("b")}
			p := &m.Properties
			p.SetHeader("zeta", "z")
			p.SetHeader("alpha", int32(1))
			if tt.cc != nil {
				p.SetHeader("CC", tt.cc)
			}
			if tt.expiration != "" {
				p.Flags |= message.FlagExpiration
				p.Expiration = tt.expiration
			}
			recordDeath(m, "q1", reasonExpired, deathT0.Add(999*time.Millisecond))

			want := []any{deathEntry(1, "expired", "q1", deathT0, "ex", tt.wantKeys, tt.wantOrig...)}
			if got := xDeath(t, m); !reflect.DeepEqual(got, want) {
				t.Fatalf("x-death = %#v\nwant      %#v", got, want)
			}
			wantDeathHeaders(t, m, [3]string{"expired", "q1", "ex"}, [3]string{"expired", "q1", "ex"})
			if p.Has(message.FlagExpiration) || p.Expiration != "" {
				t.Fatalf("expiration kept: flags %#x, %q", p.Flags, p.Expiration)
			}
			if header(m, "zeta") != "z" || header(m, "alpha") != int32(1) {
				t.Fatal("other headers lost")
			}
			wantSortedHeaders(t, m)
			// The header survives the codec with its AMQP types.
			b, err := message.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := message.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(xDeath(t, back), want) {
				t.Fatalf("x-death after round trip = %#v", xDeath(t, back))
			}
		})
	}
}

func TestRecordDeathHistory(t *testing.T) {
	m := &message.Message{Exchange: "ex", RoutingKey: "rk"}
	m.Properties.Flags |= message.FlagExpiration
	m.Properties.Expiration = "100"

	// Expires in q1, dead-lettered through dlx to q2, rejected there.
	recordDeath(m, "q1", reasonExpired, deathT0)
	m.Exchange, m.RoutingKey = "dlx", "dk"
	recordDeath(m, "q2", reasonRejected, deathT1)
	e1 := deathEntry(1, "expired", "q1", deathT0, "ex", []any{"rk"}, "100")
	e2 := deathEntry(1, "rejected", "q2", deathT1, "dlx", []any{"dk"})
	if got, want := xDeath(t, m), []any{e2, e1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after two deaths x-death = %#v\nwant %#v", got, want)
	}
	wantDeathHeaders(t, m, [3]string{"expired", "q1", "ex"}, [3]string{"rejected", "q2", "dlx"})

	// Back in q1 via another exchange, expires again: the q1/expired entry
	// folds (count 2), moves to the front, keeps its time, exchange, keys
	// and original-expiration.
	m.Exchange, m.RoutingKey = "other", "ok"
	recordDeath(m, "q1", reasonExpired, deathT2)
	e1b := deathEntry(2, "expired", "q1", deathT0, "ex", []any{"rk"}, "100")
	if got, want := xDeath(t, m), []any{e1b, e2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after repeat death x-death = %#v\nwant %#v", got, want)
	}
	wantDeathHeaders(t, m, [3]string{"expired", "q1", "ex"}, [3]string{"expired", "q1", "other"})

	// Same queue, other reason: a new entry in front.
	recordDeath(m, "q1", reasonMaxLen, deathT2)
	e3 := deathEntry(1, "maxlen", "q1", deathT2, "other", []any{"ok"})
	if got, want := xDeath(t, m), []any{e3, e1b, e2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after other reason x-death = %#v\nwant %#v", got, want)
	}
	wantDeathHeaders(t, m, [3]string{"expired", "q1", "ex"}, [3]string{"maxlen", "q1", "other"})
	wantSortedHeaders(t, m)
}

// TestRecordDeathClientHeader: an x-death header a client published (as
// RabbitMQ 3.13.3+ reads it back) folds too, whatever integer width its
// count has; an entry that is not a table is kept as it is.
func TestRecordDeathClientHeader(t *testing.T) {
	tests := []struct {
		name  string
		count any
		want  int64
	}{
		{"long", int64(4), 5},
		{"signed int", int32(4), 5},
		{"unsigned byte", uint8(4), 5},
		{"short", int16(4), 5},
		{"missing", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := message.Table{{Key: "reason", Value: []byte("delivery_limit")}, {Key: "queue", Value: "q"}}
			if tt.count != nil {
				old = append(message.Table{{Key: "count", Value: tt.count}}, old...)
			}
			m := &message.Message{Exchange: "ex", RoutingKey: "rk"}
			m.Properties.SetHeader("x-death", []any{"junk", old})
			m.Properties.SetHeader("x-first-death-reason", "rejected")
			m.Properties.SetHeader("x-first-death-queue", "first")
			m.Properties.SetHeader("x-first-death-exchange", "fx")
			recordDeath(m, "q", reasonDeliveryLimit, deathT0)

			d := xDeath(t, m)
			if len(d) != 2 || d[1] != "junk" {
				t.Fatalf("x-death = %#v", d)
			}
			got := d[0].(message.Table)
			if c, _ := got.Get("count"); c != tt.want {
				t.Fatalf("count = %#v, want int64 %d", c, tt.want)
			}
			if _, ok := old.Get("count"); ok && old[0].Value != tt.count {
				t.Fatal("recordDeath changed the old table in place")
			}
			wantDeathHeaders(t, m, [3]string{"rejected", "first", "fx"}, [3]string{"delivery_limit", "q", "ex"})
		})
	}
}

func TestRecordDeathDuplicateHeaders(t *testing.T) {
	m := &message.Message{Exchange: "ex", RoutingKey: "rk"}
	m.Properties.Headers = message.Table{{Key: "b", Value: "1"}, {Key: "a", Value: "x"}, {Key: "b", Value: "2"}}
	m.Properties.Flags |= message.FlagHeaders
	recordDeath(m, "q", reasonRejected, deathT0)
	wantSortedHeaders(t, m)
	if header(m, "b") != "1" {
		t.Fatalf("b = %#v, want the first value", header(m, "b"))
	}
}

func TestIsDeathCycle(t *testing.T) {
	entry := func(q, reason string) any {
		return deathEntry(1, reason, q, deathT0, "ex", []any{"rk"})
	}
	tests := []struct {
		name   string
		deaths []any // newest first; nil: no x-death header
		target string
		want   bool
	}{
		{"no header", nil, "q1", false},
		{"empty", []any{}, "q1", false},
		{"target never died", []any{entry("q2", "expired")}, "q1", false},
		{"expired back into itself", []any{entry("q1", "expired")}, "q1", true},
		{"maxlen loop through another queue", []any{entry("q2", "maxlen"), entry("q1", "expired")}, "q1", true},
		{"delivery_limit loop", []any{entry("q1", "delivery_limit")}, "q1", true},
		{"rejected in target itself", []any{entry("q1", "rejected")}, "q1", false},
		{"rejection since the target's death", []any{entry("q2", "rejected"), entry("q1", "expired")}, "q1", false},
		{"rejection older than the target's death", []any{entry("q1", "expired"), entry("q2", "rejected")}, "q1", true},
		{"non-table entries skipped", []any{"junk", entry("q1", "expired")}, "q1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &message.Message{}
			if tt.deaths != nil {
				m.Properties.SetHeader("x-death", tt.deaths)
			}
			if got := isDeathCycle(m, tt.target); got != tt.want {
				t.Fatalf("isDeathCycle = %v, want %v", got, tt.want)
			}
		})
	}

	// Through recordDeath: q1 expires into q2, q2 expires back into q1.
	m := &message.Message{Exchange: "ex", RoutingKey: "rk"}
	recordDeath(m, "q1", reasonExpired, deathT0)
	if isDeathCycle(m, "q2") || !isDeathCycle(m, "q1") {
		t.Fatal("after q1 expired: cycle only into q1")
	}
	recordDeath(m, "q2", reasonRejected, deathT1)
	if isDeathCycle(m, "q1") {
		t.Fatal("a rejection in the loop breaks the cycle")
	}
	recordDeath(m, "q1", reasonExpired, deathT2) // q1/expired moves to the front
	if !isDeathCycle(m, "q1") {
		t.Fatal("q1 expired again, after the rejection: cycle")
	}
}

func TestFirstDeathQueue(t *testing.T) {
	m := &message.Message{}
	if got := firstDeathQueue(m); got != "" {
		t.Fatalf("no deaths: %q", got)
	}
	recordDeath(m, "q1", reasonRejected, deathT0)
	recordDeath(m, "q2", reasonExpired, deathT1)
	if got := firstDeathQueue(m); got != "q1" {
		t.Fatalf("firstDeathQueue = %q, want q1", got)
	}
	m.Properties.SetHeader("x-first-death-queue", int64(3))
	if got := firstDeathQueue(m); got != "" {
		t.Fatalf("non-string header: %q", got)
	}
}
