package broker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

func TestRouteUnroutable(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "x", ExchangeOptions{Kind: "direct"})
	ran := 0
	n, err := e.b.Route("/", &message.Message{Exchange: "x", RoutingKey: "nobody"}, func(err error) {
		ran++
		if err != nil {
			t.Errorf("done(%v) for an unroutable message", err)
		}
	})
	if n != 0 || err != nil || ran != 1 {
		t.Fatalf("Route = %d, %v; done ran %d times; want 0, nil, once", n, err, ran)
	}
	if n, err := e.b.Route("/", &message.Message{Exchange: "x"}, nil); n != 0 || err != nil {
		t.Fatalf("Route with no done = %d, %v", n, err)
	}
}

func TestRouteErrors(t *testing.T) {
	e := newEnv(t)
	e.declareX("/", "inside", ExchangeOptions{Kind: "fanout", Internal: true})
	err := routeErr(e, "inside")
	wantCode(t, "internal exchange", err, AccessRefused)
	if err.Error() != "cannot publish to internal exchange 'inside' in vhost '/'" {
		t.Fatalf("error = %q", err)
	}
	err = routeErr(e, "missing")
	wantCode(t, "missing exchange", err, NotFound)
	if err.Error() != "no exchange 'missing' in vhost '/'" {
		t.Fatalf("error = %q", err)
	}
	_, err = e.b.Route("nowhere", &message.Message{Exchange: "amq.direct"}, nil)
	wantCode(t, "missing vhost", err, NotFound)
	// CheckPublish says the same without routing.
	for x, code := range map[string]Code{"inside": AccessRefused, "missing": NotFound} {
		want := routeErr(e, x)
		if err := e.b.CheckPublish("/", x); CodeOf(err) != code || err.Error() != want.Error() {
			t.Errorf("CheckPublish(%q) = %v, want %v", x, err, want)
		}
	}
	for _, x := range []string{"", "amq.direct"} {
		if err := e.b.CheckPublish("/", x); err != nil {
			t.Errorf("CheckPublish(%q) = %v", x, err)
		}
	}
	wantCode(t, "CheckPublish in a missing vhost", e.b.CheckPublish("nowhere", ""), NotFound)
	_, err = e.b.Route("/", &message.Message{Exchange: "amq.direct", RoutingKey: strings.Repeat("k", 256)}, nil)
	wantCode(t, "routing key too long to encode", err, InvalidArgument)
}

// TestRouteSharesOneEncoding checks that every queue gets the same
// stored bytes and that they decode to the message sent.
func TestRouteSharesOneEncoding(t *testing.T) {
	e := newEnv(t)
	var queues []string
	for i := range 3 {
		q := fmt.Sprint("q", i)
		e.declare("/", q, QueueOptions{})
		e.bindQ("/", q, "amq.fanout", "", nil)
		queues = append(queues, q)
	}
	m := &message.Message{Exchange: "amq.fanout", RoutingKey: "rk", Body: []byte("hello")}
	m.Properties.SetHeader("h", int32(1))
	if n, err := e.b.Route("/", m, nil); n != 3 || err != nil {
		t.Fatalf("Route = %d, %v", n, err)
	}
	var first []byte
	for _, name := range queues {
		q, _ := e.b.Queue("/", name)
		d, ok, err := q.Get(1, true, e.b.Now())
		if !ok || err != nil {
			t.Fatalf("queue %s: Get = %v, %v", name, ok, err)
		}
		if first == nil {
			first = d.Data
		} else if &d.Data[0] != &first[0] {
			t.Fatalf("queue %s holds its own copy of the message", name)
		}
		got, err := message.Decode(d.Data)
		if err != nil || got.Exchange != "amq.fanout" || got.RoutingKey != "rk" || string(got.Body) != "hello" {
			t.Fatalf("queue %s: decoded %+v, %v", name, got, err)
		}
	}
}

// gatedFS is the real file system, except that once armed, File.Sync
// reports that it was entered and then waits to be released: the test
// sees exactly when the disk log is (not yet) durable.
type gatedFS struct {
	segment.FS
	mu      sync.Mutex
	armed   bool
	entered chan struct{} // a Sync is waiting
	release chan struct{} // closed to let it go on
}

func (g *gatedFS) OpenFile(name string, flag int, perm os.FileMode) (segment.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return gatedFile{File: f, g: g}, nil
}

