package broker

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// RedriveOptions say what Redrive moves and where.
type RedriveOptions struct {
	// To names the queue every message goes to; "" sends each back to the
	// queue it last died in (x-last-death-queue, else x-first-death-queue).
	To string
	// Limit moves at most this many messages; 0 moves those the queue
	// held when the redrive began (not the ones that arrive meanwhile, so
	// a redrive ends even while its queue keeps filling).
	Limit int
	// Rate caps the pace in messages a second; 0 is as fast as the target
	// stores them.
	Rate float64
	// Progress, if not nil, is called after each message moved with the
	// count so far.
	Progress func(moved int)
	// Match, if not empty, moves only the messages whose every named
	// header equals the given value, compared as text (HeaderText); the
	// others stay where they are, in order, untouched (redrive_match.go).
	// Limit then counts matching messages.
	Match map[string]string
}

// redriveOwner numbers the leases of redrives apart from any front end's
// (front ends count up from 1).
var redriveOwner atomic.Uint64

func init() { redriveOwner.Store(1 << 62) }

// Redrive moves messages from queue from (a dead-letter queue) back to
// the queues they died in, or to o.To, in order, and returns how many it
// moved. Each message is leased in from, published to its target, and
// acked in from only once the target has stored it: a crash or an error
// in between leaves it in from (or, at worst, in both: at-least-once),
// never nowhere. Its headers, x-death included, go with it, so a message
// that dies again shows its whole history; its exchange and routing key
// are restored from its last death. A message whose target queue no
// longer exists stops the redrive with NotFound and stays in from.
// Publishing to from meanwhile is safe. ctx cancels between messages.
func (b *Broker) Redrive(ctx context.Context, vhostName, from string, o RedriveOptions) (moved int, err error) {
	src, err := b.lookup(vhostName, from)
	if err != nil {
		return 0, err
	}
	if len(o.Match) > 0 {
		return b.redriveMatching(ctx, vhostName, src, o)
	}
	limit := o.Limit
	if limit <= 0 {
		limit = src.q.Stats(b.clock.Now()).Ready
	}
	owner := queue.Owner(redriveOwner.Add(1))
	defer src.q.Release(owner, b.clock.Now()) // whatever is still leased on an early return
	start := b.clock.Now()
	for moved < limit {
		if err := ctx.Err(); err != nil {
			return moved, err
		}
		if o.Rate > 0 {
			due := start.Add(time.Duration(float64(moved) / o.Rate * float64(time.Second)))
			if err := b.sleepUntil(ctx, due); err != nil {
				return moved, err
			}
		}
		d, ok, err := src.q.Get(owner, false, b.clock.Now())
		if err != nil {
			return moved, fromQueue(err, "redrive from queue '%s' in vhost '%s'", from, vhostName)
		}
		if !ok {
			break
		}
		if err := b.moveLeased(vhostName, src, owner, d, o, moved+1); err != nil {
			return moved, err
		}
		moved++
	}
	return moved, nil
}

// moveLeased moves delivery d, leased by owner, from src to its target:
// published there and stored (redriveOne), then acked in src. It is the
// n-th message the redrive moved, which o.Progress hears.
func (b *Broker) moveLeased(vhostName string, src *entry, owner queue.Owner, d queue.Delivery, o RedriveOptions, n int) error {
	if err := b.redriveOne(vhostName, src, d, o.To); err != nil {
		return err
	}
	if err := src.q.Ack(owner, d.ID, b.clock.Now(), nil); err != nil {
		return fromQueue(err, "redrive from queue '%s' in vhost '%s'", src.def.Name, vhostName)
	}
	src.w.touch(b.clock.Now())
	if o.Progress != nil {
		o.Progress(n)
	}
	return nil
}

// redriveOne publishes delivery d of src to its target and waits until
// stored.
func (b *Broker) redriveOne(vhostName string, src *entry, d queue.Delivery, to string) error {
	m, err := message.Decode(d.Data)
	if err != nil {
		return &Error{Code: Internal, Msg: fmt.Sprintf("redrive: message %d does not decode", d.ID), Err: err}
	}
	target := to
	if target == "" {
		target = deathHeader(m, "x-last-death-queue")
		if target == "" {
			target = firstDeathQueue(m)
		}
		if target == "" {
			return newError(PreconditionFailed, "redrive: message %d has no x-death and no target queue was named", d.ID)
		}
	}
	restoreOrigin(m)
	e, err := b.lookup(vhostName, target)
	if err != nil {
		return err
	}
	data, err := message.Encode(m)
	if err != nil {
		return &Error{Code: Internal, Msg: "redrive: encode", Err: err}
	}
	stored := make(chan error, 1)
	mo := msgOptions{group: d.Group, from: src.def.Name, detail: "redriven from queue '" + src.def.Name + "'"}
	now := b.clock.Now() // the redriven event's time too: it sorts before the target's published
	if err := b.publishOne(e, data, m, &mo, now, func(err error) { stored <- err }); err != nil {
		return fromQueue(err, "redrive to queue '%s' in vhost '%s'", target, vhostName)
	}
	if err := <-stored; err != nil {
		return fromQueue(err, "redrive to queue '%s' in vhost '%s'", target, vhostName)
	}
	if src.watchers.Load() != nil {
		ev := MessageEvent{Event: EventRedriven, ID: d.ID, At: now, Deliveries: d.Deliveries,
			Detail: "to queue '" + target + "'"}
		if m.Properties.Has(message.FlagMessageID) {
			ev.MessageID = m.Properties.MessageID
		}
		b.emit(src, &ev)
	}
	e.w.touch(b.clock.Now())
	return nil
}

// restoreOrigin sets m's exchange and routing key back to those of its
// latest death (x-death[0]), where it was published before it died.
func restoreOrigin(m *message.Message) {
	v, ok := m.Properties.Headers.Get("x-death")
	if !ok {
		return
	}
	deaths, _ := v.([]any)
	if len(deaths) == 0 {
		return
	}
	t, ok := deaths[0].(message.Table)
	if !ok {
		return
	}
	m.Exchange = tableString(t, "exchange")
	if keys, ok := t.Get("routing-keys"); ok {
		if a, ok := keys.([]any); ok && len(a) > 0 {
			if s, ok := a[0].(string); ok {
				m.RoutingKey = s
			}
		}
	}
}

func deathHeader(m *message.Message, key string) string {
	v, _ := m.Properties.Headers.Get(key)
	s, _ := v.(string)
	return s
}

// sleepUntil waits on the broker's clock.
func (b *Broker) sleepUntil(ctx context.Context, at time.Time) error {
	if !at.After(b.clock.Now()) {
		return nil
	}
	ch := make(chan struct{})
	t := clock.At(b.clock, at, func() { close(ch) })
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
