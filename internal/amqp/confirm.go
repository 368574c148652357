package amqp

import (
	"sync/atomic"

	"github.com/ferrymq/ferry/internal/amqp/wire"
)

// Publisher confirms (RabbitMQ's confirm.select extension): every publish
// on a confirming channel gets a sequence number, 1, 2, ..., and is acked
// once the broker has made it durable in every queue it was routed to
// (fsynced, for durable queues with sync=always), or nacked if storing
// it failed. Confirms may complete out of order (different queues sync
// separately); the tracker acks a contiguous run with one basic.ack
// multiple=true, as RabbitMQ does, and sends nothing ahead of a gap.

// confirmTracker is the channel's confirm state; guarded by channel.mu.
type confirmTracker struct {
	through uint64          // every sequence number up to this one is announced
	done    map[uint64]bool // resolved, not yet announced: seq → ok
}

func newConfirmTracker() confirmTracker { return confirmTracker{done: map[uint64]bool{}} }

// resolveLocked records the outcome of publish seq and queues the acks
// and nacks that became announceable. ch.mu held.
func (ch *channel) resolveLocked(seq uint64, ok bool) {
	t := &ch.confirms
	// In order with nothing waiting (one queue, the common case): the loop
	// takes seq itself, without a map insert and delete.
	next := seq == t.through+1 && len(t.done) == 0
	if !next {
		t.done[seq] = ok
	}
	runEnd := uint64(0) // last seq of a run of acks not yet announced
	runLen := 0
	flush := func() {
		if runLen == 0 {
			return
		}
		// An ack the writer has not taken yet ends right before this run
		// (acks are announced in order, and a nack in between would be the
		// last item instead): widen it rather than send another frame. A
		// group commit confirms many publishes at once, so under load this
		// turns a burst of acks into one multiple ack, as RabbitMQ sends.
		if n := len(ch.pending); n > 0 && ch.pending[n-1].kind == itemMethod {
			if a, ok := ch.pending[n-1].method.(*wire.BasicAck); ok {
				// In place: the writer has not seen it, and a new frame per
				// confirm was one allocation a message.
				a.DeliveryTag, a.Multiple = runEnd, true
				runLen = 0
				return
			}
		}
		ch.pushLocked(outItem{kind: itemMethod, method: &wire.BasicAck{DeliveryTag: runEnd, Multiple: runLen > 1}})
		runLen = 0
	}
	for {
		if next {
			next = false
		} else {
			var found bool
			if ok, found = t.done[t.through+1]; !found {
				break
			}
			delete(t.done, t.through+1)
		}
		t.through++
		ch.c.s.stats.confirmed.Add(1)
		if ok {
			runEnd = t.through
			runLen++
			continue
		}
		flush()
		ch.pushLocked(outItem{kind: itemMethod, method: &wire.BasicNack{DeliveryTag: t.through}})
	}
	flush()
}

// confirmWait joins the two events a confirm waits for: the broker's
// done callback (stored) and the reader finishing the publish (so that a
// basic.return goes out before the ack). Whichever comes second resolves.
type confirmWait struct {
	ch      *channel
	seq     uint64
	pending atomic.Int32 // events still to come, from 2
	storedB atomic.Bool  // the stored event happened
	err     error        // written by the stored event before its decrement
}

// stored is passed to the broker as done. It counts once: the reader
// calls it too for a message that reached no queue.
func (w *confirmWait) stored(err error) {
	if w.storedB.Swap(true) {
		return // the broker called done for an unroutable message too
	}
	w.err = err
	w.arrive()
}

// arrive counts one of the two events.
func (w *confirmWait) arrive() {
	if w.pending.Add(-1) != 0 {
		return
	}
	ch := w.ch
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.closed {
		ch.resolveLocked(w.seq, w.err == nil)
	}
}

func (ch *channel) confirmSelect(m *wire.ConfirmSelect) error {
	if ch.tx != nil {
		return errPrecondition("cannot switch from tx to confirm mode")
	}
	ch.confirming = true
	if !m.NoWait {
		ch.send(&wire.ConfirmSelectOk{})
	}
	return nil
}
