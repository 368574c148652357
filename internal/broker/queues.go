package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/queue"
)

// QueueOptions are a queue's properties, fixed when it is created: a
// redeclare must repeat them.
type QueueOptions struct {
	// Durable queues and their messages survive a restart.
	Durable bool
	// Exclusive queues belong to the connection Owner: no other connection
	// may declare them, and CloseOwner deletes them. They never survive a
	// restart, whatever Durable says.
	Exclusive bool
	// AutoDelete is recorded and checked on redeclare; deleting the queue
	// when its last consumer goes comes with consumer tracking.
	AutoDelete bool
	// Args are the queue's arguments (x-message-ttl, x-max-length...).
	// They must be representable in JSON; numbers compare by value.
	Args map[string]any
	// Owner names the declaring connection; used with Exclusive.
	Owner string
}

// QueueInfo describes a queue for listings, declare-ok answers and admin.
type QueueInfo struct {
	VHost      string
	Name       string
	Durable    bool
	Exclusive  bool
	AutoDelete bool
	Owner      string // for exclusive queues
	Args       map[string]any
	Stats      queue.Stats // Stats.Err is the log's sticky error, if it failed
}

func (e *entry) info(now time.Time) QueueInfo {
	return QueueInfo{
		VHost: e.def.VHost, Name: e.def.Name, Durable: e.def.Durable, Exclusive: e.def.Exclusive,
		AutoDelete: e.def.AutoDelete, Owner: e.owner, Args: e.def.Args, Stats: e.q.Stats(now),
	}
}

// DeclareQueue creates queue name in vhost, or checks that the existing
// one was declared alike: another Durable or AutoDelete, or another value
// of an argument with a meaning (queue_args.go), gives
// PreconditionFailed; another connection's exclusive queue, or another
// Exclusive flag, gives ResourceLocked. Arguments are checked first
// (queue_args.go, ParseRules). An empty name makes the broker choose one
// (q.Name()). created reports whether the queue is new.
func (b *Broker) DeclareQueue(vhostName, name string, o QueueOptions) (q *queue.Queue, created bool, err error) {
	if name == "" {
		name = generatedName()
	} else if err := checkQueueName(name); err != nil {
		return nil, false, err
	}
	args, err := canonicalArgs(o.Args)
	if err != nil {
		return nil, false, &Error{Code: InvalidArgument, Msg: fmt.Sprintf("queue '%s'", name), Err: err}
	}
	// Bad delivery arguments are refused before anything is created; the
	// policy is left out here (a bad policy is the operator's, not this
	// declarer's, and openQueue logs it).
	if _, err := ParseRules(vhostName, name, args, nil); err != nil {
		return nil, false, err
	}
	unknownArgs, err := checkQueueArgs(vhostName, name, o.Durable, o.Exclusive, o.AutoDelete, args)
	if err != nil {
		return nil, false, err
	}
	def := meta.Queue{VHost: vhostName, Name: name, Durable: o.Durable, Exclusive: o.Exclusive, AutoDelete: o.AutoDelete, Args: args}
	owner := ""
	if o.Exclusive {
		owner = o.Owner
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return nil, false, err
	}
	if e := vh.queues[name]; e != nil {
		if err := e.check(def, o.Owner); err != nil {
			return nil, false, err
		}
		e.w.touch(b.clock.Now())
		return e.q, false, nil
	}
	st, keep := b.transient, o.Durable && !o.Exclusive && b.meta != nil
	if o.Durable && !o.Exclusive {
		st = b.durable
	}
	e, err := b.openQueue(def, owner, st)
	if err != nil {
		return nil, false, &Error{Code: Internal, Msg: fmt.Sprintf("cannot create queue '%s' in vhost '%s'", name, vhostName), Err: err}
	}
	if keep {
		e.kept = true
		if err := b.meta.PutQueue(def); err != nil {
			b.dropQueue(e, false)
			return nil, false, &Error{Code: Internal, Msg: fmt.Sprintf("cannot store queue '%s' in vhost '%s'", name, vhostName), Err: err}
		}
	}
	vh.queues[name] = e
	b.startWorker(e)
	b.logger.Info("queue declared", slog.String("vhost", vhostName), slog.String("queue", name), slog.Bool("durable", o.Durable))
	if len(unknownArgs) > 0 {
		b.logger.Warn("queue arguments unknown to Ferry are kept but have no effect", slog.String("vhost", vhostName),
			slog.String("queue", name), slog.Any("arguments", unknownArgs))
	}
	return e.q, true, nil
}

