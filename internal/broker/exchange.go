package broker

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/ferrymq/ferry/internal/broker/route"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
)

// ExchangeOptions are an exchange's properties, fixed when it is created:
// a redeclare must repeat them.
type ExchangeOptions struct {
	// Kind is the exchange type: "direct", "fanout", "topic" or "headers".
	Kind string
	// Durable exchanges, and their bindings to durable ends, survive a
	// restart.
	Durable bool
	// AutoDelete exchanges are deleted when their last binding (as source)
	// goes, as RabbitMQ does; one that never had a binding stays.
	AutoDelete bool
	// Internal exchanges take no publishes, only messages from other
	// exchanges bound to them.
	Internal bool
	// Args are the exchange's arguments, recorded and compared on
	// redeclare (integers by value, whatever their width).
	Args message.Table
}

// ExchangeInfo describes an exchange for listings and admin. Args must
// not be modified.
type ExchangeInfo struct {
	VHost      string
	Name       string // "" is the default exchange
	Kind       string
	Durable    bool
	AutoDelete bool
	Internal   bool
	Args       message.Table
}

// routeTable is one vhost's exchanges and their bindings.
//
// Definition changes (declare, delete, bind, unbind) hold defMu for their
// whole length, meta write included, and take mu for writing only while
// they apply the change to memory: so an fsync of meta never stalls a
// publisher, which holds mu for reading. Holding defMu alone is enough to
// read the table, since every writer holds it.
type routeTable struct {
	defMu     sync.Mutex
	mu        sync.RWMutex
	exchanges map[string]*exchange // guarded by mu; written with defMu held too
}

// exchange is a declared (or built-in) exchange.
type exchange struct {
	name                          string
	kind                          route.Kind
	durable, autoDelete, internal bool
	args                          message.Table
	argsWire                      []byte // args in AMQP table form, for meta
	builtin                       bool   // "" or amq.*: made by the broker, never stored nor deleted
	// kept says its bindings to kept ends go to meta: it is durable and the
	// broker has meta. Its own definition is stored too unless builtin.
	kept bool

	m route.Matcher // guarded by routeTable.mu
	n int           // bindings with this exchange as source; guarded by routeTable.mu
}

// builtinExchanges exist in every vhost, durable, as in RabbitMQ.
var builtinExchanges = []struct {
	name string
	kind route.Kind
}{
	{"", route.Direct},
	{"amq.direct", route.Direct},
	{"amq.fanout", route.Fanout},
	{"amq.topic", route.Topic},
	{"amq.headers", route.Headers},
	{"amq.match", route.Headers},
}

// errDefaultExchange is RabbitMQ's answer to declaring, deleting or
// binding the default exchange, whose bindings are implicit.
var errDefaultExchange = &Error{Code: AccessRefused, Msg: "operation not permitted on the default exchange"}

// newVHost returns an empty vhost holding the built-in exchanges.
func (b *Broker) newVHost(name string) *vhost {
	vh := &vhost{name: name, queues: map[string]*entry{}}
	vh.routes.exchanges = make(map[string]*exchange, len(builtinExchanges))
	for _, bx := range builtinExchanges {
		vh.routes.exchanges[bx.name] = &exchange{
			name: bx.name, kind: bx.kind, durable: true, builtin: true,
			kept: b.meta != nil, m: route.New(bx.kind),
		}
	}
	return vh
}

func (x *exchange) info(vhost string) ExchangeInfo {
	return ExchangeInfo{
		VHost: vhost, Name: x.name, Kind: x.kind.String(), Durable: x.durable,
		AutoDelete: x.autoDelete, Internal: x.internal, Args: x.args,
	}
}

func (x *exchange) def(vhost string) meta.Exchange {
	return meta.Exchange{
		VHost: vhost, Name: x.name, Kind: x.kind.String(), Durable: x.durable,
		AutoDelete: x.autoDelete, Internal: x.internal, Args: x.argsWire,
	}
}

// checkExchangeName validates an exchange name a client gave.
func checkExchangeName(name string) error {
	if len(name) > maxNameLen {
		return newError(InvalidArgument, "exchange name is %d bytes, more than %d", len(name), maxNameLen)
	}
	return nil
}

