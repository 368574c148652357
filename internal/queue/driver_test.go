package queue

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// engine makes and restarts the stores a randomized test runs on.
type engine struct {
	name string
	slow bool // fewer, shorter runs
	// open returns a fresh, empty store.
	open func(t *testing.T) store.Store
	// restart returns the store a new process would find, once every
	// queue on s has been closed.
	restart func(t *testing.T, s store.Store) store.Store
}

var memEngine = engine{
	name:    "memstore",
	open:    func(*testing.T) store.Store { return memstore.New() },
	restart: func(_ *testing.T, s store.Store) store.Store { return s },
}

// moreEngines holds engines that other test files add (the disk engine).
var moreEngines []engine

func engines() []engine { return append([]engine{memEngine}, moreEngines...) }

// driver applies steps to a real queue and records what it did.
type driver struct {
	t         *testing.T
	eng       engine
	st        store.Store
	log       *testLog
	q         *Queue
	consumers map[string]*Consumer
	pushed    []string       // push deliveries since takePushed, as the model writes them
	records   []store.Record // every record appended, in order
}

func newDriver(t *testing.T, eng engine) *driver {
	d := &driver{t: t, eng: eng, st: eng.open(t)}
	d.openQueue(t0)
	return d
}

func (d *driver) openQueue(now time.Time) {
	d.t.Helper()
	l, err := d.st.Open("q")
	if err != nil {
		d.t.Fatalf("open log: %v", err)
	}
	d.log = &testLog{Log: l}
	if d.q, err = Open(Options{Name: "q", Log: d.log, Now: now}); err != nil {
		d.t.Fatalf("open queue: %v", err)
	}
	d.consumers = map[string]*Consumer{}
}

func (d *driver) close() {
	d.t.Helper()
	if err := d.q.Close(); err != nil {
		d.t.Errorf("close queue: %v", err)
	}
	if err := d.st.Close(); err != nil {
		d.t.Errorf("close store: %v", err)
	}
}

func (d *driver) takePushed() []string {
	p := d.pushed
	d.pushed = nil
	return p
}

func (d *driver) takeRecords() []store.Record {
	d.records = append(d.records, d.log.takeRecords()...)
	r := d.records
	d.records = nil
	return r
}

func settleErr(t *testing.T, s step, err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownDelivery):
		return "unknown delivery"
	}
	t.Fatalf("%v: %v", s, err)
	return ""
}

// buryDead does what the broker does for a queue with no dead-letter
// target: it takes the dead messages and settles them at once.
func buryDead(t testing.TB, q *Queue, now time.Time) int {
	t.Helper()
	n := 0
	for _, m := range q.TakeDead(1 << 20) {
		if err := q.DeadLettered(m.ID, now, nil); err != nil {
			t.Fatalf("DeadLettered(%d): %v", m.ID, err)
		}
		n++
	}
	return n
}

func (d *driver) do(s step) outcome {
	t, q := d.t, d.q
	t.Helper()
	switch s.op {
	case "publish":
		id, err := q.Publish(s.data, s.now, nil)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		return outcome{id: id}
	case "consume":
		c, err := q.Consume(ConsumerOptions{Tag: s.tag, Owner: s.owner, Prefetch: s.prefetch, NoAck: s.flag,
			Deliver: func(dl Delivery) {
				d.pushed = append(d.pushed, fmt.Sprintf("%s:%d/%d:%s", dl.Consumer, dl.ID, dl.Deliveries, dl.Data))
			}}, s.now)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		d.consumers[s.tag] = c
	case "cancel":
		q.Cancel(d.consumers[s.tag], s.now)
		delete(d.consumers, s.tag)
	case "get":
		dl, ok, err := q.Get(s.owner, s.flag, s.now)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if ok {
			return outcome{got: fmt.Sprintf("%s:%d/%d:%s", dl.Consumer, dl.ID, dl.Deliveries, dl.Data)}
		}
	case "ack":
		return outcome{err: settleErr(t, s, q.Ack(s.owner, s.id, s.now, nil))}
	case "nack":
		o := outcome{err: settleErr(t, s, q.Nack(s.owner, s.id, s.flag, s.now))}
		buryDead(t, q, s.now)
		return o
	case "release":
		return outcome{n: q.Release(s.owner, s.now)}
	case "purge":
		n, err := q.Purge(s.now)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		return outcome{n: n}
	case "restart":
		if err := q.Close(); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		d.records = append(d.records, d.log.takeRecords()...)
		d.st = d.eng.restart(t, d.st)
		d.openQueue(s.now)
	default:
		t.Fatalf("unknown step %v", s)
	}
	return outcome{}
}
