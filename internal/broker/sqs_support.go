package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Functions the SQS front end needs beyond AMQP's declare-once model.

// SetQueueArgs replaces the arguments of queue name in vhost with args
// (SQS SetQueueAttributes, TagQueue): they are checked as DeclareQueue
// checks them, stored in meta for a durable queue, and the queue's rules
// are read again, with the policy that applies, and given to its engine
// at once. Messages already in the queue keep the delay and expiry they
// were given (see queue.SetPolicy). A redeclare must then repeat the new
// arguments.
func (b *Broker) SetQueueArgs(vhostName, name string, args map[string]any) error {
	canon, err := canonicalArgs(args)
	if err != nil {
		return &Error{Code: InvalidArgument, Msg: fmt.Sprintf("queue '%s'", name), Err: err}
	}
	if _, err := ParseRules(vhostName, name, canon, nil); err != nil {
		return err
	}
	b.mu.Lock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	e := vh.queues[name]
	if e == nil {
		b.mu.Unlock()
		return newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
	}
	def := e.def
	def.Args = canon
	if e.kept {
		if err := b.meta.PutQueue(def); err != nil {
			b.mu.Unlock()
			return &Error{Code: Internal, Msg: fmt.Sprintf("cannot store queue '%s' in vhost '%s'", name, vhostName), Err: err}
		}
	}
	e.def.Args = canon
	policy := policyFor(b.policies, vhostName, name)
	b.mu.Unlock()

	r, err := ParseRules(vhostName, name, canon, policy)
	if err != nil {
		b.logger.Error("policy does not apply to queue", slog.String("vhost", vhostName), slog.String("queue", name), slog.Any("err", err))
		if r, err = ParseRules(vhostName, name, canon, nil); err != nil {
			return err
		}
	}
	e.rules.Store(&r)
	b.watch(e, &r)
	e.q.SetPolicy(r.EnginePolicy(), b.clock.Now())
	e.w.poke()
	return nil
}

// PublishResult is Publish that also says what the queue did: the new
// message's ID, or for a duplicate (a deduplication id seen inside the
// window) the ID of the first message and Duplicate set. The SQS front
// end answers SendMessage with it (SequenceNumber).
func (b *Broker) PublishResult(vhostName, name string, m *message.Message, done func(error)) (queue.PublishResult, error) {
	e, err := b.lookup(vhostName, name)
	if err != nil {
		return queue.PublishResult{}, err
	}
	data, err := message.Encode(m)
	if err != nil {
		return queue.PublishResult{}, &Error{Code: InvalidArgument, Msg: fmt.Sprintf("message for queue '%s'", name), Err: err}
	}
	mo, err := readMsgOptions(m)
	if err != nil {
		return queue.PublishResult{}, err
	}
	po := queue.PublishOptions{Delay: mo.delay, HasDelay: mo.hasDelay, TTL: mo.ttl, HasTTL: mo.hasTTL,
		Group: mo.group, DedupID: mo.dedupID}
	if po.DedupID == "" && e.rules.Load().DedupMessageID && m.Properties.Has(message.FlagMessageID) {
		po.DedupID = m.Properties.MessageID
	}
	now := b.clock.Now()
	if done != nil {
		done = b.timeConfirm(done, now)
	}
	var note *publishNote
	if note, done = noteFor(e, m, &mo, done); note != nil {
		po.Note = note // message history and tracing (observe.go)
	}
	res, err := e.q.PublishWith(data, po, now, done)
	if err == nil && note != nil && note.hold != nil && !note.emitted {
		note.hold(nil) // a duplicate: nothing was published, nothing to hold
	}
	if errors.Is(err, queue.ErrRejected) && e.rules.Load().Overflow == "reject-publish-dlx" {
		b.deadLetter(e, m, queue.ReasonMaxLen, po.Group, now, func(error) {})
	}
	if err != nil {
		if errors.Is(err, queue.ErrClosed) {
			return queue.PublishResult{}, newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
		}
		return queue.PublishResult{}, fromQueue(err, "cannot publish to queue '%s' in vhost '%s'", name, vhostName)
	}
	e.w.touch(now)
	return res, nil
}

// cloneArgs returns a copy of args that the caller may change.
func cloneArgs(args map[string]any) map[string]any {
	if args == nil {
		return map[string]any{}
	}
	return maps.Clone(args)
}

// QueueArgs returns a copy of the arguments of queue name in vhost,
// which the caller may change and give to SetQueueArgs.
func (b *Broker) QueueArgs(vhostName, name string) (map[string]any, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return nil, err
	}
	e := vh.queues[name]
	if e == nil {
		return nil, newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
	}
	return cloneArgs(e.def.Args), nil
}