// DeclareExchange creates exchange name in vhost, or checks that the
// existing one was declared alike. As RabbitMQ: an unknown kind is
// CommandInvalid (checked first, even for an existing exchange); other
// kind, durable, auto-delete, internal or arguments give
// PreconditionFailed; the default exchange, and a new name starting with
// "amq.", give AccessRefused. Redeclaring amq.direct and the like alike
// succeeds.
func (b *Broker) DeclareExchange(vhostName, name string, o ExchangeOptions) error {
	kind, err := route.ParseKind(o.Kind)
	if err != nil {
		return newError(CommandInvalid, "unknown exchange type '%s'", o.Kind)
	}
	if name == "" {
		return errDefaultExchange
	}
	if err := checkExchangeName(name); err != nil {
		return err
	}
	wire, err := encodeArgs(o.Args)
	if err != nil {
		return &Error{Code: InvalidArgument, Msg: "arguments of exchange '" + name + "'", Err: err}
	}
	if err := checkAlternateArg(vhostName, name, o.Args); err != nil {
		return err
	}

	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return err
	}
	rt := &vh.routes
	rt.defMu.Lock()
	defer rt.defMu.Unlock()
	if x := rt.exchanges[name]; x != nil {
		return x.check(vhostName, kind, o)
	}
	if strings.HasPrefix(name, reservedPrefix) {
		return newError(AccessRefused, "exchange name '%s' contains reserved prefix 'amq.*'", name)
	}
	x := &exchange{
		name: name, kind: kind, durable: o.Durable, autoDelete: o.AutoDelete, internal: o.Internal,
		args: cloneTable(o.Args), argsWire: wire, kept: o.Durable && b.meta != nil, m: route.New(kind),
	}
	if x.kept {
		if err := b.meta.PutExchange(x.def(vhostName)); err != nil {
			return &Error{Code: Internal, Msg: "cannot store exchange '" + name + "' in vhost '" + vhostName + "'", Err: err}
		}
	}
	rt.mu.Lock()
	rt.exchanges[name] = x
	rt.mu.Unlock()
	b.logger.Info("exchange declared", slog.String("vhost", vhostName), slog.String("exchange", name),
		slog.String("kind", o.Kind), slog.Bool("durable", o.Durable))
	return nil
}

// check compares a redeclaration with what x was declared as, in
// RabbitMQ's order and words.
func (x *exchange) check(vhost string, kind route.Kind, o ExchangeOptions) error {
	diff := func(what string, got, have any) error {
		return newError(PreconditionFailed, "inequivalent arg '%s' for exchange '%s' in vhost '%s': received '%v' but current is '%v'",
			what, x.name, vhost, got, have)
	}
	switch {
	case kind != x.kind:
		return diff("type", kind, x.kind)
	case o.Durable != x.durable:
		return diff("durable", o.Durable, x.durable)
	case o.AutoDelete != x.autoDelete:
		return diff("auto_delete", o.AutoDelete, x.autoDelete)
	case o.Internal != x.internal:
		return diff("internal", o.Internal, x.internal)
	}
	if key, got, have, differ := argsDiff(o.Args, x.args); differ {
		return diff(key, got, have)
	}
	return nil
}

// ExchangeExists returns nil if exchange name is in vhost (the default
// exchange "" always is), else NotFound: AMQP's passive declare.
func (b *Broker) ExchangeExists(vhostName, name string) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return err
	}
	vh.routes.mu.RLock()
	defer vh.routes.mu.RUnlock()
	if vh.routes.exchanges[name] == nil {
		return newError(NotFound, "no exchange '%s' in vhost '%s'", name, vhostName)
	}
	return nil
}

// CheckPublish returns the error Route would give a publish to exchange
// name in vhost, without routing anything: NotFound for a missing vhost
// or exchange, AccessRefused for an internal exchange. A front end that
// holds a publish before routing it (AMQP transactions) refuses it as
// early as RabbitMQ does.
func (b *Broker) CheckPublish(vhostName, name string) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil || name == "" {
		return err
	}
	vh.routes.mu.RLock()
	defer vh.routes.mu.RUnlock()
	return publishableLocked(vh.routes.exchanges[name], vhostName, name)
}

