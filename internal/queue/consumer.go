package queue

import "slices"

// Delivery is one message handed out, by push to a consumer or by Get.
type Delivery struct {
	ID uint64
	// Deliveries counts the times the message was handed out, this one
	// included: above 1 means redelivered.
	Deliveries uint32
	// Data is the stored body, as the log returned it. It must not be
	// modified; copy it to keep it past the callback if the log may
	// reuse it (memstore does not).
	Data []byte
	// Consumer is the tag of the consumer it went to; "" for Get.
	Consumer string
	// Group is the message's group; "" for none.
	Group string
}

// ConsumerOptions describe a push consumer.
type ConsumerOptions struct {
	// Tag names the consumer in deliveries; the queue does not check that
	// it is unique (AMQP scopes tags to a channel, which the front end owns).
	Tag string
	// Owner holds the consumer's leases; they outlive the consumer until
	// acked, nacked or released.
	Owner Owner
	// Prefetch bounds the consumer's unacked deliveries; 0 means no bound.
	// It is AMQP's per-consumer basic.qos; ignored when NoAck is set.
	Prefetch int
	// Limiter, if not nil, bounds the unacked deliveries of every
	// consumer that shares it, in any queue (AMQP's basic.qos
	// global=true): each delivery takes a credit from it, and without one
	// the consumer waits until the Limiter resumes it. Prefetch applies
	// as well. Ignored when NoAck is set. See Limiter.
	Limiter *Limiter
	// Priority orders consumers (AMQP's x-priority): a message goes to a
	// consumer of the highest priority that may take it (priority.go).
	// Default 0; negative values are allowed.
	Priority int
	// NoAck consumers take messages at most once: each is removed from the
	// queue as it is handed out, and no lease is kept.
	NoAck bool
	// Deliver receives the consumer's messages, in delivery order, with the
	// queue's lock held. It must not block and must not call the queue;
	// hand the delivery to a goroutine of your own (with Prefetch n, a
	// channel of capacity n never blocks).
	Deliver func(Delivery)
	// OnTimeout, if not nil, is called (with the queue's lock held; it
	// must not block or call the queue) when the queue cancels the
	// consumer for holding a message past the policy's ConsumerTimeout.
	// The front end tells the client (AMQP basic.cancel).
	OnTimeout func()
	// Connection names who consumes (the AMQP connection as admin lists
	// it), for the Observer; the queue does not use it.
	Connection string
}

// Consumer is a registered push consumer. Its fields are guarded by the
// lock of the Queue it belongs to.
type Consumer struct {
	tag      string
	owner    *ownerState
	prefetch int
	noAck    bool
	deliver  func(Delivery)
	// onTimeout is ConsumerOptions.OnTimeout.
	onTimeout func()
	conn      string // ConsumerOptions.Connection

	priority int      // ConsumerOptions.Priority
	limiter  *Limiter // ConsumerOptions.Limiter; nil for none and for no-ack consumers

	unacked   int  // leases taken through this consumer and not yet ended
	cancelled bool // no more deliveries
	parked    bool // its Limiter had no credit: no deliveries until it resumes the queue
}

// Tag returns the consumer's tag.
func (c *Consumer) Tag() string { return c.tag }

// ownerOrNil returns c's owner state, or nil for a nil c (a Get).
func (c *Consumer) ownerOrNil() *ownerState {
	if c == nil {
		return nil
	}
	return c.owner
}

// hasCredit reports whether c may take one more message, as far as the
// queue knows: its Limiter, unless it parked c, is asked at hand-out.
// Lock held.
func (c *Consumer) hasCredit() bool {
	return !c.cancelled && !c.parked && (c.prefetch == 0 || c.noAck || c.unacked < c.prefetch)
}

// addUnackedLocked moves c's unacked count by d and keeps q.withCredit,
// the number of consumers with credit, right.
func (q *Queue) addUnackedLocked(c *Consumer, d int) {
	before := c.hasCredit()
	c.unacked += d
	if after := c.hasCredit(); after != before {
		if after {
			q.withCredit++
		} else {
			q.withCredit--
		}
	}
}

// nextConsumerLocked returns the next consumer with credit in round-robin
// order of registration, starting after the last one served, and moves the
// cursor past it; among consumers of different priorities, the next of
// the highest priority with credit (priority.go). q.withCredit must be
// above zero.
func (q *Queue) nextConsumerLocked() *Consumer {
	var c *Consumer
	if len(q.levels) > 1 {
		c = q.nextByPriorityLocked()
	} else {
		c = q.roundRobinLocked(&q.cursor, 0, true)
	}
	if c == nil {
		panic("queue: withCredit > 0 but no consumer has credit")
	}
	return c
}

// roundRobinLocked returns the first consumer with credit, of priority
// prio unless anyPrio, at or after index *cursor of q.consumers,
// wrapping around, and moves *cursor past it; nil if there is none. Lock
// held.
func (q *Queue) roundRobinLocked(cursor *int, prio int, anyPrio bool) *Consumer {
	n := len(q.consumers)
	start := *cursor
	if start >= n {
		start = 0
	}
	for i := 0; i < n; i++ {
		k := start + i
		if k >= n {
			k -= n
		}
		if c := q.consumers[k]; (anyPrio || c.priority == prio) && c.hasCredit() {
			// Not wrapped to 0 here: a consumer registered before the next
			// dispatch lands at index n and is next, as round-robin says.
			*cursor = k + 1
			return c
		}
	}
	return nil
}

// dispatchLocked pushes ready messages to consumers with credit until one
// or the other runs out. Every command that can make a message ready or
// give a consumer credit ends with it, so after any command either nothing
// is ready or no consumer can take more (consumers parked on a Limiter
// do not count: resuming them ends with it too).
func (q *Queue) dispatchLocked(now int64) {
	for q.withCredit > 0 {
		e, ok := q.nextReadyLocked(now)
		if !ok {
			return
		}
		c := q.takerLocked()
		if c == nil {
			// Every consumer that had room was parked on its Limiter: e
			// waits at the head again (in ID order, as a returned one).
			q.ready.pushReturned(e)
			return
		}
		if d, ok := q.handOutLocked(e, c, c.owner.id, c.noAck, now, 0); ok {
			c.deliver(d)
		} else if c.limiter != nil {
			q.oweLocked(c.limiter) // e could not be read and was dropped
		}
	}
}

// takerLocked returns the consumer the next message goes to, with a
// credit taken from its Limiter if it has one; consumers whose Limiter
// has none left are parked on the way. nil: no consumer can take it.
func (q *Queue) takerLocked() *Consumer {
	for q.withCredit > 0 {
		c := q.nextConsumerLocked()
		if c.limiter == nil || c.limiter.take(q) {
			return c
		}
		q.parkLocked(c)
	}
	return nil
}

// removeConsumerLocked takes c out of the round-robin, keeping the cursor
// on the consumer that was due next.
func (q *Queue) removeConsumerLocked(c *Consumer) bool {
	for i, o := range q.consumers {
		if o != c {
			continue
		}
		if c.hasCredit() {
			q.withCredit--
		}
		c.cancelled = true
		q.consumers = slices.Delete(q.consumers, i, i+1)
		if i < q.cursor {
			q.cursor--
		}
		q.uncountConsumerLocked(c, i)
		c.owner.consumers--
		q.dropOwnerIfIdleLocked(c.owner)
		return true
	}
	return false
}
