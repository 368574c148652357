package queue

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("queue.seed", 0, "seed for the randomized queue tests (0: pick one)")

// seeds returns n seeds for a randomized test, or just the one given by
// -queue.seed, and logs them so that a failure can be replayed.
func seeds(t *testing.T, n int) []uint64 {
	if *seedFlag != 0 {
		return []uint64{*seedFlag}
	}
	base := uint64(time.Now().UnixNano())
	s := make([]uint64, n)
	for i := range s {
		s[i] = base + uint64(i)
	}
	t.Logf("seeds %d..%d (replay one with -queue.seed=N)", s[0], s[n-1])
	return s
}

// modelMsg is a message as the reference model sees it.
type modelMsg struct {
	id         uint64
	deliveries uint32
	data       string
}

type modelLease struct {
	modelMsg
	owner Owner
	tag   string
}

type modelConsumer struct {
	seq      int // registration order
	tag      string
	owner    Owner
	prefetch int
	noAck    bool
	unacked  int
}

func (c *modelConsumer) credit() bool { return c.noAck || c.prefetch == 0 || c.unacked < c.prefetch }

// model is the reference: the delivery rules written as plainly as
// possible, with sorted slices and maps instead of heaps and pools.
type model struct {
	lastID     uint64
	ready      []modelMsg // sorted by ID
	leased     map[uint64]modelLease
	consumers  []*modelConsumer // registration order
	lastServed int              // seq of the consumer served last
	nextSeq    int
	nextTag    int
	pushed     []string // deliveries since the last check, as "tag:id/n:data"
}

func newModel() *model { return &model{leased: map[uint64]modelLease{}} }

func (m *model) makeReady(msg modelMsg) {
	i, _ := slices.BinarySearchFunc(m.ready, msg.id, func(a modelMsg, id uint64) int { return cmpID(a.id, id) })
	m.ready = slices.Insert(m.ready, i, msg)
}

func (m *model) consumer(tag string) *modelConsumer {
	for _, c := range m.consumers {
		if c.tag == tag {
			return c
		}
	}
	return nil
}

// endLease forgets lease id and gives its consumer, if still there, credit back.
func (m *model) endLease(id uint64) modelLease {
	l := m.leased[id]
	delete(m.leased, id)
	if c := m.consumer(l.tag); c != nil && l.tag != "" {
		c.unacked--
	}
	return l
}

// dispatch: the next consumer after the one served last, in registration
// order and wrapping around, that has credit gets the lowest-ID message.
func (m *model) dispatch() {
	for len(m.ready) > 0 {
		var pick *modelConsumer
		for _, c := range m.consumers {
			if c.credit() && c.seq > m.lastServed {
				pick = c
				break
			}
		}
		if pick == nil {
			for _, c := range m.consumers {
				if c.credit() {
					pick = c
					break
				}
			}
		}
		if pick == nil {
			return
		}
		m.lastServed = pick.seq
		msg := m.ready[0]
		m.ready = m.ready[1:]
		msg.deliveries++
		m.pushed = append(m.pushed, fmt.Sprintf("%s:%d/%d:%s", pick.tag, msg.id, msg.deliveries, msg.data))
		if !pick.noAck {
			m.leased[msg.id] = modelLease{modelMsg: msg, owner: pick.owner, tag: pick.tag}
			pick.unacked++
		}
	}
}

// do applies s to the model and returns what the queue should answer.
func (m *model) do(s step) outcome {
	switch s.op {
	case "publish":
		m.lastID++
		m.ready = append(m.ready, modelMsg{id: m.lastID, data: string(s.data)})
		m.dispatch()
		return outcome{id: m.lastID}
	case "consume":
		m.nextSeq++
		m.consumers = append(m.consumers, &modelConsumer{seq: m.nextSeq, tag: s.tag, owner: s.owner, prefetch: s.prefetch, noAck: s.flag})
		m.dispatch()
	case "cancel":
		m.consumers = slices.DeleteFunc(m.consumers, func(c *modelConsumer) bool { return c.tag == s.tag })
	case "get":
		if len(m.ready) == 0 {
			return outcome{}
		}
		msg := m.ready[0]
		m.ready = m.ready[1:]
		msg.deliveries++
		if !s.flag {
			m.leased[msg.id] = modelLease{modelMsg: msg, owner: s.owner}
		}
		return outcome{got: fmt.Sprintf(":%d/%d:%s", msg.id, msg.deliveries, msg.data)}
	case "ack", "nack":
		l, ok := m.leased[s.id]
		if !ok || l.owner != s.owner {
			return outcome{err: "unknown delivery"}
		}
		m.endLease(s.id)
		if s.op == "nack" && s.flag {
			m.makeReady(l.modelMsg)
		}
		m.dispatch()
	case "release":
		n := 0
		for id, l := range m.leased {
			if l.owner == s.owner {
				m.endLease(id)
				m.makeReady(l.modelMsg)
				n++
			}
		}
		m.dispatch()
		return outcome{n: n}
	case "purge":
		n := len(m.ready)
		m.ready = nil
		return outcome{n: n}
	case "restart":
		m.consumers = nil
		for id, l := range m.leased {
			delete(m.leased, id)
			m.makeReady(l.modelMsg)
		}
	}
	return outcome{}
}

