package queue

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// t0 is the fake start of time for every test.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// testLog wraps a store.Log to record appends and inject failures.
type testLog struct {
	store.Log
	mu       sync.Mutex
	records  []store.Record  // guarded by mu
	failErr  error           // guarded by mu; when set, appends fail and Stats reports it
	readFail map[uint64]bool // guarded by mu; ids whose Read fails
}

func (l *testLog) Append(r store.Record, done func(error)) {
	l.mu.Lock()
	l.records = append(l.records, store.Record{Kind: r.Kind, ID: r.ID, Deliveries: r.Deliveries})
	err := l.failErr
	l.mu.Unlock()
	if err != nil {
		if done != nil {
			done(err)
		}
		return
	}
	l.Log.Append(r, done)
}

func (l *testLog) Read(id uint64) ([]byte, error) {
	l.mu.Lock()
	bad := l.readFail[id]
	l.mu.Unlock()
	if bad {
		return nil, errors.New("injected read error")
	}
	return l.Log.Read(id)
}

func (l *testLog) Stats() store.Stats {
	s := l.Log.Stats()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failErr != nil {
		s.Err = l.failErr
	}
	return s
}

// Err makes testLog an errLogger, so the tests take the queue's fast path
// for the sticky error (the broker's tests take the Stats path).
func (l *testLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failErr != nil {
		return l.failErr
	}
	return l.Log.Stats().Err
}

func (l *testLog) takeRecords() []store.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.records
	l.records = nil
	return r
}

