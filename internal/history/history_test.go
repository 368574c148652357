package history

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/segment"
)

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

func ev(queue string, id uint64, event string, at time.Duration) *broker.MessageEvent {
	return &broker.MessageEvent{VHost: "/", Queue: queue, Durable: true, ID: id, Event: event, At: t0.Add(at)}
}

func published(queue string, id uint64, msgID string, at time.Duration) *broker.MessageEvent {
	e := ev(queue, id, broker.EventPublished, at)
	e.MessageID, e.Connection = msgID, "10.0.0.1:5000 -> 10.0.0.2:5672"
	return e
}

func names(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Queue + ":" + e.Event
	}
	return out
}

func open(t *testing.T, o Options) *History {
	t.Helper()
	o.Logger = quiet
	h, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReplayAfterPowerCut(t *testing.T) {
	fs := segment.NewCrashFS()
	h := open(t, Options{Dir: "/data/history", FS: fs})
	h.Observe(published("orders", 1, "m-1", 0))
	d := ev("orders", 1, broker.EventDelivered, time.Second)
	d.Consumer, d.Connection, d.Deliveries = "worker", "c1", 1
	h.Observe(d)
	h.Observe(published("orders", 2, "m-2", 2*time.Second))
	tr := ev("scratch", 1, broker.EventPublished, 3*time.Second)
	tr.Durable = false // a transient queue's: memory only
	h.Observe(tr)
	if err := h.log.Sync(); err != nil {
		t.Fatal(err)
	}
	fs.CrashTorn(rand.New(rand.NewPCG(1, 2)))
	h.Close() // the crashed log's errors are beside the point

	h = open(t, Options{Dir: "/data/history", FS: fs})
	defer h.Close()
	got, ok := h.ByMessageID("/", "m-1")
	if !ok {
		t.Fatal("m-1 lost")
	}
	if len(got.Events) != 2 || got.Events[1].Consumer != "worker" || got.Events[1].Deliveries != 1 ||
		got.Events[0].Connection != "10.0.0.1:5000 -> 10.0.0.2:5672" || !got.Events[0].At.Equal(t0) {
		t.Errorf("m-1 after replay = %+v", got)
	}
	if _, ok := h.Message("/", "orders", 2); !ok {
		t.Error("message 2 lost")
	}
	if _, ok := h.Message("/", "scratch", 1); ok {
		t.Error("a transient queue's history came back from disk")
	}
}

func TestEventsPerMessageKeepFirstAndLatest(t *testing.T) {
	h := open(t, Options{MaxEvents: 4})
	defer h.Close()
	h.Observe(published("q", 1, "m", 0))
	for i := 1; i <= 5; i++ {
		e := ev("q", 1, broker.EventDelivered, time.Duration(i)*time.Second)
		e.Deliveries = uint32(i)
		h.Observe(e)
	}
	got, _ := h.Message("/", "q", 1)
	if got.Dropped != 2 || len(got.Events) != 4 {
		t.Fatalf("kept %d, dropped %d: %+v", len(got.Events), got.Dropped, got.Events)
	}
	if got.Events[0].Event != "published" || got.Events[1].Deliveries != 1 || got.Events[2].Deliveries != 4 || got.Events[3].Deliveries != 5 {
		t.Errorf("events = %+v; want published, 1st and the 2 latest deliveries", got.Events)
	}
}

func TestMessageBoundDropsFinishedFirst(t *testing.T) {
	h := open(t, Options{MaxMessages: 3})
	defer h.Close()
	for id := uint64(1); id <= 3; id++ {
		h.Observe(published("q", id, fmt.Sprint("m-", id), time.Duration(id)))
	}
	h.Observe(ev("q", 2, broker.EventAcked, 10)) // 2 is finished
	h.Observe(published("q", 4, "m-4", 11))
	if _, ok := h.Message("/", "q", 2); ok {
		t.Error("finished history 2 kept past the bound while live ones were")
	}
	for _, id := range []uint64{1, 3, 4} {
		if _, ok := h.Message("/", "q", id); !ok {
			t.Errorf("live history %d dropped", id)
		}
	}
	h.Observe(published("q", 5, "m-5", 12)) // none finished: the oldest live goes
	if _, ok := h.Message("/", "q", 1); ok {
		t.Error("oldest live history kept past the bound")
	}
	if _, ok := h.ByMessageID("/", "m-1"); ok {
		t.Error("m-1 still indexed by message id")
	}
	if n := h.Len(); n != 3 {
		t.Errorf("%d histories kept, want 3", n)
	}
}

func TestRetentionRunsOnEventTime(t *testing.T) {
	h := open(t, Options{Retention: time.Hour})
	defer h.Close()
	h.Observe(published("q", 1, "m-1", 0))
	h.Observe(ev("q", 1, broker.EventAcked, time.Minute))
	h.Observe(published("q", 2, "m-2", 30*time.Minute))
	if _, ok := h.Message("/", "q", 1); !ok {
		t.Fatal("finished history dropped inside its retention")
	}
	h.Observe(published("q", 3, "m-3", 62*time.Minute))
	if _, ok := h.Message("/", "q", 1); ok {
		t.Error("finished history kept past its retention")
	}
	if _, ok := h.Message("/", "q", 2); !ok {
		t.Error("live history dropped by retention")
	}
}

// TestFollowsAcrossQueues: a dead letter and its redrive, merged in time
// order; at equal times leaving a queue comes before arriving in the
// next.
func TestFollowsAcrossQueues(t *testing.T) {
	h := open(t, Options{})
	defer h.Close()
	h.Observe(published("orders", 7, "m", 0))
	dl := ev("orders", 7, broker.EventDeadLettered, time.Second)
	dl.MessageID = "m"
	h.Observe(published("orders.dlq", 1, "m", time.Second)) // same instant, told first
	h.Observe(dl)
	h.Observe(published("orders", 9, "m", 2*time.Second))
	rd := ev("orders.dlq", 1, broker.EventRedriven, 2*time.Second)
	rd.MessageID = "m"
	h.Observe(rd)
	h.Observe(ev("orders.dlq", 1, broker.EventDeleted, 2*time.Second)) // a matching redrive's removal: not told
	got, ok := h.ByMessageID("/", "m")
	if !ok {
		t.Fatal("not found")
	}
	want := []string{"orders:published", "orders:dead_lettered", "orders.dlq:published", "orders.dlq:redriven", "orders:published"}
	if fmt.Sprint(names(got.Events)) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v", names(got.Events), want)
	}
	if _, ok := h.ByMessageID("other-vhost", "m"); ok {
		t.Error("found in another vhost")
	}
}