// gen picks a plausible next step for the model's state.
func (m *model) gen(r *rand.Rand, now time.Time) step {
	owner := Owner(1 + r.IntN(3))
	s := step{now: now, owner: owner}
	leasedIDs := func() []uint64 {
		ids := make([]uint64, 0, len(m.leased))
		for id := range m.leased {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	switch n := r.IntN(100); {
	case n < 30:
		s.op = "publish"
		size := r.IntN(40)
		if r.IntN(20) == 0 {
			size = r.IntN(5000)
		}
		s.data = fmt.Appendf(nil, "m%d-%s", m.lastID+1, strings.Repeat("x", size))
	case n < 36:
		if len(m.consumers) >= 4 {
			s.op = "get"
			break
		}
		m.nextTag++
		s.op, s.tag, s.prefetch, s.flag = "consume", fmt.Sprintf("c%d", m.nextTag), r.IntN(4), r.IntN(6) == 0
	case n < 39:
		if len(m.consumers) == 0 {
			s.op = "purge"
			break
		}
		s.op, s.tag = "cancel", m.consumers[r.IntN(len(m.consumers))].tag
	case n < 49:
		s.op, s.flag = "get", r.IntN(5) == 0
	case n < 80:
		s.op = "ack"
		if n >= 70 {
			s.op, s.flag = "nack", r.IntN(3) > 0
		}
		ids := leasedIDs()
		switch {
		case len(ids) == 0 || r.IntN(10) == 0:
			s.id = uint64(r.IntN(int(m.lastID) + 2)) // probably not leased
		case r.IntN(10) == 0:
			s.id = ids[r.IntN(len(ids))] // probably the wrong owner
		default:
			s.id = ids[r.IntN(len(ids))]
			s.owner = m.leased[s.id].owner
		}
	case n < 84:
		s.op = "release"
	case n < 85:
		s.op = "purge"
	case n < 88:
		s.op = "restart"
	default:
		s.op = "publish"
		s.data = fmt.Appendf(nil, "m%d", m.lastID+1)
	}
	return s
}

// step is one command in a randomized run.
type step struct {
	op       string
	now      time.Time
	owner    Owner
	id       uint64
	flag     bool // get, consume: noAck; nack: requeue
	prefetch int
	tag      string
	data     []byte
}

func (s step) String() string {
	return fmt.Sprintf("%s(owner=%d id=%d flag=%v prefetch=%d tag=%q len=%d)", s.op, s.owner, s.id, s.flag, s.prefetch, s.tag, len(s.data))
}

// outcome is what a step returned.
type outcome struct {
	id  uint64 // publish
	n   int    // release, purge
	got string // get: ":id/n:data", "" for nothing
	err string // "unknown delivery" or ""
}

func TestModel(t *testing.T) {
	runs, steps := 16, 600
	if testing.Short() {
		runs, steps = 4, 300
	}
	for _, eng := range engines() {
		runs, steps := runs, steps
		if eng.slow {
			runs, steps = max(2, runs/4), steps/2
		}
		t.Run(eng.name, func(t *testing.T) {
			for _, seed := range seeds(t, runs) {
				runModel(t, eng, seed, steps)
			}
		})
	}
}

// runModel applies steps random commands to a queue and the model and
// compares them after every one.
func runModel(t *testing.T, eng engine, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	m := newModel()
	d := newDriver(t, eng)
	defer d.close()
	now := t0
	for i := range steps {
		now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
		s := m.gen(r, now)
		want := m.do(s)
		got := d.do(s)
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("seed %d step %d %v: %s", seed, i, s, fmt.Sprintf(format, a...))
		}
		if got != want {
			fail("answered %+v, model %+v", got, want)
		}
		if pushed := d.takePushed(); !slices.Equal(pushed, m.pushed) {
			fail("pushed %v, model %v", pushed, m.pushed)
		}
		m.pushed = nil
		compareModel(d, m, now, fail)
	}
}

func compareModel(d *driver, m *model, now time.Time, fail func(string, ...any)) {
	sn := d.q.snapshot()
	var ready []string
	var readyBytes, leasedBytes int64
	for _, e := range sn.ready {
		ready = append(ready, fmt.Sprintf("%d/%d", e.id, e.deliveries))
	}
	var wantReady []string
	for _, msg := range m.ready {
		wantReady = append(wantReady, fmt.Sprintf("%d/%d", msg.id, msg.deliveries))
		readyBytes += int64(len(msg.data))
	}
	if !slices.Equal(ready, wantReady) {
		fail("ready %v, model %v", ready, wantReady)
	}
	var leases, wantLeases []string
	for _, l := range sn.leases {
		leases = append(leases, fmt.Sprintf("%d/%d@%d:%s", l.id, l.deliveries, l.owner, l.tag))
	}
	for _, id := range slices.Sorted(maps.Keys(m.leased)) {
		l := m.leased[id]
		wantLeases = append(wantLeases, fmt.Sprintf("%d/%d@%d:%s", l.id, l.deliveries, l.owner, l.tag))
		leasedBytes += int64(len(l.data))
	}
	if !slices.Equal(leases, wantLeases) {
		fail("leases %v, model %v", leases, wantLeases)
	}
	var cons, wantCons []string
	for _, c := range sn.consumers {
		cons = append(cons, fmt.Sprintf("%s/%d", c.tag, c.unacked))
	}
	for _, c := range m.consumers {
		wantCons = append(wantCons, fmt.Sprintf("%s/%d", c.tag, c.unacked))
	}
	if !slices.Equal(cons, wantCons) {
		fail("consumers %v, model %v", cons, wantCons)
	}
	st := d.q.Stats(now)
	if st.Ready != len(m.ready) || st.Unacked != len(m.leased) || st.Consumers != len(m.consumers) ||
		st.ReadyBytes != readyBytes || st.UnackedBytes != leasedBytes {
		fail("Stats %+v, model %d ready (%d B), %d leased (%d B), %d consumers",
			st, len(m.ready), readyBytes, len(m.leased), leasedBytes, len(m.consumers))
	}
	if ls := d.log.Stats(); ls.Messages != len(m.ready)+len(m.leased) {
		fail("log holds %d messages, model %d", ls.Messages, len(m.ready)+len(m.leased))
	}
}
