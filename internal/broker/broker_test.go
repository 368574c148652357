package broker

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

func TestDefaultVHost(t *testing.T) {
	e := newEnv(t)
	if v := e.b.VHosts(); !slices.Equal(v, []string{"/"}) {
		t.Fatalf("VHosts = %v, want [/]", v)
	}
	wantCode(t, "DeleteVHost(/)", e.b.DeleteVHost("/"), NotAllowed)
	e.restart()
	if v := e.b.VHosts(); !slices.Equal(v, []string{"/"}) {
		t.Fatalf("after restart VHosts = %v, want [/]", v)
	}
}

func TestDeclareAndRedeclare(t *testing.T) {
	e := newEnv(t)
	o := QueueOptions{Durable: true, Args: map[string]any{"x-max-length": int32(10), "x-queue-type": "classic"}}
	q1, created, err := e.b.DeclareQueue("/", "orders", o)
	if err != nil || !created || q1.Name() != "orders" {
		t.Fatalf("first declare = %v, %v, %v", q1, created, err)
	}
	// Numbers compare by value, whatever their Go type.
	o2 := QueueOptions{Durable: true, Args: map[string]any{"x-queue-type": "classic", "x-max-length": int64(10)}}
	q2, created, err := e.b.DeclareQueue("/", "orders", o2)
	if err != nil || created || q2 != q1 {
		t.Fatalf("redeclare = %v, %v, %v; want the same queue, not created", q2, created, err)
	}
	for what, bad := range map[string]QueueOptions{
		"durable":     {Args: o.Args},
		"auto_delete": {Durable: true, AutoDelete: true, Args: o.Args},
		"arguments":   {Durable: true, Args: map[string]any{"x-max-length": 11, "x-queue-type": "classic"}},
		"no args":     {Durable: true},
	} {
		_, _, err := e.b.DeclareQueue("/", "orders", bad)
		wantCode(t, "redeclare with other "+what, err, PreconditionFailed)
		if !errors.Is(err, ErrPreconditionFailed) || !strings.Contains(err.Error(), "orders") {
			t.Fatalf("redeclare with other %s: %v", what, err)
		}
	}
	_, _, err = e.b.DeclareQueue("/", "bad-args", QueueOptions{Args: map[string]any{"x": make(chan int)}})
	wantCode(t, "args JSON cannot hold", err, InvalidArgument)
	_, _, err = e.b.DeclareQueue("/", "amq.mine", QueueOptions{})
	wantCode(t, "reserved name", err, AccessRefused)
	_, _, err = e.b.DeclareQueue("/", strings.Repeat("x", 256), QueueOptions{})
	wantCode(t, "long name", err, InvalidArgument)
	_, _, err = e.b.DeclareQueue("nowhere", "q", QueueOptions{})
	wantCode(t, "unknown vhost", err, NotFound)
	gen, created, err := e.b.DeclareQueue("/", "", QueueOptions{})
	if err != nil || !created || !strings.HasPrefix(gen.Name(), "amq.gen-") {
		t.Fatalf("server-named declare = %v, %v, %v", gen, created, err)
	}
	if _, err := e.b.Queue("/", gen.Name()); err != nil {
		t.Fatalf("server-named queue not found: %v", err)
	}

	// After a restart the stored definition (args read back from JSON)
	// still matches the same declaration.
	e.restart()
	if _, created, err := e.b.DeclareQueue("/", "orders", o); err != nil || created {
		t.Fatalf("redeclare after restart = %v, %v", created, err)
	}
}

func TestExclusive(t *testing.T) {
	e := newEnv(t)
	mine := QueueOptions{Durable: true, Exclusive: true, Owner: "conn-1"}
	e.declare("/", "private", mine)
	_, _, err := e.b.DeclareQueue("/", "private", QueueOptions{Durable: true, Exclusive: true, Owner: "conn-2"})
	wantCode(t, "other connection", err, ResourceLocked)
	if _, created, err := e.b.DeclareQueue("/", "private", mine); err != nil || created {
		t.Fatalf("owner redeclare = %v, %v", created, err)
	}
	e.declare("/", "shared", QueueOptions{})
	_, _, err = e.b.DeclareQueue("/", "shared", QueueOptions{Exclusive: true, Owner: "conn-1"})
	wantCode(t, "making a shared queue exclusive", err, ResourceLocked)
	if info, _ := e.b.QueueInfo("/", "private"); info.Owner != "conn-1" || !info.Exclusive {
		t.Fatalf("QueueInfo = %+v", info)
	}
	e.declare("/", "other", QueueOptions{Exclusive: true, Owner: "conn-2"})
	if n := e.b.CloseOwner("conn-1"); n != 1 {
		t.Fatalf("CloseOwner = %d, want 1", n)
	}
	_, err = e.b.Queue("/", "private")
	wantCode(t, "after CloseOwner", err, NotFound)
	// Exclusive queues are never kept, even when declared durable.
	e.restart()
	for _, name := range []string{"private", "other"} {
		_, err = e.b.Queue("/", name)
		wantCode(t, "exclusive after restart", err, NotFound)
	}
}

