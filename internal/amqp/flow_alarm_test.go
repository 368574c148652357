package amqp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/message"
)

// fakeProbe is what the tests raise and clear alarms with.
type fakeProbe struct {
	mu   sync.Mutex
	mem  uint64 // guarded by mu
	disk uint64 // guarded by mu
}

func (p *fakeProbe) MemoryInUse() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mem
}

func (p *fakeProbe) DiskFree(string) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.disk, nil
}

func (p *fakeProbe) set(mem, disk uint64) {
	p.mu.Lock()
	p.mem, p.disk = mem, disk
	p.mu.Unlock()
}

// Watermarks of the alarm tests: alarms go on at 1000 bytes of memory
// in use, or below 1000 bytes free.
const (
	memHigh   = 1000
	diskLimit = 1000
	memOK     = 10
	diskOK    = 1 << 40
)

// startAlarms starts a node whose alarms the test drives through the
// returned probe and SampleResources; the server's own sampling waits an
// hour, so only the test's samples count.
func startAlarms(t *testing.T) (*env, *fakeProbe) {
	t.Helper()
	p := &fakeProbe{mem: memOK, disk: diskOK}
	e := &env{t: t, dir: t.TempDir(), users: auth.Default()}
	e.cfg.Flow = amqp.FlowConfig{
		MemoryHighWatermark: memHigh, DiskFreeLimit: diskLimit, DataDir: e.dir,
		SampleInterval: time.Hour, Probe: p,
	}
	e.up()
	t.Cleanup(e.down)
	e.beforeClose = func() {
		if e.srv != nil { // a test that shut the server down has no alarm to clear
			e.sample(p, memOK, diskOK)
		}
	}
	return e, p
}

func (e *env) sample(p *fakeProbe, mem, disk uint64) {
	p.set(mem, disk)
	e.srv.SampleResources()
}

