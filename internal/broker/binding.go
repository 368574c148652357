package broker

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/ferrymq/ferry/internal/broker/route"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/meta"
)

// Destination types of a binding, as BindingInfo reports them.
const (
	DestinationQueue    = meta.DestQueue    // "queue"
	DestinationExchange = meta.DestExchange // "exchange"
)

// BindingInfo describes a binding for listings and admin. Args must not
// be modified.
type BindingInfo struct {
	VHost           string
	Source          string // exchange; "" for the default exchange's implicit bindings
	Destination     string
	DestinationType string // DestinationQueue or DestinationExchange
	Key             string
	Args            message.Table
}

// A matcher destination is the destination's name after one byte that
// says what it is, so that a queue and an exchange of the same name stay
// apart and Route tells them apart without allocating.
const (
	destQueueTag    = 'q'
	destExchangeTag = 'e'
)

func queueDest(name string) string    { return string(rune(destQueueTag)) + name }
func exchangeDest(name string) string { return string(rune(destExchangeTag)) + name }

// BindQueue binds queue to exchange with key and args in vhost. Binding
// again alike changes nothing. The default exchange binds every queue by
// its name implicitly and takes no other bindings (AccessRefused); a
// missing queue or exchange is NotFound. A headers binding with an x-match
// other than all, any, all-with-x or any-with-x is PreconditionFailed.
// The binding survives a restart when the exchange and the queue do.
func (b *Broker) BindQueue(vhostName, queue, exchange, key string, args message.Table) error {
	return b.changeBinding(vhostName, exchange, false, queue, key, args, true)
}

// UnbindQueue removes the binding BindQueue made with the same key and
// args. Removing a binding that does not exist does nothing; a missing
// queue or exchange is NotFound (RabbitMQ answers unbind-ok to both). An
// auto-delete exchange left without bindings is deleted.
func (b *Broker) UnbindQueue(vhostName, queue, exchange, key string, args message.Table) error {
	return b.changeBinding(vhostName, exchange, false, queue, key, args, false)
}

// BindExchange binds exchange destination to exchange source, so that
// what source routes with key and args goes on through destination, as
// RabbitMQ's exchange.bind does. Errors are BindQueue's.
func (b *Broker) BindExchange(vhostName, destination, source, key string, args message.Table) error {
	return b.changeBinding(vhostName, source, true, destination, key, args, true)
}

// UnbindExchange removes what BindExchange made; see UnbindQueue.
func (b *Broker) UnbindExchange(vhostName, destination, source, key string, args message.Table) error {
	return b.changeBinding(vhostName, source, true, destination, key, args, false)
}

// changeBinding adds (add) or removes a binding from exchange source to
// queue or exchange (toExchange) dest.
func (b *Broker) changeBinding(vhostName, source string, toExchange bool, dest, key string, args message.Table, add bool) error {
	if source == "" || toExchange && dest == "" {
		return errDefaultExchange
	}
	wire, err := encodeArgs(args)
	if err != nil {
		return &Error{Code: InvalidArgument, Msg: "binding arguments", Err: err}
	}
	b.mu.RLock() // the queue, if dest is one, stays declared meanwhile
	defer b.mu.RUnlock()
	vh, err := b.vhostLocked(vhostName)
	if err != nil {
		return err
	}
	rt := &vh.routes
	rt.defMu.Lock()
	defer rt.defMu.Unlock()
	src := rt.exchanges[source]
	if src == nil {
		return newError(NotFound, "no exchange '%s' in vhost '%s'", source, vhostName)
	}
	md := meta.Binding{VHost: vhostName, Source: source, Destination: dest, DestinationType: DestinationQueue, Key: key, Args: wire}
	bd := route.Binding{Key: key, Args: cloneTable(args)}
	var destKept bool
	if toExchange {
		x := rt.exchanges[dest]
		if x == nil {
			return newError(NotFound, "no exchange '%s' in vhost '%s'", dest, vhostName)
		}
		md.DestinationType, bd.Dest, destKept = DestinationExchange, exchangeDest(dest), x.kept
	} else {
		e := vh.queues[dest]
		if e == nil {
			return newError(NotFound, "no queue '%s' in vhost '%s'", dest, vhostName)
		}
		bd.Dest, destKept = queueDest(dest), e.kept
	}
	kept := src.kept && destKept
	if !add {
		return b.removeBindingLocked(vh, src, bd, md, kept)
	}
	if src.kind == route.Headers {
		if err := checkXMatch(args); err != nil {
			return err
		}
	}
	return b.addBindingLocked(vh, src, bd, md, kept)
}

