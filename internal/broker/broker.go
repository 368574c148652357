package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/hist"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/queue"
	"github.com/ferrymq/ferry/internal/store"
)

// DefaultVHost always exists: New creates it, DeleteVHost refuses it, and
// SQS queues live in it.
const DefaultVHost = "/"

// Config is what New needs. The broker uses the stores and meta but does
// not close them: whoever made them does, after Broker.Close.
type Config struct {
	// Durable holds the logs of durable queues. Required.
	Durable store.Store
	// Transient holds the logs of other queues; nil means Durable.
	Transient store.Store
	// Meta keeps vhosts and durable queue definitions. nil means nothing
	// is kept: every queue is gone after a restart, and New leaves Durable
	// as it finds it rather than judge which logs are leftovers.
	Meta *meta.Store
	// Clock tells the time; nil means the real clock.
	Clock clock.Clock
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
	// Policies give delivery rules to queues by name (see Policy): the
	// policies file's, which SetPolicies replaces while running. Those
	// set through PutPolicy are kept in Meta and loaded with it.
	Policies []Policy
	// Observers hear the message events of the queues they watch
	// (observe.go): message history, trace export.
	Observers []Observer
}

// Broker is the registry of vhosts and queues. Safe for concurrent use.
type Broker struct {
	durable, transient store.Store
	meta               *meta.Store // may be nil
	clock              clock.Clock
	logger             *slog.Logger
	observers          []Observer // Config.Observers; fixed at New

	mu       sync.RWMutex
	vhosts   map[string]*vhost // guarded by mu
	closed   bool              // guarded by mu
	policies []compiledPolicy  // guarded by mu; the file's, then the API's (policy.go)
	// missingAlternates holds the alternate exchanges found missing and
	// logged (alternate.go), so that each is logged once.
	missingAlternates sync.Map
	policyMu          sync.Mutex // serializes policy changes, meta write and apply (policy.go)

	deadDropped atomic.Uint64 // dead messages dropped by rule (no target)
	confirms    *hist.Atomic  // publish→confirm latency (confirmstats.go)

	hookMu  sync.Mutex
	deleted []func(vhost, name string, q *queue.Queue) // OnQueueDeleted; guarded by hookMu
}

// vhost is one virtual host's queues and exchanges.
type vhost struct {
	name   string
	queues map[string]*entry // guarded by Broker.mu
	routes routeTable        // exchanges and bindings, under their own locks
}

// entry is a registered queue.
type entry struct {
	def     meta.Queue // what was declared; Args in canonical form
	owner   string     // connection an exclusive queue belongs to
	q       *queue.Queue
	st      store.Store // where its log lives
	logName string
	kept    bool // its definition is in meta
	rules   atomic.Pointer[Rules]
	w       *worker
	// watchers are the observers of e's events (observe.go); nil: none.
	watchers atomic.Pointer[[]Observer]
	watchMu  sync.Mutex // serializes watch, so watchers and the engine's observer agree
}

