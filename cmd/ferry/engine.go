package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/clock"
	"github.com/ferrymq/ferry/internal/config"
	"github.com/ferrymq/ferry/internal/meta"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// engine is everything below the front ends: the two stores, the
// definitions file and the broker over them. The broker uses the stores
// and meta but does not close them, so engine does, after the broker.
type engine struct {
	durable   *diskstore.Store
	transient *memstore.Store
	meta      *meta.Store
	broker    *broker.Broker
	observers *observers // message history, trace export (observers.go)
}

// Paths inside the data folder.
const (
	queuesDir = "queues"  // durable queue logs
	metaFile  = "meta.db" // vhosts and queue definitions
)

// openEngine opens the stores and meta under dataDir and starts the
// broker, which replays the durable queues. On failure it closes what it
// opened. Components log through log with their own "component" attribute.
func openEngine(cfg config.Config, dataDir string, log *slog.Logger) (*engine, error) {
	mode, err := segment.ParseSyncMode(cfg.Sync)
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	policies, err := loadPolicies(cfg.PoliciesFile)
	if err != nil {
		return nil, err
	}
	e := &engine{transient: memstore.New()}
	e.durable, err = diskstore.Open(filepath.Join(dataDir, queuesDir), diskstore.Options{
		Sync:        mode,
		Interval:    cfg.SyncInterval,
		SegmentSize: cfg.SegmentSize,
		Preallocate: cfg.Preallocate,
		Logger:      log,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open queue logs: %w", err), e.close())
	}
	if e.meta, err = meta.Open(filepath.Join(dataDir, metaFile)); err != nil {
		return nil, errors.Join(fmt.Errorf("open definitions: %w", err), e.close())
	}
	if e.observers, err = openObservers(cfg, dataDir, mode, log); err != nil {
		return nil, errors.Join(err, e.close())
	}
	e.broker, err = broker.New(broker.Config{
		Durable:   e.durable,
		Transient: e.transient,
		Meta:      e.meta,
		Clock:     clock.Real{},
		Logger:    log,
		Policies:  policies,
		Observers: e.observers.list(),
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start broker: %w", err), e.close())
	}
	return e, nil
}

// close stops the broker (queues write back what was leased), then
// closes the stores, which flush and fsync what was appended, then meta.
// Every step runs even if one before it failed. Fields still nil (a
// failed open) are skipped.
func (e *engine) close() error {
	var errs []error
	if e.broker != nil {
		errs = append(errs, e.broker.Close())
	}
	if e.observers != nil {
		errs = append(errs, e.observers.close())
	}
	if e.durable != nil {
		if err := e.durable.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close queue logs: %w", err))
		}
	}
	if err := e.transient.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close transient store: %w", err))
	}
	if e.meta != nil {
		errs = append(errs, e.meta.Close())
	}
	return errors.Join(errs...)
}
