package queue

import "slices"

// Consumer priorities (AMQP's x-priority, as RabbitMQ has them): a
// message goes to the consumer of highest priority that may take one,
// round-robin in registration order among consumers of that priority; a
// consumer of lower priority gets messages only while every consumer
// above it is blocked by its prefetch or parked on its Limiter.
// Priorities may be negative; the default is 0.
//
// While all consumers share one priority (the usual case) selection is
// the plain round-robin of nextConsumerLocked on Queue.cursor. Once
// priorities differ, each priority keeps a cursor of its own in
// Queue.levels, so that serving another priority does not lose a
// priority's place in its round.

// prioLevel is one priority among the registered consumers.
type prioLevel struct {
	prio int
	n    int // registered consumers of this priority
	// cursor is the index in Queue.consumers of the next one of this
	// priority to try, as Queue.cursor is; used while priorities differ.
	cursor int
}

// addToLevelLocked files c, just appended to Queue.consumers by
// opConsume, under its priority. Lock held.
func (q *Queue) addToLevelLocked(c *Consumer) {
	i := 0
	for i < len(q.levels) && q.levels[i].prio > c.priority {
		i++
	}
	if i < len(q.levels) && q.levels[i].prio == c.priority {
		q.levels[i].n++
		return
	}
	if len(q.levels) == 1 {
		// Priorities differ from now on: the one priority's round goes
		// on from where it was.
		q.levels[0].cursor = q.cursor
	}
	q.levels = slices.Insert(q.levels, i, prioLevel{prio: c.priority, n: 1})
}

// uncountConsumerLocked forgets c, which was at index i of
// Queue.consumers and has just been taken out of it. Lock held.
func (q *Queue) uncountConsumerLocked(c *Consumer, i int) {
	for j := range q.levels {
		if i < q.levels[j].cursor {
			q.levels[j].cursor--
		}
	}
	j := slices.IndexFunc(q.levels, func(l prioLevel) bool { return l.prio == c.priority })
	if q.levels[j].n--; q.levels[j].n > 0 {
		return
	}
	q.levels = slices.Delete(q.levels, j, j+1)
	if len(q.levels) == 1 {
		// Back to one priority: its round goes on from where it was.
		q.cursor = q.levels[0].cursor
	}
}

// nextByPriorityLocked is nextConsumerLocked while priorities differ:
// the next consumer with credit, round-robin, among those of the highest
// priority that has one; nil if none has. Lock held.
func (q *Queue) nextByPriorityLocked() *Consumer {
	top, found := 0, false
	for _, c := range q.consumers {
		if c.hasCredit() && (!found || c.priority > top) {
			top, found = c.priority, true
		}
	}
	if !found {
		return nil
	}
	lv := &q.levels[slices.IndexFunc(q.levels, func(l prioLevel) bool { return l.prio == top })]
	return q.roundRobinLocked(&lv.cursor, top, false)
}