// check compares a redeclaration by connection owner with what e was
// declared as.
func (e *entry) check(d meta.Queue, owner string) error {
	// As RabbitMQ (check_exclusive_access, strict): an exclusive queue may
	// be redeclared only by its connection and only as exclusive, and no
	// one may make an existing shared queue exclusive.
	if e.def.Exclusive != d.Exclusive || e.def.Exclusive && e.owner != owner {
		return newError(ResourceLocked, "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. "+
			"It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.",
			d.Name, d.VHost)
	}
	diff := func(what string, got, have any) error {
		return newError(PreconditionFailed, "inequivalent arg '%s' for queue '%s' in vhost '%s': received '%v' but current is '%v'",
			what, d.Name, d.VHost, got, have)
	}
	switch {
	case d.Durable != e.def.Durable:
		return diff("durable", d.Durable, e.def.Durable)
	case d.AutoDelete != e.def.AutoDelete:
		return diff("auto_delete", d.AutoDelete, e.def.AutoDelete)
	}
	if k, got, have, differ := queueArgsDiff(d.Args, e.def.Args); differ {
		return diff(k, got, have)
	}
	return nil
}

// lookup returns the entry of queue name in vhost.
func (b *Broker) lookup(vhostName, name string) (*entry, error) {
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
	return e, nil
}

// Queue returns queue name in vhost, for consuming, getting and acking.
func (b *Broker) Queue(vhostName, name string) (*queue.Queue, error) {
	e, err := b.lookup(vhostName, name)
	if err != nil {
		return nil, err
	}
	return e.q, nil
}

// QueueInfo describes queue name in vhost.
// It reads the definition with the registry locked, since SetQueueArgs
// may change the arguments.
func (b *Broker) QueueInfo(vhostName, name string) (QueueInfo, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return QueueInfo{}, err
	}
	e := vh.queues[name]
	if e == nil {
		return QueueInfo{}, newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
	}
	return e.info(b.clock.Now()), nil
}