// New starts a broker on cfg: it loads the vhosts and durable queue
// definitions from meta, reopens those queues' logs (their messages come
// back ready, delivery counts kept), and removes every other log from the
// stores, since those belonged to transient queues, or to queues deleted
// while a crash interrupted the removal. The default vhost always exists.
func New(cfg Config) (*Broker, error) {
	if cfg.Durable == nil {
		return nil, errors.New("broker: Config.Durable is required")
	}
	b := &Broker{
		durable: cfg.Durable, transient: cfg.Transient, meta: cfg.Meta,
		clock: cfg.Clock, logger: cfg.Logger, vhosts: map[string]*vhost{}, observers: cfg.Observers,
	}
	if b.transient == nil {
		b.transient = b.durable
	}
	b.confirms = hist.NewAtomic(ConfirmLatencyLayout)
	if b.clock == nil {
		b.clock = clock.Real{}
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	b.logger = b.logger.With(slog.String("component", "broker"))
	ps, err := b.initialPolicies(cfg.Policies)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.policies = ps
	if err := b.load(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// load fills the registry from meta and sweeps the stores.
func (b *Broker) load() error {
	var vhosts []meta.VHost
	if b.meta != nil {
		var err error
		if vhosts, err = b.meta.VHosts(); err != nil {
			return fmt.Errorf("broker: load: %w", err)
		}
	}
	b.vhosts[DefaultVHost] = b.newVHost(DefaultVHost)
	if b.meta != nil {
		if err := b.meta.PutVHost(meta.VHost{Name: DefaultVHost}); err != nil {
			return fmt.Errorf("broker: load: %w", err)
		}
	}
	keep := map[string]bool{}
	for _, v := range vhosts {
		vh := b.vhosts[v.Name]
		if vh == nil {
			vh = b.newVHost(v.Name)
			b.vhosts[v.Name] = vh
		}
		defs, err := b.meta.Queues(v.Name)
		if err != nil {
			return fmt.Errorf("broker: load: %w", err)
		}
		for _, d := range defs {
			e, err := b.openQueue(d, "", b.durable)
			if err != nil {
				return fmt.Errorf("broker: load queue %q in vhost %q: %w", d.Name, d.VHost, err)
			}
			e.kept = true
			vh.queues[d.Name] = e
			keep[e.logName] = true
			b.startWorker(e)
		}
		if err := b.loadRoutes(vh); err != nil {
			return fmt.Errorf("broker: load vhost %q: %w", v.Name, err)
		}
		b.logger.Info("vhost loaded", slog.String("vhost", v.Name), slog.Int("queues", len(defs)),
			slog.Int("exchanges", len(vh.routes.exchanges)))
	}
	if b.meta == nil {
		return nil
	}
	for _, st := range []store.Store{b.durable, b.transient} {
		names, err := st.Names()
		if err != nil {
			return fmt.Errorf("broker: load: list logs: %w", err)
		}
		for _, n := range names {
			if keep[n] {
				continue
			}
			b.logger.Warn("removing the log of a queue that is not durable or no longer defined", slog.String("log", n))
			if err := st.Remove(n); err != nil {
				return fmt.Errorf("broker: load: remove log %q: %w", n, err)
			}
		}
		if b.transient == b.durable {
			break
		}
	}
	return nil
}

// openQueue opens the log of queue d in st and the queue on it.
func (b *Broker) openQueue(d meta.Queue, owner string, st store.Store) (*entry, error) {
	name := logName(d.VHost, d.Name)
	r, err := ParseRules(d.VHost, d.Name, d.Args, policyFor(b.policies, d.VHost, d.Name))
	if err != nil {
		// Arguments were checked at declare; a policy changed since. The
		// queue still opens, on its own arguments.
		b.logger.Error("queue's policy does not apply", slog.String("vhost", d.VHost), slog.String("queue", d.Name), slog.Any("err", err))
		if r, err = ParseRules(d.VHost, d.Name, d.Args, nil); err != nil {
			return nil, err
		}
	}
	l, err := st.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open log %q: %w", name, err)
	}
	now := b.clock.Now()
	w := newWorker(now)
	q, err := queue.Open(queue.Options{
		Name:   d.Name,
		Log:    l,
		Logger: b.logger.With(slog.String("vhost", d.VHost)),
		Now:    now,
		Policy: r.EnginePolicy(),
		Notify: w.poke,
	})
	if err != nil {
		l.Close()
		return nil, err
	}
	e := &entry{def: d, owner: owner, q: q, st: st, logName: name, w: w}
	e.rules.Store(&r)
	b.watch(e, &r)
	return e, nil
}

// Now returns the broker's time, the one it passes to queues.
func (b *Broker) Now() time.Time { return b.clock.Now() }

// Close closes every queue (leased messages are written back as ready)
// and stops the broker. It does not close the stores or meta.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var all []*entry
	for _, vh := range b.vhosts {
		for _, e := range vh.queues {
			all = append(all, e)
		}
	}
	b.vhosts = nil
	b.mu.Unlock()
	var errs []error
	for _, e := range all {
		b.stopWorker(e, false)
		if err := e.q.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("broker: close: %w", err)
	}
	return nil
}

var errClosed = &Error{Code: Internal, Msg: "broker is closed"}

// vhostLocked returns vhost name or a NotFound error. b.mu held (read or write).
func (b *Broker) vhostLocked(name string) (*vhost, error) {
	if b.closed {
		return nil, errClosed
	}
	vh := b.vhosts[name]
	if vh == nil {
		return nil, newError(NotFound, "no vhost '%s'", name)
	}
	return vh, nil
}