// fixture is a queue on a memstore log, wrapped in a testLog.
type fixture struct {
	t     *testing.T
	st    *memstore.Store
	log   *testLog
	q     *Queue
	now   time.Time
	got   []Delivery // every push delivery, in order
	gotMu sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, st: memstore.New(), now: t0}
	f.open()
	t.Cleanup(func() { f.q.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	l, err := f.st.Open("q")
	if err != nil {
		f.t.Fatal(err)
	}
	f.log = &testLog{Log: l}
	q, err := Open(Options{Name: "q", Log: f.log, Now: f.now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.q = q
}

func (f *fixture) restart() {
	f.t.Helper()
	if err := f.q.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *fixture) tick() time.Time { f.now = f.now.Add(time.Second); return f.now }

func (f *fixture) publish(body string) uint64 {
	f.t.Helper()
	var doneErr error = errors.New("done not called")
	id, err := f.q.Publish([]byte(body), f.tick(), func(err error) { doneErr = err })
	if err != nil {
		f.t.Fatalf("Publish(%q): %v", body, err)
	}
	if doneErr != nil {
		f.t.Fatalf("Publish(%q): done: %v", body, doneErr)
	}
	return id
}

func (f *fixture) consume(tag string, owner Owner, prefetch int, noAck bool) *Consumer {
	f.t.Helper()
	c, err := f.q.Consume(ConsumerOptions{Tag: tag, Owner: owner, Prefetch: prefetch, NoAck: noAck,
		Deliver: func(d Delivery) {
			f.gotMu.Lock()
			f.got = append(f.got, d)
			f.gotMu.Unlock()
		}}, f.tick())
	if err != nil {
		f.t.Fatalf("Consume(%q): %v", tag, err)
	}
	return c
}

// takeGot returns the push deliveries since the last call, as "tag:id/n".
func (f *fixture) takeGot() []string {
	f.gotMu.Lock()
	defer f.gotMu.Unlock()
	var s []string
	for _, d := range f.got {
		s = append(s, fmt.Sprintf("%s:%d/%d", d.Consumer, d.ID, d.Deliveries))
	}
	f.got = nil
	return s
}

func (f *fixture) get(owner Owner, noAck bool) (Delivery, bool) {
	f.t.Helper()
	d, ok, err := f.q.Get(owner, noAck, f.tick())
	if err != nil {
		f.t.Fatalf("Get: %v", err)
	}
	return d, ok
}

func (f *fixture) ack(owner Owner, id uint64) {
	f.t.Helper()
	if err := f.q.Ack(owner, id, f.tick(), nil); err != nil {
		f.t.Fatalf("Ack(%d, %d): %v", owner, id, err)
	}
}

func (f *fixture) nack(owner Owner, id uint64, requeue bool) {
	f.t.Helper()
	if err := f.q.Nack(owner, id, requeue, f.tick()); err != nil {
		f.t.Fatalf("Nack(%d, %d, %v): %v", owner, id, requeue, err)
	}
	buryDead(f.t, f.q, f.now)
}

// readyIDs lists the ready messages as "id/deliveries", in delivery order.
func (f *fixture) readyIDs() []string {
	var s []string
	for _, e := range f.q.snapshot().ready {
		s = append(s, fmt.Sprintf("%d/%d", e.id, e.deliveries))
	}
	return s
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// leaseSnap is a lease as a comparable value.
type leaseSnap struct {
	readyEntry
	owner Owner
	tag   string // consumer's tag; "" for Get
}

type consumerSnap struct {
	tag       string
	owner     Owner
	prefetch  int
	noAck     bool
	unacked   int
	cancelled bool
}

// snap is a queue's whole state as comparable values.
type snap struct {
	closed      bool
	lastID      uint64
	ready       []readyEntry // in delivery order
	readyBytes  int64
	leases      []leaseSnap // by ID
	leasedBytes int64
	consumers   []consumerSnap
	cursor      int
	withCredit  int
	counters    counters
}

// snapshot captures q's state and checks its invariants on the way.
func (q *Queue) snapshot() snap {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := snap{closed: q.closed, lastID: q.lastID, readyBytes: q.ready.bytes, leasedBytes: q.leasedBytes,
		cursor: q.cursor, withCredit: q.withCredit, counters: q.counters}
	for c := q.ready.fresh.head; c != nil; c = c.next {
		lo, hi := 0, chunkLen
		if c == q.ready.fresh.head {
			lo = q.ready.fresh.hi
		}
		if c == q.ready.fresh.tail {
			hi = q.ready.fresh.ti
		}
		s.ready = append(s.ready, c.items[lo:hi]...)
	}
	s.ready = append(s.ready, q.ready.returned...)
	slices.SortFunc(s.ready, func(a, b readyEntry) int { return cmpID(a.id, b.id) })
	for _, id := range q.allLeaseIDsLocked() {
		l := q.leases[id]
		ls := leaseSnap{readyEntry: l.readyEntry, owner: l.owner.id}
		if l.consumer != nil {
			ls.tag = l.consumer.tag
		}
		s.leases = append(s.leases, ls)
	}
	for _, c := range q.consumers {
		s.consumers = append(s.consumers, consumerSnap{c.tag, c.owner.id, c.prefetch, c.noAck, c.unacked, c.cancelled})
	}
	q.checkInvariantsLocked()
	return s
}

func cmpID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkInvariantsLocked panics if the queue's redundant bookkeeping
// disagrees with itself.
func (q *Queue) checkInvariantsLocked() {
	fail := func(format string, a ...any) { panic(fmt.Sprintf("queue invariant: "+format, a...)) }
	credit := 0
	for _, c := range q.consumers {
		if c.hasCredit() {
			credit++
		}
		if c.cancelled {
			fail("cancelled consumer %q still registered", c.tag)
		}
	}
	if credit != q.withCredit {
		fail("withCredit = %d, counted %d", q.withCredit, credit)
	}
	if credit > 0 && q.ready.len() > 0 {
		fail("%d ready while %d consumers have credit", q.ready.len(), credit)
	}
	perOwner := map[*ownerState]int{}
	perConsumer := map[*Consumer]int{}
	var bytes int64
	for id, l := range q.leases {
		if id != l.id {
			fail("lease %d filed under %d", l.id, id)
		}
		perOwner[l.owner]++
		if l.consumer != nil {
			perConsumer[l.consumer]++
		}
		bytes += int64(l.size)
	}
	if bytes != q.leasedBytes {
		fail("leasedBytes = %d, counted %d", q.leasedBytes, bytes)
	}
	for id, o := range q.owners {
		if o.id != id {
			fail("owner %d filed under %d", o.id, id)
		}
		n := 0
		for l := o.first; l != nil; l = l.next {
			n++
		}
		if n != o.leases || n != perOwner[o] {
			fail("owner %d: leases = %d, list %d, map %d", id, o.leases, n, perOwner[o])
		}
		if o.leases == 0 && o.consumers == 0 {
			fail("idle owner %d kept", id)
		}
	}
	for c, n := range perConsumer {
		if c.unacked != n {
			fail("consumer %q: unacked = %d, leases %d", c.tag, c.unacked, n)
		}
	}
}
