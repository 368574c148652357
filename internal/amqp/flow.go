package amqp

import (
	"sync"
	"sync/atomic"
	"time"
)

// Flow control: a publisher faster than the store is slowed down by
// backpressure, never by the server's memory growing without bound, and
// every publisher is held while memory or disk runs low.
//
// Backpressure. Each connection may have at most MaxUnstoredMessages
// messages, or MaxUnstoredBytes of bodies, published but not yet stored:
// counted from the moment the reader hands a message to the broker until
// the broker's done callback runs (for a durable queue with sync=always,
// after the fsync). Before it reads each frame the reader checks the
// budget; while it is used up the reader waits for a done to free some,
// and does not read the socket, so TCP pushes back on the client as
// RabbitMQ's credit flow does. This holds with and without publisher
// confirms: the budget is the store's, not the client's. Since a message
// is counted once it is complete, and at most one message completes per
// frame, a connection never has more than MaxUnstoredMessages in flight;
// the byte bound may be passed by the one message that crossed it.
//
// Bodies still arriving count against the byte budget too (receiving):
// they are memory the client holds on the server as much as unstored
// messages are. The reader waits for them only while some message is
// unstored, since only a store's done can wake it: when bodies being
// received fill the budget alone, waiting would stop the very frames
// that finish them. Instead, a body frame is refused (publish.go,
// admitBody) while the other bodies being received fill a limit of their
// own: the larger of the budget and the max message size.
//
// Transactions do not wait for the budget: tx.commit already waits, on
// the reader, for every message it publishes to be stored. What they
// hold until commit is bounded by MaxHeldTxMessages and MaxHeldTxBytes
// (tx.go), and refused beyond them, since only the client's commit or
// rollback frees it.
//
// Resource alarms. With a memory high watermark or a disk free limit
// set, the server samples the runtime's memory and the data folder's free
// space (flow_alarm.go). While an alarm is on, every connection that has
// published is sent connection.blocked (if its client announced the
// capability) and its reader stops before the next frame, as RabbitMQ's
// does; connections that only consume are not held, so consumers keep
// draining queues and freeing memory. When every alarm clears, the
// connections get connection.unblocked and their readers go on.

// Defaults for the zero fields of FlowConfig.
const (
	// DefaultMaxUnstoredMessages is a connection's budget of messages in
	// flight to the store. One group commit of the disk log can cover the
	// whole budget, so it does not cap throughput at one message per fsync.
	DefaultMaxUnstoredMessages = 4096
	// DefaultMaxUnstoredBytes is a connection's budget of message bodies
	// in flight to the store.
	DefaultMaxUnstoredBytes = 8 << 20
	// DefaultMaxHeldTxMessages and DefaultMaxHeldTxBytes bound what a
	// connection's open transactions hold: far above what batch loaders
	// commit at once, low enough that one connection cannot take the
	// node's memory (RabbitMQ has no such bound; its memory alarm is
	// the only one).
	DefaultMaxHeldTxMessages = 256 << 10
	DefaultMaxHeldTxBytes    = 256 << 20
	// DefaultSampleInterval is how often memory and disk are sampled.
	DefaultSampleInterval = time.Second
)

// FlowConfig is the flow-control part of Config. Its zero value bounds
// each connection's unstored publishes by the defaults above and turns
// both resource alarms off.
type FlowConfig struct {
	// MaxUnstoredMessages and MaxUnstoredBytes bound what one connection
	// may have published that the store has not yet confirmed; 0 means
	// the default.
	MaxUnstoredMessages int
	MaxUnstoredBytes    int64
	// MaxHeldTxMessages and MaxHeldTxBytes bound what one connection's
	// uncommitted transactions may hold (tx.go); 0 means the default.
	MaxHeldTxMessages int
	MaxHeldTxBytes    int64

	// MemoryHighWatermark is the memory, in bytes, the Go runtime may
	// hold (see Probe) before the memory alarm goes on.
	MemoryHighWatermark int64
	// MemoryHighWatermarkFraction, used when MemoryHighWatermark is 0,
	// sets the watermark as this fraction of MemoryLimit() (the cgroup
	// limit, else physical memory), as RabbitMQ's relative watermark
	// does. With both 0 there is no memory alarm.
	MemoryHighWatermarkFraction float64
	// DiskFreeLimit is the free space, in bytes, on the file system that
	// holds DataDir below which the disk alarm goes on. 0, or DataDir "",
	// means no disk alarm.
	DiskFreeLimit int64
	DataDir       string

	// SampleInterval is how often the alarms are checked; 0 means
	// DefaultSampleInterval. Server.SampleResources checks at once.
	SampleInterval time.Duration
	// Probe reads memory and disk; nil means the real ones. Tests pass a
	// fake to raise and clear alarms without filling memory or disk.
	Probe Probe
}