// Queues describes the queues of vhost, sorted by name; none if the vhost
// does not exist.
func (b *Broker) Queues(vhostName string) []QueueInfo {
	// info runs with the registry locked (SetQueueArgs may change the
	// arguments); Stats takes each queue's lock after b.mu, as
	// deleteQueue does.
	b.mu.RLock()
	vh := b.vhosts[vhostName]
	var out []QueueInfo
	now := b.clock.Now()
	if vh != nil {
		out = make([]QueueInfo, 0, len(vh.queues))
		for _, e := range vh.queues {
			out = append(out, e.info(now))
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(a, b QueueInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// DeleteQueue deletes queue name in vhost with its messages, log,
// definition and bindings (auto-delete exchanges left without bindings go
// too), and returns how many ready messages it held. ifUnused refuses
// (PreconditionFailed) while it has consumers, ifEmpty while it has ready
// messages, as AMQP's queue.delete does. Its consumers stop receiving;
// their unacked messages are gone with the queue.
func (b *Broker) DeleteQueue(vhostName, name string, ifUnused, ifEmpty bool) (purged int, err error) {
	return b.deleteQueue(vhostName, name, nil, ifUnused, ifEmpty)
}

// deleteQueue is DeleteQueue; with self set, it is e's own worker that
// deletes e (x-expires), and only if name is still e.
func (b *Broker) deleteQueue(vhostName, name string, self *entry, ifUnused, ifEmpty bool) (purged int, err error) {
	b.mu.Lock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		b.mu.Unlock()
		return 0, err
	}
	e := vh.queues[name]
	if e == nil || self != nil && e != self {
		b.mu.Unlock()
		return 0, newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
	}
	s := e.q.Stats(b.clock.Now())
	switch {
	case ifUnused && s.Consumers > 0:
		b.mu.Unlock()
		return 0, newError(PreconditionFailed, "queue '%s' in vhost '%s' in use", name, vhostName)
	case ifEmpty && s.Ready > 0:
		b.mu.Unlock()
		return 0, newError(PreconditionFailed, "queue '%s' in vhost '%s' not empty", name, vhostName)
	}
	if e.kept {
		if err := b.meta.DeleteQueue(vhostName, name); err != nil {
			b.mu.Unlock()
			return 0, &Error{Code: Internal, Msg: fmt.Sprintf("cannot delete queue '%s' in vhost '%s'", name, vhostName), Err: err}
		}
	}
	delete(vh.queues, name)
	b.unbindQueueLocked(vh, name)
	b.mu.Unlock()
	b.dropQueue(e, self != nil)
	b.logger.Info("queue deleted", slog.String("vhost", vhostName), slog.String("queue", name), slog.Int("ready", s.Ready))
	return s.Ready, nil
}

// dropQueue stops e's worker (self: the caller is that worker), closes
// e's queue and removes its log. A failure is logged: the definition is
// already gone, so the next New removes the log.
func (b *Broker) dropQueue(e *entry, self bool) {
	b.stopWorker(e, self)
	b.queueGone(e) // observe.go
	b.hookMu.Lock()
	hooks := b.deleted
	b.hookMu.Unlock()
	for _, h := range hooks {
		h(e.def.VHost, e.def.Name, e.q)
	}
	if err := e.q.Close(); err != nil {
		b.logger.Error("closing a deleted queue", slog.String("queue", e.def.Name), slog.Any("err", err))
	}
	if err := e.st.Remove(e.logName); err != nil {
		b.logger.Error("removing a deleted queue's log", slog.String("log", e.logName), slog.Any("err", err))
	}
}

// CloseOwner deletes the exclusive queues of connection owner, which went
// away, and returns how many there were.
func (b *Broker) CloseOwner(owner string) int {
	b.mu.Lock()
	var gone []*entry
	for _, vh := range b.vhosts {
		for name, e := range vh.queues {
			if e.def.Exclusive && e.owner == owner {
				delete(vh.queues, name)
				b.unbindQueueLocked(vh, name)
				gone = append(gone, e)
			}
		}
	}
	b.mu.Unlock()
	for _, e := range gone {
		b.dropQueue(e, false)
	}
	return len(gone)
}

// Publish encodes m and appends it to queue name in vhost. done, if not
// nil, runs once the message is as durable as the queue's log promises
// (fsynced, for a durable queue with sync=always); it may run before
// Publish returns, and does not run when Publish fails. A queue whose log
// has failed refuses the message.
func (b *Broker) Publish(vhostName, name string, m *message.Message, done func(error)) error {
	e, err := b.lookup(vhostName, name)
	if err != nil {
		return err
	}
	data, err := message.Encode(m)
	if err != nil {
		return &Error{Code: InvalidArgument, Msg: fmt.Sprintf("message for queue '%s'", name), Err: err}
	}
	mo, err := readMsgOptions(m)
	if err != nil {
		return err
	}
	now := b.clock.Now()
	if done != nil {
		done = b.timeConfirm(done, now)
	}
	if err := b.publishOne(e, data, m, &mo, now, done); err != nil {
		if errors.Is(err, queue.ErrClosed) {
			return newError(NotFound, "no queue '%s' in vhost '%s'", name, vhostName)
		}
		return fromQueue(err, "cannot publish to queue '%s' in vhost '%s'", name, vhostName)
	}
	return nil
}

// OnQueueDeleted registers fn to run after a queue is deleted, however it
// went (a front end's delete, the admin API, x-expires, an exclusive
// owner's exit, a deleted vhost), so that every front end can tell its
// consumers of that queue. fn may run with the broker's lock held: it
// must not call the broker.
func (b *Broker) OnQueueDeleted(fn func(vhost, name string, q *queue.Queue)) {
	b.hookMu.Lock()
	defer b.hookMu.Unlock()
	b.deleted = append(slices.Clip(b.deleted), fn)
}
