package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/config"
)

// serve runs a node until ctx is done, then shuts it down within
// cfg.ShutdownTimeout. It returns nil after a clean shutdown.
//
// Start: data folder, LOCK, engine (stores, metadata, broker), front ends.
// Stop, in reverse: front ends stop accepting and finish, the broker
// closes (flushing and fsyncing the logs), the lock is released. Each
// failed start step undoes the steps before it.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	srvLog := log.With("component", "server")
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("data folder %s: %w", cfg.DataDir, err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return err
	}
	srvLog.Info("starting", settingsAttrs(cfg, dataDir)...)

	eng, err := openEngine(cfg, dataDir, log)
	if err != nil {
		return errors.Join(err, lock.release())
	}
	if cfg.PoliciesFile != "" {
		stopReload := reloadPoliciesOnHUP(cfg.PoliciesFile, eng.broker, srvLog)
		defer stopReload()
	}
	comps := frontEnds(cfg, eng, log)
	stopCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	}
	if err := startAll(ctx, comps, stopCtx, srvLog); err != nil {
		return errors.Join(err, eng.close(), lock.release())
	}
	markReady(comps, readyUp)
	srvLog.Info("ready", "front-ends", len(comps))

	<-ctx.Done()
	markReady(comps, readyStopping)
	srvLog.Info("shutting down", "cause", context.Cause(ctx), "timeout", cfg.ShutdownTimeout)
	if err := shutdown(comps, eng.close, lock.release, cfg.ShutdownTimeout, srvLog); err != nil {
		return err
	}
	srvLog.Info("stopped cleanly")
	return nil
}

// frontEnds returns the components that serve clients, in start order:
// the AMQP 0-9-1 listener, then the SQS one; admin joins here, built from
// its cfg address and the broker in eng. Users are the built-in default
// (guest/guest, from loopback only) until user management lands.
func frontEnds(cfg config.Config, eng *engine, log *slog.Logger) []component {
	users := auth.Default()
	a := newAMQPFrontEnd(cfg, eng, users, log)
	q := newSQSFrontEnd(cfg, eng, log)
	var ad *adminFrontEnd
	// Read by admin's handlers, after every Start has set its address.
	listeners := func() []admin.Listener { return []admin.Listener{a.listener(), q.listener(), ad.listener()} }
	ad = newAdminFrontEnd(cfg, eng, users, a.srv, listeners, log)
	return []component{a, q, ad}
}

// shutdown stops the front ends (in reverse order), then closes the
// engine, then releases the lock, all within timeout. It runs the steps
// on another goroutine so that a step that hangs cannot hang the process:
// when the time is up it returns an error without waiting, the process
// exits and the kernel drops the lock. What was confirmed is on disk
// already; only work in flight is cut short.
func shutdown(comps []component, closeEngine, release func() error, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// Each step runs even if one before failed: the engine must still
		// flush, and the lock must still be released.
		err := shutdownAll(ctx, comps, log)
		err = errors.Join(err, closeEngine())
		done <- errors.Join(err, release())
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // finished just in time
			return err
		default:
		}
		return fmt.Errorf("shutdown did not finish within %s (shutdown-timeout); exiting anyway", timeout)
	}
}

// settingsAttrs lists the settings in force, for the one log line that
// records them at start.
func settingsAttrs(cfg config.Config, dataDir string) []any {
	attrs := []any{"version", versionLine(), "pid", os.Getpid()}
	cfg.Each(func(key, value string) {
		if key == "data-dir" {
			value = dataDir
		}
		attrs = append(attrs, key, value)
	})
	if cfg.File != "" {
		attrs = append(attrs, "config", cfg.File)
	}
	return attrs
}
