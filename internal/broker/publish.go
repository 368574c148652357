package broker

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Route publishes m to every queue that m.Exchange routes it to with
// m.RoutingKey and m.Properties.Headers, following exchange-to-exchange
// bindings; each queue gets it once, however many paths lead there, and a
// cycle of exchanges is walked once. The default exchange "" routes to the
// queue named by the routing key.
//
// It returns how many queues the message was routed to; 0 means
// unroutable (AMQP's mandatory flag returns it). done, if not nil, runs
// once: after the message is as durable as every one of those queues
// promises (nil; at once if unroutable), or, once every queue has
// answered, with the first error a queue's log reported (a failed disk:
// the publisher should be told, and the message still counts as routed).
// done may run before Route returns, on the caller's goroutine or a log's
// writer goroutine, and must not block. A queue deleted while the message
// was on its way is left out, as if it had been deleted just before.
//
// Route fails, and done does not run, if the vhost or the exchange does
// not exist (NotFound), the exchange is internal (AccessRefused), or m
// cannot be encoded (InvalidArgument).
//
// The message is encoded once and the same bytes go to every queue: a
// store.Log only reads what it is given (memstore keeps it as is,
// diskstore copies it into its own buffer), and queue.Delivery.Data must
// not be modified, so the queues can share it.
func (b *Broker) Route(vhostName string, m *message.Message, done func(error)) (queues int, err error) {
	return b.RouteWith(vhostName, m, RouteOptions{}, done)
}

// RouteOptions say what a publish carries beyond the message.
type RouteOptions struct {
	// Publisher names who publishes (the AMQP connection as admin lists
	// it), for message history; the broker does not use it otherwise.
	Publisher string
}

// RouteWith is Route with options.
func (b *Broker) RouteWith(vhostName string, m *message.Message, o RouteOptions, done func(error)) (queues int, err error) {
	mo, err := readMsgOptions(m)
	if err != nil {
		return 0, err
	}
	mo.publisher = o.Publisher
	return b.route(vhostName, m, &mo, nil, done)
}

// route is Route with the message's options already read, and an
// optional skip that leaves queues out (dead-letter cycles).
func (b *Broker) route(vhostName string, m *message.Message, mo *msgOptions, skip func(*entry) bool, done func(error)) (queues int, err error) {
	data, err := message.Encode(m)
	if err != nil {
		return 0, &Error{Code: InvalidArgument, Msg: fmt.Sprintf("message for exchange '%s'", m.Exchange), Err: err}
	}
	s := scratchPool.Get().(*routeScratch)
	defer s.release()
	if err := b.resolve(vhostName, m, s); err != nil {
		return 0, err
	}
	if skip != nil {
		s.queues = slices.DeleteFunc(s.queues, skip)
	}
	now := b.clock.Now()
	if done != nil && len(s.queues) > 0 {
		done = b.timeConfirm(done, now)
	}
	switch {
	case len(s.queues) == 0:
		if done != nil {
			done(nil)
		}
		return 0, nil
	case done == nil:
		n := 0
		for _, e := range s.queues {
			if err := b.publishOne(e, data, m, mo, now, nil); !errors.Is(err, queue.ErrClosed) {
				n++
			}
		}
		return n, nil
	case len(s.queues) == 1:
		// The common case needs no fan-in: the queue's confirmation is ours.
		e := s.queues[0]
		if err := b.publishOne(e, data, m, mo, now, done); err != nil {
			if errors.Is(err, queue.ErrClosed) {
				done(nil)
				return 0, nil
			}
			done(fromQueue(err, "cannot publish to queue '%s' in vhost '%s'", e.def.Name, vhostName))
		}
		return 1, nil
	}
	f := fanInPool.Get().(*fanIn)
	f.done = done
	f.pending.Store(int64(len(s.queues)) + 1) // +1 until every queue has been handed the message
	confirm := f.bound
	n := 0
	for _, e := range s.queues {
		err := b.publishOne(e, data, m, mo, now, confirm)
		switch {
		case err == nil:
			n++
		case errors.Is(err, queue.ErrClosed):
			confirm(nil)
		default:
			n++
			confirm(fromQueue(err, "cannot publish to queue '%s' in vhost '%s'", e.def.Name, vhostName))
		}
	}
	confirm(nil)
	return n, nil
}

// publishOne appends data (m encoded) to e's queue with m's options as
// e's rules read them. A publish that e's length limit refuses with
// overflow reject-publish-dlx is dead-lettered (reason maxlen) before the
// error goes back to the publisher.
func (b *Broker) publishOne(e *entry, data []byte, m *message.Message, mo *msgOptions, now time.Time, done func(error)) error {
	var po queue.PublishOptions
	if mo != nil {
		po = queue.PublishOptions{Delay: mo.delay, HasDelay: mo.hasDelay, TTL: mo.ttl, HasTTL: mo.hasTTL,
			Group: mo.group, DedupID: mo.dedupID}
		if po.DedupID == "" && e.rules.Load().DedupMessageID && m.Properties.Has(message.FlagMessageID) {
			po.DedupID = m.Properties.MessageID
		}
	}
	var note *publishNote
	if mo != nil {
		if note, done = noteFor(e, m, mo, done); note != nil {
			po.Note = note
		}
	}
	_, err := e.q.PublishWith(data, po, now, done)
	if err == nil && note != nil && note.hold != nil && !note.emitted {
		note.hold(nil) // a duplicate: nothing was published, nothing to hold
	}
	if errors.Is(err, queue.ErrRejected) && e.rules.Load().Overflow == "reject-publish-dlx" {
		if c, derr := message.Decode(data); derr == nil {
			b.deadLetter(e, c, queue.ReasonMaxLen, po.Group, now, func(error) {})
		}
	}
	return err
}