func TestDurableSurvivesRestartTransientDoesNot(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "durable", QueueOptions{Durable: true})
	e.declare("/", "transient", QueueOptions{})
	for i := range 3 {
		e.publish("/", "durable", fmt.Sprint("d", i))
		e.publish("/", "transient", fmt.Sprint("t", i))
	}
	q, _ := e.b.Queue("/", "durable")
	d, ok, _ := q.Get(1, false, e.b.Now()) // leased when the broker stops
	if !ok {
		t.Fatal("nothing to get")
	}
	e.clock.Advance(1)
	e.restart()
	if got := e.bodies("/", "durable"); !slices.Equal(got, []string{"d0", "d1", "d2"}) {
		t.Fatalf("durable queue after restart holds %v", got)
	}
	q, _ = e.b.Queue("/", "durable")
	d2, _, _ := q.Get(1, false, e.b.Now())
	if d2.ID != d.ID || d2.Deliveries != 3 { // got before the restart, by bodies, now
		t.Fatalf("first message after restart = id %d, %d deliveries; want id %d, 3", d2.ID, d2.Deliveries, d.ID)
	}
	_, err := e.b.Queue("/", "transient")
	wantCode(t, "transient queue after restart", err, NotFound)
	infos := e.b.Queues("/")
	if len(infos) != 1 || infos[0].Name != "durable" || !infos[0].Durable || infos[0].Stats.Ready != 2 || infos[0].Stats.Unacked != 1 {
		t.Fatalf("Queues = %+v", infos)
	}
}

func TestCrashLeftoversAreRemoved(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "keep", QueueOptions{Durable: true})
	e.publish("/", "keep", "k")
	e.stop()
	// What a crash can leave: the log of a transient queue that shared the
	// durable store, and the log of a queue whose definition was deleted.
	for _, n := range []string{logName("/", "transient"), logName("/", "deleted")} {
		l, err := e.durable.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		l.Append(store.Record{Kind: store.Enqueue, ID: 1, Data: []byte("x")}, nil)
		l.Close()
	}
	e.start()
	names, _ := e.durable.Names()
	if !slices.Equal(names, []string{logName("/", "keep")}) {
		t.Fatalf("durable store holds %v after New, want only the kept queue's log", names)
	}
	if got := e.bodies("/", "keep"); !slices.Equal(got, []string{"k"}) {
		t.Fatalf("kept queue holds %v", got)
	}
}

func TestDeleteQueue(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "q", QueueOptions{Durable: true})
	e.publish("/", "q", "a")
	e.publish("/", "q", "b")
	q, _ := e.b.Queue("/", "q")
	c, err := q.Consume(queue.ConsumerOptions{Tag: "c", Owner: 1, Prefetch: 1, Deliver: func(queue.Delivery) {}}, e.b.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.b.DeleteQueue("/", "q", true, false)
	wantCode(t, "delete if unused", err, PreconditionFailed)
	q.Cancel(c, e.b.Now())
	_, err = e.b.DeleteQueue("/", "q", true, true)
	wantCode(t, "delete if empty", err, PreconditionFailed)
	n, err := e.b.DeleteQueue("/", "q", true, false)
	if err != nil || n != 1 {
		t.Fatalf("DeleteQueue = %d, %v; want 1 ready message", n, err)
	}
	_, err = e.b.Queue("/", "q")
	wantCode(t, "deleted queue", err, NotFound)
	_, err = e.b.DeleteQueue("/", "q", false, false)
	wantCode(t, "second delete", err, NotFound)
	if err := q.Ack(1, 1, e.b.Now(), nil); CodeOf(err) != NotFound {
		t.Fatalf("ack on a deleted queue: %v (code %v), want NotFound", err, CodeOf(err))
	}
	if names, _ := e.durable.Names(); len(names) != 0 {
		t.Fatalf("deleted queue's log still stored: %v", names)
	}
	e.restart()
	_, err = e.b.Queue("/", "q")
	wantCode(t, "deleted queue after restart", err, NotFound)
	if _, created, err := e.b.DeclareQueue("/", "q", QueueOptions{}); err != nil || !created {
		t.Fatalf("declare again = %v, %v", created, err)
	}
	if got := e.bodies("/", "q"); len(got) != 0 {
		t.Fatalf("redeclared queue holds %v", got)
	}
}

