package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// component is a part of the node that serves clients and must be stopped
// before the broker closes: the AMQP, SQS and admin listeners, as they
// arrive. serve starts them in order and shuts them down in reverse.
type component interface {
	// Name identifies the component in logs and errors, such as "amqp".
	Name() string
	// Start begins serving and returns once the component accepts work
	// (its listener is bound), or with the reason it cannot.
	Start(ctx context.Context) error
	// Shutdown stops accepting work and ends what is in flight, giving up
	// when ctx is done.
	Shutdown(ctx context.Context) error
}

// startAll starts comps in order. If one fails, it shuts down those
// already started, in reverse, and returns the failure.
func startAll(ctx context.Context, comps []component, stopCtx func() (context.Context, context.CancelFunc), log *slog.Logger) error {
	for i, c := range comps {
		if err := c.Start(ctx); err != nil {
			err = fmt.Errorf("start %s: %w", c.Name(), err)
			sctx, cancel := stopCtx()
			defer cancel()
			return errors.Join(err, shutdownAll(sctx, comps[:i], log))
		}
		log.Info("started", "name", c.Name())
	}
	return nil
}

// shutdownAll shuts comps down in reverse order of start, each given what
// is left of ctx, and returns every error. It goes on past a failure: a
// front end that failed to stop must not keep the others running.
func shutdownAll(ctx context.Context, comps []component, log *slog.Logger) error {
	var errs []error
	for i := len(comps) - 1; i >= 0; i-- {
		c := comps[i]
		if err := c.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down %s: %w", c.Name(), err))
			continue
		}
		log.Info("stopped", "name", c.Name())
	}
	return errors.Join(errs...)
}