func TestUnusedSegmentsAreRemoved(t *testing.T) {
	fs := segment.NewCrashFS()
	h := open(t, Options{Dir: "/h", FS: fs, MaxMessages: 10, segmentSize: 4096})
	defer h.Close()
	for id := uint64(1); id <= 400; id++ {
		h.Observe(published("q", id, fmt.Sprint("m-", id), time.Duration(id)))
		h.Observe(ev("q", id, broker.EventAcked, time.Duration(id)))
	}
	if err := h.log.Sync(); err != nil {
		t.Fatal(err)
	}
	h.collectOnce() // the collector goroutine may have done some already
	segs := h.log.Segments()
	if last := segs[len(segs)-1].Seq; last < 5 || len(segs) > 3 {
		t.Errorf("%d segments written, %d left; want many, then the few the last 10 histories use", last, len(segs))
	}
	for id := uint64(391); id <= 400; id++ {
		if _, ok := h.Message("/", "q", id); !ok {
			t.Errorf("history %d lost", id)
		}
	}
}

func TestBadRecordsAreSkipped(t *testing.T) {
	good := entry{vhost: "/", queue: "q", id: 3, messageID: "m", ev: Event{At: t0, Event: "acked", Consumer: "c", Deliveries: 2}}
	p := good.encode(nil)
	got, err := decode(p)
	if err != nil || got.messageID != "m" || got.ev.Consumer != "c" || got.ev.Deliveries != 2 || !got.ev.At.Equal(t0) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for i := range p {
		if _, err := decode(p[:i]); err == nil {
			t.Errorf("a record cut at %d bytes decoded", i)
		}
	}
	if _, err := decode(append([]byte{9}, p[1:]...)); err == nil {
		t.Error("an unknown version decoded")
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{{MaxEvents: 1}, {MaxMessages: -1}, {Retention: -time.Second}} {
		if h, err := Open(o); err == nil {
			h.Close()
			t.Errorf("Open(%+v) accepted it", o)
		}
	}
}

func TestQueueDeletedEndsLiveHistories(t *testing.T) {
	h := open(t, Options{})
	defer h.Close()
	h.Observe(published("gone", 1, "m-1", 0))
	h.Observe(published("gone", 2, "m-2", 0))
	h.Observe(ev("gone", 2, broker.EventAcked, time.Second))
	h.Observe(published("kept", 1, "m-3", 0))
	var _ broker.QueueObserver = h
	h.QueueDeleted("/", "gone", true, t0.Add(time.Minute))
	got, _ := h.Message("/", "gone", 1)
	if n := len(got.Events); n != 2 || got.Events[1].Event != "deleted" || got.Events[1].Reason != "queue deleted" {
		t.Errorf("live history of a deleted queue = %+v", got.Events)
	}
	if got, _ := h.Message("/", "gone", 2); len(got.Events) != 2 {
		t.Errorf("finished history touched: %+v", got.Events)
	}
	if got, _ := h.Message("/", "kept", 1); len(got.Events) != 1 {
		t.Errorf("another queue's history touched: %+v", got.Events)
	}
}

func TestRedeclaredQueueStartsAfresh(t *testing.T) {
	h := open(t, Options{})
	defer h.Close()
	h.Observe(published("q", 1, "old", 0))
	h.QueueDeleted("/", "q", true, t0.Add(time.Second))
	h.Observe(published("q", 1, "new", 2*time.Second)) // the same engine id in the new queue
	got, _ := h.Message("/", "q", 1)
	if got.MessageID != "new" || len(got.Events) != 1 {
		t.Errorf("history of the new message 1 = %+v", got)
	}
	if _, ok := h.ByMessageID("/", "old"); ok {
		t.Error("the old message's history is still indexed under a key now reused")
	}
}

// FuzzDecode: any bytes either decode to a record that encodes back to
// the same bytes, or are refused; nothing panics.
func FuzzDecode(f *testing.F) {
	good := entry{vhost: "/", queue: "q", id: 3, messageID: "m", ev: Event{At: t0, Event: "acked", Consumer: "c", Deliveries: 2}}
	f.Add(good.encode(nil))
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, p []byte) {
		e, err := decode(p)
		if err != nil {
			return
		}
		if q := e.encode(nil); string(q) != string(p) {
			// Varints have one shortest form; decode accepts only what
			// encode would write when the input is canonical.
			if _, err := decode(q); err != nil {
				t.Fatalf("re-encoded record does not decode: %v", err)
			}
		}
	})
}