// withDefaults fills the zero fields of f.
func (f FlowConfig) withDefaults() FlowConfig {
	if f.MaxUnstoredMessages <= 0 {
		f.MaxUnstoredMessages = DefaultMaxUnstoredMessages
	}
	if f.MaxUnstoredBytes <= 0 {
		f.MaxUnstoredBytes = DefaultMaxUnstoredBytes
	}
	if f.MaxHeldTxMessages <= 0 {
		f.MaxHeldTxMessages = DefaultMaxHeldTxMessages
	}
	if f.MaxHeldTxBytes <= 0 {
		f.MaxHeldTxBytes = DefaultMaxHeldTxBytes
	}
	if f.SampleInterval <= 0 {
		f.SampleInterval = DefaultSampleInterval
	}
	return f
}

// connFlow is one connection's flow-control state. The counters are
// changed by the reader and by the store's done callbacks, on any
// goroutine.
type connFlow struct {
	unstored      atomic.Int64 // messages handed to the broker, not yet stored
	unstoredBytes atomic.Int64 // their bodies
	waiting       atomic.Bool  // the reader waits for the budget; frees must wake it
	publisher     atomic.Bool  // the client has sent basic.publish: alarms hold it
	// wake (capacity 1) tells a waiting reader to look again: budget was
	// freed, or Shutdown wants the connection.
	wake chan struct{}

	// Reader only: what the connection's channels hold, kept exact as
	// bodies complete, transactions end and channels are torn down.
	receiving int64 // bytes of bodies still arriving (publish.go)
	txMsgs    int   // publishes held by transactions (tx.go)
	txBytes   int64 // their bodies

	mu       sync.Mutex
	notified bool // guarded by mu; connection.blocked sent, unblocked not yet
}

func (f *connFlow) init() { f.wake = make(chan struct{}, 1) }

// full reports whether the budget is used up by messages the store has
// yet to take, with the bodies still arriving. With no message unstored
// it is never full: no done would come to end the wait. Reader only.
func (f *connFlow) full(cfg *FlowConfig) bool {
	n := f.unstored.Load()
	if n == 0 {
		return false
	}
	return n >= int64(cfg.MaxUnstoredMessages) || f.unstoredBytes.Load()+f.receiving >= cfg.MaxUnstoredBytes
}

// pubTicket is one published message's claim on its connection's budget.
// Its done is what the broker gets as Route's done.
type pubTicket struct {
	f     *connFlow
	size  int64
	freed atomic.Bool
	next  func(error) // the publisher confirm's, or nil
}

// admit counts a message of size body bytes against the budget; next,
// if not nil, runs after the ticket's done frees it.
func (f *connFlow) admit(size int64, next func(error)) *pubTicket {
	f.unstored.Add(1)
	f.unstoredBytes.Add(size)
	return &pubTicket{f: f, size: size, next: next}
}

// done is Route's done: the message is stored (or failed to be).
func (t *pubTicket) done(err error) {
	t.free()
	if t.next != nil {
		t.next(err)
	}
}

// free gives the budget back, once, and wakes the reader if it waits.
// The reader sets waiting before its last look at the counters, and free
// changes them before it reads waiting, so no wake-up is lost.
func (t *pubTicket) free() {
	if t.freed.Swap(true) {
		return
	}
	t.f.unstored.Add(-1)
	t.f.unstoredBytes.Add(-t.size)
	if t.f.waiting.Load() {
		signal(t.f.wake)
	}
}

// waitFlow holds the reader, before it reads the next frame, while the
// connection's publish budget is used up or, for a connection that
// publishes, while a resource alarm is on. It never holds a connection
// that is closing: close-ok must still be read. It returns false if the
// writer stopped (the socket is gone).
func (c *conn) waitFlow() bool {
	cfg := &c.s.cfg.Flow
	for {
		if c.closing || c.forced.Load() {
			return true
		}
		if cleared := c.s.alarmHold(c); cleared != nil {
			// Counted before the event, so that whoever hears of the wait
			// (a test) finds it in Stats.
			c.s.stats.blocked.Add(1)
			c.s.flowEvent(c, "alarm")
			select {
			case <-cleared:
			case <-c.flow.wake:
			case <-c.writerDone:
				c.s.stats.blocked.Add(-1)
				return false
			}
			c.s.stats.blocked.Add(-1)
			continue
		}
		if !c.flow.full(cfg) {
			return true
		}
		c.flow.waiting.Store(true)
		if !c.flow.full(cfg) { // freed since the first look
			c.flow.waiting.Store(false)
			return true
		}
		c.s.stats.flowWaits.Add(1)
		c.s.flowEvent(c, "budget")
		select {
		case <-c.flow.wake:
		case <-c.writerDone:
			return false
		}
		c.flow.waiting.Store(false)
	}
}

// flowEvent tells a test that c's reader is about to wait, and why.
func (s *Server) flowEvent(c *conn, why string) {
	if f := s.flowHook.Load(); f != nil {
		(*f)(c.id, why)
	}
}
