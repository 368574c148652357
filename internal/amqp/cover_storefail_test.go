package amqp_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

var errCoverDiskWrite = errors.New("cover test: injected write failure")

// coverFailFS is the real file system, except that while failing is set
// every file write fails with errCoverDiskWrite.
type coverFailFS struct {
	segment.FS
	failing atomic.Bool
	failed  atomic.Int64 // writes refused
}

func (f *coverFailFS) OpenFile(name string, flag int, perm os.FileMode) (segment.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return coverFailFile{File: file, fs: f}, nil
}

type coverFailFile struct {
	segment.File
	fs *coverFailFS
}

func (f coverFailFile) refuse() bool {
	if f.fs.failing.Load() {
		f.fs.failed.Add(1)
		return true
	}
	return false
}

func (f coverFailFile) Write(p []byte) (int, error) {
	if f.refuse() {
		return 0, errCoverDiskWrite
	}
	return f.File.Write(p)
}

func (f coverFailFile) WriteAt(p []byte, off int64) (int, error) {
	if f.refuse() {
		return 0, errCoverDiskWrite
	}
	return f.File.WriteAt(p, off)
}

// coverStartFailingDisk is start with the disk store on fs: the same node
// (durable queues on a disk store with sync=always, transient ones in
// memory, meta, an AMQP server on loopback), torn down at the end of the
// test, where the store and the broker may report the injected error (a
// failed log's error is sticky) but nothing else. It cannot restart.
func coverStartFailingDisk(t *testing.T, fs segment.FS) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
	disk, err := diskstore.Open(filepath.Join(e.dir, "queues"), diskstore.Options{FS: fs, Sync: segment.SyncAlways, Logger: quiet})
	must(t, err)
	m, err := meta.Open(filepath.Join(e.dir, "meta.db"))
	must(t, err)
	b, err := broker.New(broker.Config{Durable: disk, Transient: memstore.New(), Meta: m, Logger: quiet})
	must(t, err)
	srv := amqp.NewServer(amqp.Config{Broker: b, Users: e.users, Logger: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	e.disk, e.meta, e.broker, e.srv, e.addr = disk, m, b, srv, ln.Addr().String()
	e.served = make(chan error, 1)
	go func() { e.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-e.served; !errors.Is(err, amqp.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if err := b.Close(); err != nil && !errors.Is(err, errCoverDiskWrite) {
			t.Errorf("broker Close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("meta Close: %v", err)
		}
		if err := disk.Close(); err != nil && !errors.Is(err, errCoverDiskWrite) {
			t.Errorf("store Close: %v", err)
		}
	})
	return e
}

// TestCoverStoreWriteFailureNacks: a confirmed publish whose write to the
// disk store fails is nacked, not acked, and the channel and connection
// stay open and usable: the next publish on the same channel to a queue
// in memory is acked, as is one to another durable queue once the disk
// takes writes again. The failed queue's log stays failed (its error is
// sticky), so later publishes to it are nacked too. Another connection is
// unharmed.
func TestCoverStoreWriteFailureNacks(t *testing.T) {
	fs := &coverFailFS{FS: segment.OSFS}
	e := coverStartFailingDisk(t, fs)
	c, ch := e.channel()
	connClosed := c.NotifyClose(make(chan *amqp091.Error, 1))
	chClosed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	for _, q := range []string{"disk-bad", "disk-good"} {
		_, err := ch.QueueDeclare(q, true, false, false, false, nil)
		must(t, err)
	}
	declare(t, ch, "mem")
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 16))
	tag := uint64(0)
	// publishConfirmed publishes one persistent message and returns
	// whether the broker acked it; confirms come in tag order.
	publishConfirmed := func(queue, body string) bool {
		t.Helper()
		must(t, ch.PublishWithContext(context.Background(), "", queue, false, false,
			amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte(body)}))
		tag++
		cf, ok := <-confirms
		if !ok {
			t.Fatalf("publish %d to %s: channel closed before its confirm", tag, queue)
		}
		if cf.DeliveryTag != tag {
			t.Fatalf("publish %d to %s: confirm for tag %d", tag, queue, cf.DeliveryTag)
		}
		return cf.Ack
	}

	if !publishConfirmed("disk-bad", "before") || !publishConfirmed("mem", "m1") {
		t.Fatal("publishes before the failure were nacked")
	}

	fs.failing.Store(true)
	if publishConfirmed("disk-bad", "lost") {
		t.Fatal("publish whose disk write failed was acked")
	}
	fs.failing.Store(false)
	if fs.failed.Load() == 0 {
		t.Fatal("the file system refused no write: the nack has another cause")
	}
	info, err := e.broker.QueueInfo("/", "disk-bad")
	must(t, err)
	if !errors.Is(info.Stats.Err, errCoverDiskWrite) {
		t.Fatalf("disk-bad's log error is %v, want the injected one", info.Stats.Err)
	}

	// Same channel: a queue in memory, and another durable queue whose
	// log did not fail, still confirm.
	if !publishConfirmed("mem", "m2") {
		t.Fatal("publish to the memory queue after the failure was nacked")
	}
	if !publishConfirmed("disk-good", "g1") {
		t.Fatal("publish to another durable queue after the failure was nacked")
	}
	// The failed log refuses what it can no longer make durable.
	if publishConfirmed("disk-bad", "after") {
		t.Fatal("publish to the queue whose log failed was acked")
	}
	if !publishConfirmed("mem", "m3") {
		t.Fatal("publish to the memory queue after a refused one was nacked")
	}
	q, err := ch.QueueDeclarePassive("mem", false, false, false, false, nil)
	must(t, err)
	if q.Messages != 3 {
		t.Fatalf("memory queue holds %d messages, want 3", q.Messages)
	}
	select {
	case err := <-chClosed:
		t.Fatalf("channel closed: %v", err)
	case err := <-connClosed:
		t.Fatalf("connection closed: %v", err)
	default:
	}

	// Another connection: a confirmed publish and a consume on the memory
	// queue, and a get from the healthy durable one.
	_, ch2 := e.channel()
	must(t, ch2.Confirm(false))
	dc, err := ch2.PublishWithDeferredConfirmWithContext(context.Background(), "", "mem", false, false,
		amqp091.Publishing{Body: []byte("m4")})
	must(t, err)
	if !dc.Wait() {
		t.Fatal("publish from another connection to the memory queue was nacked")
	}
	msgs, err := ch2.Consume("mem", "", false, false, false, false, nil)
	must(t, err)
	for _, want := range []string{"m1", "m2", "m3", "m4"} {
		d := recv(t, msgs)
		if string(d.Body) != want {
			t.Fatalf("memory queue delivered %q, want %q", d.Body, want)
		}
		must(t, d.Ack(false))
	}
	d, ok, err := ch2.Get("disk-good", false)
	must(t, err)
	if !ok || string(d.Body) != "g1" {
		t.Fatalf("healthy durable queue: get ok=%v body %q, want g1", ok, d.Body)
	}
	must(t, d.Ack(false))
}
