package broker

import (
	"fmt"
	"log/slog"

	"github.com/ferrymq/ferry/internal/broker/route"
	"github.com/ferrymq/ferry/internal/meta"
)

// loadRoutes adds vh's stored exchanges and bindings to the built-in
// exchanges newVHost made; vh's queues must be loaded already. It runs
// in New, before the broker is shared, so it takes no locks.
//
// A stored binding whose end is gone is skipped with a warning: meta
// deletes a queue's or an exchange's bindings in the same transaction as
// the definition, so that takes a file edited by hand or a bug.
func (b *Broker) loadRoutes(vh *vhost) error {
	xs, err := b.meta.Exchanges(vh.name)
	if err != nil {
		return err
	}
	for _, d := range xs {
		if have := vh.routes.exchanges[d.Name]; have != nil && have.builtin {
			b.logger.Warn("ignoring a stored exchange with a built-in name", slog.String("vhost", vh.name), slog.String("exchange", d.Name))
			continue
		}
		kind, err := route.ParseKind(d.Kind)
		if err != nil {
			return fmt.Errorf("exchange %q: %w", d.Name, err)
		}
		args, err := decodeArgs(d.Args)
		if err != nil {
			return fmt.Errorf("exchange %q: arguments: %w", d.Name, err)
		}
		vh.routes.exchanges[d.Name] = &exchange{
			name: d.Name, kind: kind, durable: d.Durable, autoDelete: d.AutoDelete, internal: d.Internal,
			args: args, argsWire: d.Args, kept: true, m: route.New(kind),
		}
	}
	bs, err := b.meta.Bindings(vh.name)
	if err != nil {
		return err
	}
	for _, d := range bs {
		src := vh.routes.exchanges[d.Source]
		dest, ok := b.loadedDest(vh, d)
		if src == nil || d.Source == "" || !ok {
			b.logger.Warn("ignoring a stored binding whose source or destination is missing", slog.String("vhost", vh.name),
				slog.String("source", d.Source), slog.String(d.DestinationType, d.Destination))
			continue
		}
		args, err := decodeArgs(d.Args)
		if err != nil {
			return fmt.Errorf("binding of exchange %q to %s %q: arguments: %w", d.Source, d.DestinationType, d.Destination, err)
		}
		if src.m.Add(route.Binding{Dest: dest, Key: d.Key, Args: args}) {
			src.n++
		}
	}
	return nil
}

// loadedDest returns the matcher destination of stored binding d, and
// whether its destination exists.
func (b *Broker) loadedDest(vh *vhost, d meta.Binding) (string, bool) {
	switch d.DestinationType {
	case DestinationQueue:
		return queueDest(d.Destination), vh.queues[d.Destination] != nil
	case DestinationExchange:
		return exchangeDest(d.Destination), d.Destination != "" && vh.routes.exchanges[d.Destination] != nil
	}
	return "", false
}