// publishableLocked refuses a publish to x (found under name, nil if
// none). The vhost's routes.mu is held.
func publishableLocked(x *exchange, vhostName, name string) error {
	switch {
	case x == nil:
		return newError(NotFound, "no exchange '%s' in vhost '%s'", name, vhostName)
	case x.internal:
		return newError(AccessRefused, "cannot publish to internal exchange '%s' in vhost '%s'", name, vhostName)
	}
	return nil
}

// DeleteExchange deletes exchange name in vhost with every binding it is
// the source or the destination of. ifUnused refuses (PreconditionFailed)
// while it is the source of a binding, as RabbitMQ does. The default and
// amq.* exchanges cannot be deleted (AccessRefused). A missing exchange
// is NotFound; RabbitMQ (since 3.2) answers delete-ok to that, and the
// AMQP front end may do the same.
func (b *Broker) DeleteExchange(vhostName, name string, ifUnused bool) error {
	switch {
	case name == "":
		return errDefaultExchange
	case strings.HasPrefix(name, reservedPrefix):
		return newError(AccessRefused, "deletion of system exchange '%s' in vhost '%s' not allowed", name, vhostName)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return err
	}
	vh.routes.defMu.Lock()
	defer vh.routes.defMu.Unlock()
	x := vh.routes.exchanges[name]
	switch {
	case x == nil:
		return newError(NotFound, "no exchange '%s' in vhost '%s'", name, vhostName)
	case ifUnused && x.n > 0:
		return newError(PreconditionFailed, "exchange '%s' in vhost '%s' in use", name, vhostName)
	}
	return b.deleteExchangeLocked(vh, x)
}

// deleteExchangeLocked deletes x, its bindings and those to it, then the
// auto-delete exchanges that thereby lost their last binding. Holds
// (needs) vh.routes.defMu.
func (b *Broker) deleteExchangeLocked(vh *vhost, x *exchange) error {
	rt := &vh.routes
	if x.kept && !x.builtin {
		// Deletes the bindings from and to x in the same transaction.
		if err := b.meta.DeleteExchange(vh.name, x.name); err != nil {
			return &Error{Code: Internal, Msg: "cannot delete exchange '" + x.name + "' in vhost '" + vh.name + "'", Err: err}
		}
	}
	dest := exchangeDest(x.name)
	var emptied []*exchange
	rt.mu.Lock()
	delete(rt.exchanges, x.name)
	for _, src := range rt.exchanges {
		if k := src.m.RemoveDest(dest); k > 0 {
			src.n -= k
			emptied = append(emptied, src)
		}
	}
	rt.mu.Unlock()
	b.logger.Info("exchange deleted", slog.String("vhost", vh.name), slog.String("exchange", x.name))
	b.autoDeleteLocked(vh, emptied)
	return nil
}

// autoDeleteLocked deletes those of xs that are auto-delete, still
// declared, and left without bindings. The change that emptied them has
// already happened, so a failure is logged rather than returned. Holds
// vh.routes.defMu.
func (b *Broker) autoDeleteLocked(vh *vhost, xs []*exchange) {
	for _, x := range xs {
		if !x.autoDelete || x.n > 0 || vh.routes.exchanges[x.name] != x {
			continue
		}
		if err := b.deleteExchangeLocked(vh, x); err != nil {
			b.logger.Error("auto-deleting an exchange", slog.String("vhost", vh.name), slog.String("exchange", x.name), slog.Any("err", err))
		}
	}
}

// Exchanges describes the exchanges of vhost, the default exchange ""
// first, sorted by name; none if the vhost does not exist.
func (b *Broker) Exchanges(vhostName string) []ExchangeInfo {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh := b.vhosts[vhostName]
	if vh == nil {
		return nil
	}
	vh.routes.mu.RLock()
	defer vh.routes.mu.RUnlock()
	out := make([]ExchangeInfo, 0, len(vh.routes.exchanges))
	for _, x := range vh.routes.exchanges {
		out = append(out, x.info(vhostName))
	}
	slices.SortFunc(out, func(a, b ExchangeInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}