func TestVHostIsolation(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"a", "a/b"} {
		if err := e.b.AddVHost(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.b.AddVHost("a/b"); err != nil {
		t.Fatalf("adding an existing vhost: %v", err)
	}
	wantCode(t, "empty vhost name", e.b.AddVHost(""), InvalidArgument)
	// Chosen so that a naive "vhost/queue" log name would clash.
	e.declare("a", "b/c", QueueOptions{Durable: true})
	e.declare("a/b", "c", QueueOptions{Durable: true})
	e.publish("a", "b/c", "a")
	e.publish("a/b", "c", "ab")
	_, err := e.b.Queue("/", "b/c")
	wantCode(t, "queue of another vhost", err, NotFound)
	e.restart()
	if v := e.b.VHosts(); !slices.Equal(v, []string{"/", "a", "a/b"}) {
		t.Fatalf("VHosts = %v", v)
	}
	if got := e.bodies("a", "b/c"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("a b/c holds %v", got)
	}
	if got := e.bodies("a/b", "c"); !slices.Equal(got, []string{"ab"}) {
		t.Fatalf("a/b c holds %v", got)
	}
	if err := e.b.DeleteVHost("a/b"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "deleted vhost", e.b.DeleteVHost("a/b"), NotFound)
	if qs := e.b.Queues("a/b"); len(qs) != 0 {
		t.Fatalf("Queues of a deleted vhost = %v", qs)
	}
	e.restart()
	if v := e.b.VHosts(); !slices.Equal(v, []string{"/", "a"}) {
		t.Fatalf("VHosts after delete and restart = %v", v)
	}
	if names, _ := e.durable.Names(); !slices.Equal(names, []string{logName("a", "b/c")}) {
		t.Fatalf("durable store holds %v", names)
	}
	if got := e.bodies("a", "b/c"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("a b/c holds %v after the other vhost went", got)
	}
}

// failStore hands out logs that have failed with a sticky error.
type failStore struct {
	*memstore.Store
	err error
}

type failLog struct {
	store.Log
	err error
}

func (s failStore) Open(name string) (store.Log, error) {
	l, err := s.Store.Open(name)
	return failLog{l, s.err}, err
}

func (l failLog) Append(r store.Record, done func(error)) {
	if done != nil {
		done(l.err)
	}
}

func (l failLog) Stats() store.Stats { s := l.Log.Stats(); s.Err = l.err; return s }
func (l failLog) Err() error         { return l.err }

func TestStickyStoreError(t *testing.T) {
	boom := errors.New("disk on fire")
	b, err := New(Config{Durable: failStore{memstore.New(), boom}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := b.DeclareQueue("/", "q", QueueOptions{Durable: true}); err != nil {
		t.Fatal(err)
	}
	err = b.Publish("/", "q", &message.Message{Body: []byte("x")}, func(error) { t.Error("done ran for a refused publish") })
	wantCode(t, "publish on a failed log", err, Internal)
	if !errors.Is(err, boom) {
		t.Fatalf("publish error %v does not wrap the store's %v", err, boom)
	}
	info, err := b.QueueInfo("/", "q")
	if err != nil || !errors.Is(info.Stats.Err, boom) || info.Stats.Ready != 0 {
		t.Fatalf("QueueInfo = %+v, %v; want the sticky error and nothing ready", info, err)
	}
}

func TestCodeOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Code
	}{
		{fmt.Errorf("ack: %w", queue.ErrUnknownDelivery), PreconditionFailed},
		{fmt.Errorf("x: %w", queue.ErrClosed), NotFound},
		{queue.ErrInvalid, InvalidArgument},
		{fmt.Errorf("wrapped: %w", newError(ResourceLocked, "locked")), ResourceLocked},
		{errors.New("anything else"), Internal},
	} {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	err := fmt.Errorf("ctx: %w", newError(NotFound, "no queue 'q'"))
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInternal) {
		t.Fatalf("errors.Is on a wrapped *Error does not follow its code")
	}
	if got := (&Error{Code: Internal, Msg: "m", Err: errors.New("cause")}).Error(); got != "m: cause" {
		t.Fatalf("Error() = %q", got)
	}
}