type gatedFile struct {
	segment.File
	g *gatedFS
}

func (f gatedFile) Sync() error {
	f.g.mu.Lock()
	armed := f.g.armed
	f.g.mu.Unlock()
	if armed {
		select {
		case f.g.entered <- struct{}{}:
		default:
		}
		<-f.g.release
	}
	return f.File.Sync()
}

// TestRouteConfirmsAfterDiskSync routes one message to three queues, one
// durable on a diskstore with sync=always and two transient in memory,
// and checks that done waits for the disk's fsync.
func TestRouteConfirmsAfterDiskSync(t *testing.T) {
	dir := t.TempDir()
	fs := &gatedFS{FS: segment.OSFS, entered: make(chan struct{}, 1), release: make(chan struct{})}
	ds, err := diskstore.Open(filepath.Join(dir, "logs"), diskstore.Options{FS: fs, Sync: segment.SyncAlways, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	m, err := meta.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b, err := New(Config{Durable: ds, Transient: memstore.New(), Meta: m, Clock: clock.NewFake(clock.Real{}.Now()), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, q := range map[string]QueueOptions{"durable": {Durable: true}, "t1": {}, "t2": {}} {
		if _, _, err := b.DeclareQueue("/", name, q); err != nil {
			t.Fatal(err)
		}
		if err := b.BindQueue("/", name, "amq.topic", "jobs.#", nil); err != nil {
			t.Fatal(err)
		}
	}
	fs.mu.Lock()
	fs.armed = true
	fs.mu.Unlock()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(fs.release) }) }
	defer release() // runs before the Closes above, which wait for the fsync

	msg := &message.Message{Exchange: "amq.topic", RoutingKey: "jobs.resize", Body: []byte("img-1")}
	msg.Properties.Flags, msg.Properties.DeliveryMode = message.FlagDeliveryMode, message.Persistent
	confirmed := make(chan error, 2)
	n, err := b.Route("/", msg, func(err error) { confirmed <- err })
	if n != 3 || err != nil {
		t.Fatalf("Route = %d, %v; want 3 queues", n, err)
	}
	<-fs.entered // the disk log is in its fsync now
	select {
	case err := <-confirmed:
		t.Fatalf("done(%v) ran before the durable queue's fsync finished", err)
	default:
	}
	// The transient queues have the message already.
	for _, qi := range b.Queues("/") {
		if qi.Stats.Ready != 1 {
			t.Fatalf("queue %s has %d ready, want 1", qi.Name, qi.Stats.Ready)
		}
	}
	release()
	if err := <-confirmed; err != nil {
		t.Fatalf("done(%v)", err)
	}
	select {
	case err := <-confirmed:
		t.Fatalf("done ran twice (second with %v)", err)
	default:
	}
}

// TestRouteConcurrentWithBindingChanges publishes from several goroutines
// while bindings come and go (run with -race): every message whose route
// was fixed when it was sent arrives exactly where Route said.
func TestRouteConcurrentWithBindingChanges(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "steady", QueueOptions{})
	e.declare("/", "flappy", QueueOptions{})
	e.declareX("/", "x", ExchangeOptions{Kind: "topic"})
	e.bindQ("/", "steady", "x", "a.*", nil)
	const publishers, each = 4, 200
	var wg sync.WaitGroup
	counts := make(chan int, publishers*each)
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := &message.Message{Exchange: "x", RoutingKey: "a.b", Body: fmt.Appendf(nil, "%d-%d", p, i)}
				n, err := e.b.Route("/", m, nil)
				if err != nil {
					t.Errorf("Route: %v", err)
					return
				}
				counts <- n
			}
		}()
	}
	for i := range 100 {
		key := []string{"a.*", "#"}[i%2]
		if err := e.b.BindQueue("/", "flappy", "x", key, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.b.UnbindQueue("/", "flappy", "x", key, nil); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(counts)
	total := 0
	for n := range counts {
		if n < 1 || n > 2 {
			t.Fatalf("a message went to %d queues", n)
		}
		total += n
	}
	steady, flappy := len(e.drain("/", "steady")), len(e.drain("/", "flappy"))
	if steady != publishers*each || steady+flappy != total {
		t.Fatalf("steady got %d (want %d), flappy %d; Route counted %d in all", steady, publishers*each, flappy, total)
	}
}