// addBindingLocked adds bd to src, and md to meta if kept. The binding
// routes from the moment it is in memory; should the meta write fail, it
// is taken out again. Holds vh.routes.defMu.
func (b *Broker) addBindingLocked(vh *vhost, src *exchange, bd route.Binding, md meta.Binding, kept bool) error {
	rt := &vh.routes
	rt.mu.Lock()
	added := src.m.Add(bd)
	if added {
		src.n++
	}
	rt.mu.Unlock()
	if !added {
		return nil
	}
	if kept {
		if err := b.meta.PutBinding(md); err != nil {
			rt.mu.Lock()
			if src.m.Remove(bd) {
				src.n--
			}
			rt.mu.Unlock()
			return &Error{Code: Internal, Msg: "cannot store binding of exchange '" + src.name + "' in vhost '" + vh.name + "'", Err: err}
		}
	}
	b.logger.Debug("bound", slog.String("vhost", vh.name), slog.String("source", src.name),
		slog.String(md.DestinationType, md.Destination), slog.String("key", md.Key))
	return nil
}

// removeBindingLocked is addBindingLocked's reverse; src is deleted if
// that left an auto-delete exchange without bindings. Holds
// vh.routes.defMu.
func (b *Broker) removeBindingLocked(vh *vhost, src *exchange, bd route.Binding, md meta.Binding, kept bool) error {
	rt := &vh.routes
	rt.mu.Lock()
	removed := src.m.Remove(bd)
	if removed {
		src.n--
	}
	rt.mu.Unlock()
	if !removed {
		return nil
	}
	if kept {
		if err := b.meta.DeleteBinding(md); err != nil {
			rt.mu.Lock()
			if src.m.Add(bd) {
				src.n++
			}
			rt.mu.Unlock()
			return &Error{Code: Internal, Msg: "cannot delete binding of exchange '" + src.name + "' in vhost '" + vh.name + "'", Err: err}
		}
	}
	b.logger.Debug("unbound", slog.String("vhost", vh.name), slog.String("source", src.name),
		slog.String(md.DestinationType, md.Destination), slog.String("key", md.Key))
	b.autoDeleteLocked(vh, []*exchange{src})
	return nil
}

// checkXMatch validates a headers binding's x-match, as RabbitMQ does:
// route would treat an unknown mode as "all", which is not what its
// author meant.
func checkXMatch(args message.Table) error {
	v, ok := args.Get("x-match")
	if !ok {
		return nil
	}
	switch v {
	case "all", "any", "all-with-x", "any-with-x":
		return nil
	}
	return newError(PreconditionFailed, "invalid x-match field value %v; expected all, any, all-with-x, or any-with-x", printable(v))
}

// unbindQueueLocked removes every binding to queue name, which is being
// deleted, and then the auto-delete exchanges that lost their last
// binding. Their stored copies went with the queue's definition
// (meta.DeleteQueue). Holds b.mu for writing; takes vh.routes.defMu.
func (b *Broker) unbindQueueLocked(vh *vhost, name string) {
	rt := &vh.routes
	rt.defMu.Lock()
	defer rt.defMu.Unlock()
	dest := queueDest(name)
	var emptied []*exchange
	rt.mu.Lock()
	for _, x := range rt.exchanges {
		if k := x.m.RemoveDest(dest); k > 0 {
			x.n -= k
			emptied = append(emptied, x)
		}
	}
	rt.mu.Unlock()
	b.autoDeleteLocked(vh, emptied)
}

// Bindings describes the bindings of vhost: first the default exchange's
// implicit binding of each queue by its name (as RabbitMQ lists them),
// then, by source name, each exchange's bindings in the order they were
// made. None if the vhost does not exist.
func (b *Broker) Bindings(vhostName string) []BindingInfo {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vh := b.vhosts[vhostName]
	if vh == nil {
		return nil
	}
	var out []BindingInfo
	queues := make([]string, 0, len(vh.queues))
	for name := range vh.queues {
		queues = append(queues, name)
	}
	slices.Sort(queues)
	for _, q := range queues {
		out = append(out, BindingInfo{VHost: vhostName, Destination: q, DestinationType: DestinationQueue, Key: q})
	}
	vh.routes.mu.RLock()
	defer vh.routes.mu.RUnlock()
	xs := make([]*exchange, 0, len(vh.routes.exchanges))
	for _, x := range vh.routes.exchanges {
		xs = append(xs, x)
	}
	slices.SortFunc(xs, func(a, b *exchange) int { return strings.Compare(a.name, b.name) })
	for _, x := range xs {
		for _, bd := range x.m.Bindings() {
			in := BindingInfo{VHost: vhostName, Source: x.name, Destination: bd.Dest[1:], DestinationType: DestinationQueue, Key: bd.Key, Args: bd.Args}
			if bd.Dest[0] == destExchangeTag {
				in.DestinationType = DestinationExchange
			}
			out = append(out, in)
		}
	}
	return out
}
