package broker

import (
	"log/slog"
	"sync"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
)

// worker is the goroutine of one queue that does what time and dead
// letters make due: it sleeps until the queue's NextDeadline (or until
// the queue's Notify wakes it), then runs Tick, moves dead messages to
// their dead-letter targets, and deletes the queue when x-expires says it
// has been unused too long. Doing this off the publish and ack paths
// keeps those paths free of other queues' locks, so a queue that
// dead-letters into another (or into itself) cannot deadlock.
type worker struct {
	wake     chan struct{}      // capacity 1: a poke while one is pending is merged
	flush    chan chan struct{} // a request for a pass, answered when done (tests, admin)
	stop     chan struct{}
	stopOnce sync.Once
	started  bool // set before the goroutine starts; a worker never started has nothing to stop
	done     chan struct{}

	mu      sync.Mutex
	settled []settledDead // dead letters whose target has answered; guarded by mu

	// x-expires bookkeeping, touched only by the worker goroutine, except
	// used, which DeclareQueue and Redrive also set.
	usedMu        sync.Mutex
	used          time.Time // last redeclare or use seen
	lastDelivered uint64    // Stats.Delivered when last seen
}

// settledDead is a dead message whose dead-letter publish finished.
type settledDead struct {
	id  uint64
	err error
}

func newWorker(now time.Time) *worker {
	return &worker{wake: make(chan struct{}, 1), flush: make(chan chan struct{}), stop: make(chan struct{}),
		done: make(chan struct{}), used: now}
}

// poke wakes the worker; it never blocks, so the queue may call it with
// its lock held (queue.Options.Notify).
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// touch records a use of the queue, for x-expires.
func (w *worker) touch(now time.Time) {
	w.usedMu.Lock()
	if now.After(w.used) {
		w.used = now
	}
	w.usedMu.Unlock()
}

// Used records a use of queue name in vhost for x-expires that its
// worker cannot see in the queue's counters: a consumer leaving (the
// queue was in use until then) or a basic.get that found nothing, as
// RabbitMQ counts them. An unknown queue is ignored.
func (b *Broker) Used(vhostName, name string) {
	if e, err := b.lookup(vhostName, name); err == nil {
		e.w.touch(b.clock.Now())
	}
}

// settle is the done of a dead letter's publish.
func (w *worker) settle(id uint64, err error) {
	w.mu.Lock()
	w.settled = append(w.settled, settledDead{id, err})
	w.mu.Unlock()
	w.poke()
}

// startWorker starts e's worker. Call it once e is registered.
func (b *Broker) startWorker(e *entry) {
	e.w.started = true
	go b.runWorker(e)
}

// stopWorker stops e's worker and waits for it, unless it is the caller.
func (b *Broker) stopWorker(e *entry, self bool) {
	e.w.stopOnce.Do(func() { close(e.w.stop) })
	if e.w.started && !self {
		<-e.w.done
	}
}

func (b *Broker) runWorker(e *entry) {
	w := e.w
	defer close(w.done)
	var t clock.Timer
	for {
		next, ok := e.q.NextDeadline()
		if exp := e.rules.Load().Expires; exp > 0 {
			w.usedMu.Lock()
			at := w.used.Add(exp)
			w.usedMu.Unlock()
			if !ok || at.Before(next) {
				next, ok = at, true
			}
		}
		if ok {
			t = clock.At(b.clock, next, w.poke)
		}
		var reply chan struct{}
		select {
		case <-w.wake:
		case reply = <-w.flush:
		case <-w.stop:
			if t != nil {
				t.Stop()
			}
			return
		}
		if t != nil {
			t.Stop()
			t = nil
		}
		expired := b.pass(e)
		if reply != nil {
			// A flush waits for what the pass set going (dead letters
			// stored by a synchronous store settle during the pass).
			for !expired && w.hasSettled() {
				expired = b.pass(e)
			}
			close(reply)
		}
		if expired {
			return
		}
	}
}

// pass does one round of the worker's work and reports whether the queue
// expired (and is gone).
func (b *Broker) pass(e *entry) bool {
	now := b.clock.Now()
	e.q.Tick(now)
	b.settleDead(e, now)
	b.moveDead(e)
	b.settleDead(e, now)
	return b.expireIfUnused(e, now)
}

func (w *worker) hasSettled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.settled) > 0
}

// flushWorker runs a pass of e's worker now and waits for it; false if
// the worker has stopped.
func (b *Broker) flushWorker(e *entry) bool {
	reply := make(chan struct{})
	select {
	case e.w.flush <- reply:
	case <-e.w.done:
		return false
	}
	select {
	case <-reply:
		return true
	case <-e.w.done:
		return false
	}
}

// Flush runs the time-driven work of queue name now (due delays, expiries,
// timeouts, dead letters) and waits for it to finish. The worker does it
// by itself; Flush is for tests and for the admin API's "now".
func (b *Broker) Flush(vhostName, name string) error {
	e, err := b.lookup(vhostName, name)
	if err != nil {
		return err
	}
	b.flushWorker(e)
	return nil
}

// settleDead writes the DeadLetter records of dead letters that reached
// their target. One whose publish failed stays in the source queue's log
// (it comes back on the next start), so nothing is lost.
func (b *Broker) settleDead(e *entry, now time.Time) {
	w := e.w
	w.mu.Lock()
	s := w.settled
	w.settled = nil
	w.mu.Unlock()
	for _, d := range s {
		if d.err != nil {
			b.logger.Error("dead letter not stored by its target; it stays in its queue until restart",
				slog.String("vhost", e.def.VHost), slog.String("queue", e.def.Name), slog.Uint64("id", d.id), slog.Any("err", d.err))
			continue
		}
		if err := e.q.DeadLettered(d.id, now, nil); err != nil {
			b.logger.Error("settling a dead letter", slog.String("queue", e.def.Name), slog.Any("err", err))
		}
	}
}

// moveDead takes e's dead messages and sends each to its target.
func (b *Broker) moveDead(e *entry) {
	for {
		ms := e.q.TakeDead(256)
		if len(ms) == 0 {
			return
		}
		for _, m := range ms {
			b.deadLetterTaken(e, m)
		}
	}
}

// expireIfUnused deletes e when its x-expires has passed with no
// consumers, no deliveries and no redeclare, as RabbitMQ does, and
// reports whether it did.
func (b *Broker) expireIfUnused(e *entry, now time.Time) bool {
	exp := e.rules.Load().Expires
	if exp <= 0 {
		return false
	}
	w := e.w
	s := e.q.Stats(now)
	if s.Consumers > 0 || s.Delivered != w.lastDelivered {
		w.lastDelivered = s.Delivered
		w.touch(now)
		return false
	}
	w.usedMu.Lock()
	idle := now.Sub(w.used)
	w.usedMu.Unlock()
	if idle < exp {
		return false
	}
	if _, err := b.deleteQueue(e.def.VHost, e.def.Name, e, false, false); err != nil {
		b.logger.Error("deleting an expired queue", slog.String("queue", e.def.Name), slog.Any("err", err))
		w.touch(now) // try again one x-expires later, not in a loop
		return false
	}
	b.logger.Info("queue expired (x-expires) and deleted", slog.String("vhost", e.def.VHost),
		slog.String("queue", e.def.Name), slog.Duration("unused", idle))
	return true
}