func wantBlocking(t *testing.T, blocked <-chan amqp091.Blocking, want amqp091.Blocking) {
	t.Helper()
	if got := <-blocked; got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// TestMemoryAlarmBlocksPublishers: with the memory alarm on, a connection
// that has published gets connection.blocked and its publishes stop short
// of the queue, while a consumer on another connection still drains the
// queue; when the alarm clears, connection.unblocked, and the held
// publish arrives and is confirmed.
func TestMemoryAlarmBlocksPublishers(t *testing.T) {
	e, p := startAlarms(t)
	waits := amqp.FlowWaits(e.srv)
	pc := e.dial()
	blocked := pc.NotifyBlocked(make(chan amqp091.Blocking, 4))
	pch, err := pc.Channel()
	must(t, err)
	declare(t, pch, "q")
	must(t, pch.Confirm(false))
	confirms := pch.NotifyPublish(make(chan amqp091.Confirmation, 2))
	publish(t, pch, "", "q", "before")
	if c := <-confirms; !c.Ack {
		t.Fatalf("confirm of the first message: %+v", c)
	}

	e.sample(p, memHigh, diskOK)
	wantBlocking(t, blocked, amqp091.Blocking{Active: true, Reason: "low on memory"})
	if st := e.srv.Stats(); !st.MemoryAlarm || st.DiskAlarm {
		t.Fatalf("stats: memory alarm %v, disk alarm %v; want on, off", st.MemoryAlarm, st.DiskAlarm)
	}

	// A connection that only consumes is not held.
	_, cch := e.channel()
	deliveries, err := cch.Consume("q", "", true, false, false, false, nil)
	must(t, err)
	if d := recv(t, deliveries); string(d.Body) != "before" {
		t.Fatalf("consumer got %q during the alarm, want %q", d.Body, "before")
	}

	publish(t, pch, "", "q", "during")
	if why := <-waits; why != "alarm" {
		t.Fatalf("the publisher's reader stopped for %q, want alarm", why)
	}
	// The reader stopped before the publish's content: it cannot have
	// reached the queue.
	info, err := e.broker.QueueInfo("/", "q")
	must(t, err)
	if info.Stats.Published != 1 {
		t.Fatalf("queue got %d publishes while the alarm was on, want only the 1 from before", info.Stats.Published)
	}
	if st := e.srv.Stats(); st.Blocked != 1 {
		t.Fatalf("Stats.Blocked = %d, want 1", st.Blocked)
	}

	e.sample(p, memOK, diskOK)
	wantBlocking(t, blocked, amqp091.Blocking{Active: false})
	if d := recv(t, deliveries); string(d.Body) != "during" {
		t.Fatalf("consumer got %q after the alarm, want %q", d.Body, "during")
	}
	if c := <-confirms; !c.Ack || c.DeliveryTag != 2 {
		t.Fatalf("confirm of the held message: %+v", c)
	}
	if st := e.srv.Stats(); st.MemoryAlarm || st.Blocked != 0 {
		t.Fatalf("stats after clearing: memory alarm %v, blocked %d", st.MemoryAlarm, st.Blocked)
	}
}

// TestAlarmsOverlap: the disk alarm blocks with its own reason; the
// memory alarm going on and off meanwhile sends nothing; only when the
// last alarm clears is the connection unblocked. A connection that never
// published hears nothing.
func TestAlarmsOverlap(t *testing.T) {
	e, p := startAlarms(t)
	pc, pch := e.channel()
	blocked := pc.NotifyBlocked(make(chan amqp091.Blocking, 4))
	quietConn := e.dial()
	quietBlocked := quietConn.NotifyBlocked(make(chan amqp091.Blocking, 4))
	publish(t, pch, "", "nowhere", "x")
	// Something the server answers on the publisher's connection, so the
	// publish has been read before the alarm goes on.
	declare(t, pch, "q")

	e.sample(p, memOK, diskLimit-1)
	wantBlocking(t, blocked, amqp091.Blocking{Active: true, Reason: "low on disk"})
	e.sample(p, memHigh, diskLimit-1)
	if st := e.srv.Stats(); !st.MemoryAlarm || !st.DiskAlarm {
		t.Fatalf("stats: memory alarm %v, disk alarm %v; want both on", st.MemoryAlarm, st.DiskAlarm)
	}
	e.sample(p, memOK, diskLimit-1)
	e.sample(p, memOK, diskLimit)
	// Notices arrive in order: had anything been sent in between, it
	// would come first.
	wantBlocking(t, blocked, amqp091.Blocking{Active: false})

	// The quiet connection still works and was told nothing.
	qch, err := quietConn.Channel()
	must(t, err)
	must(t, qch.Close())
	select {
	case b := <-quietBlocked:
		t.Fatalf("a connection that never published got %+v", b)
	default:
	}
}

// TestAlarmWithoutCapability: a client that did not announce the
// connection.blocked capability is held all the same, but is sent neither
// connection.blocked nor connection.unblocked.
func TestAlarmWithoutCapability(t *testing.T) {
	e, p := startAlarms(t)
	waits := amqp.FlowWaits(e.srv)
	c := rawDial(t, e)
	c.open(0) // start-ok without client properties: no capabilities
	c.send(1, &wire.ChannelOpen{})
	if _, m := c.next(); m.Name() != "channel.open-ok" {
		t.Fatalf("got %s", m.Name())
	}
	c.send(1, &wire.QueueDeclare{Queue: "q"})
	if _, m := c.next(); m.Name() != "queue.declare-ok" {
		t.Fatalf("got %s", m.Name())
	}
	rawPublish(t, c, "q", "before")
	c.send(1, &wire.BasicQos{}) // answered after the publish is routed
	if _, m := c.next(); m.Name() != "basic.qos-ok" {
		t.Fatalf("got %s", m.Name())
	}

	e.sample(p, memHigh, diskOK)
	rawPublish(t, c, "q", "during")
	if why := <-waits; why != "alarm" {
		t.Fatalf("reader stopped for %q, want alarm", why)
	}
	info, err := e.broker.QueueInfo("/", "q")
	must(t, err)
	if info.Stats.Published != 1 {
		t.Fatalf("queue got %d publishes, want 1", info.Stats.Published)
	}
	e.sample(p, memOK, diskOK)
	c.send(1, &wire.ChannelClose{})
	if _, m := c.next(); m.Name() != "channel.close-ok" {
		t.Fatalf("after the alarm the client got %s first, want channel.close-ok", m.Name())
	}
	info, err = e.broker.QueueInfo("/", "q")
	must(t, err)
	if info.Stats.Published != 2 {
		t.Fatalf("queue got %d publishes, want 2", info.Stats.Published)
	}
}

// rawPublish sends a basic.publish with its content on channel 1.
func rawPublish(t *testing.T, c *rawConn, queue, body string) {
	t.Helper()
	must(t, c.w.WriteContent(1, &wire.BasicPublish{RoutingKey: queue}, &message.Properties{}, []byte(body)))
	must(t, c.w.Flush())
}

// TestShutdownWhileBlocked: Shutdown closes a connection whose reader an
// alarm holds (it must still read close-ok), within the harness's
// timeout, with 320 CONNECTION_FORCED.
func TestShutdownWhileBlocked(t *testing.T) {
	e, p := startAlarms(t)
	waits := amqp.FlowWaits(e.srv)
	pc, pch := e.channel()
	closed := pc.NotifyClose(make(chan *amqp091.Error, 1))
	declare(t, pch, "q")
	e.sample(p, memHigh, diskOK)
	must(t, pch.PublishWithContext(context.Background(), "", "q", false, false, amqp091.Publishing{}))
	<-waits
	e.down() // fails the test if Shutdown times out
	if err := amqpErr(t, closed); err.Code != amqp091.ConnectionForced {
		t.Fatalf("closed with %d, want 320", err.Code)
	}
}