// resolve fills s.queues with the queues m goes to. It holds b.mu (so the
// queues stay registered) and the vhost's routes.mu for reading: routing
// runs in parallel with other publishers, and a binding change holds
// routes.mu only while it edits memory, not across its meta write.
func (b *Broker) resolve(vhostName string, m *message.Message, s *routeScratch) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return err
	}
	if m.Exchange == "" {
		if e := vh.queues[m.RoutingKey]; e != nil {
			s.queues = append(s.queues, e)
		}
		return nil
	}
	rt := &vh.routes
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	x := rt.exchanges[m.Exchange]
	if err := publishableLocked(x, vhostName, m.Exchange); err != nil {
		return err
	}
	// Breadth-first over exchange-to-exchange bindings; s.xs is both the
	// work list and the set of exchanges seen, which ends cycles.
	s.xs = append(s.xs, x)
	for i := 0; i < len(s.xs); i++ {
		s.dests = s.xs[i].m.Match(s.dests[:0], m.RoutingKey, m.Properties.Headers)
		if len(s.dests) == 0 {
			// Routed nowhere: its alternate exchange, if any, tries
			// (alternate.go).
			if ae := b.alternateOf(vhostName, s.xs[i]); ae != "" {
				if y := rt.exchanges[ae]; y == nil {
					b.warnMissingAlternate(vhostName, s.xs[i].name, ae)
				} else if !slices.Contains(s.xs, y) {
					s.xs = append(s.xs, y)
				}
			}
			continue
		}
		for _, d := range s.dests {
			name := d[1:]
			if d[0] == destQueueTag {
				if e := vh.queues[name]; e != nil {
					// One exchange reports each destination once, so only
					// queues reached through a second exchange can repeat.
					s.addQueue(e, i > 0)
				}
			} else if y := rt.exchanges[name]; y != nil && !slices.Contains(s.xs, y) {
				s.xs = append(s.xs, y)
			}
		}
	}
	return nil
}

// fanIn gathers the confirmations of one message's queues and runs done
// once, when the last has come. It is pooled with its bound confirm
// func, so that a fan-out allocates neither: the last confirmation is
// also the last use, and puts it back.
type fanIn struct {
	pending atomic.Int64
	first   atomic.Pointer[error] // the first error reported
	done    func(error)           // set before the first confirm; read by the last
	bound   func(error)           // f.confirm, made once per fanIn
}

// fanInPool's New is set in init: confirm puts to the pool, so a
// composite initializer would be an initialization cycle.
var fanInPool sync.Pool

func init() {
	fanInPool.New = func() any {
		f := new(fanIn)
		f.bound = f.confirm
		return f
	}
}

func (f *fanIn) confirm(err error) {
	if err != nil {
		e := err // only a real error is moved to the heap
		f.first.CompareAndSwap(nil, &e)
	}
	if f.pending.Add(-1) != 0 {
		return
	}
	done, first := f.done, f.first.Load()
	f.done = nil
	f.first.Store(nil)
	fanInPool.Put(f)
	if first != nil {
		done(*first)
		return
	}
	done(nil)
}

// routeScratch holds one Route's working lists. They are pooled, so that
// routing allocates nothing for them in the steady state.
type routeScratch struct {
	dests  []string        // one exchange's matches
	xs     []*exchange     // exchanges reached, in the order visited
	queues []*entry        // queues reached, each once
	seen   map[*entry]bool // the first len(seen) of queues, once there are many
}

var scratchPool = sync.Pool{New: func() any { return new(routeScratch) }}

// dedupeScan is how many queues are checked for a repeat by scanning
// before a map is worth building.
const dedupeScan = 32

// addQueue appends e to s.queues; with dedupe, only if it is not there.
func (s *routeScratch) addQueue(e *entry, dedupe bool) {
	if dedupe {
		if len(s.queues) <= dedupeScan {
			if slices.Contains(s.queues, e) {
				return
			}
		} else {
			if s.seen == nil {
				s.seen = make(map[*entry]bool, 2*len(s.queues))
			}
			for _, q := range s.queues[len(s.seen):] {
				s.seen[q] = true
			}
			if s.seen[e] {
				return
			}
		}
	}
	s.queues = append(s.queues, e)
}

// release clears s, so the pool pins no queue or exchange, and pools it;
// lists grown by a huge fan-out are dropped rather than kept.
func (s *routeScratch) release() {
	const keep = 1024
	clear(s.dests)
	clear(s.xs)
	clear(s.queues)
	s.dests, s.xs, s.queues = s.dests[:0], s.xs[:0], s.queues[:0]
	if cap(s.queues) > keep || cap(s.dests) > keep {
		s.dests, s.queues = nil, nil
	}
	if len(s.seen) > keep {
		s.seen = nil
	} else {
		clear(s.seen)
	}
	scratchPool.Put(s)
}
