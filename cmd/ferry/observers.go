package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/config"
	"github.com/ferrymq/ferry/internal/history"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/tracing"
)

// historyDir holds the message history log, inside the data folder.
const historyDir = "history"

// observers are what the broker feeds its message events to: message
// history always (it costs nothing for queues without x-history), and
// the OTLP span exporter when an endpoint is set (nothing is started
// otherwise).
type observers struct {
	history *history.History
	tracer  *tracing.Tracer // nil without --otlp-endpoint
}

func openObservers(cfg config.Config, dataDir string, mode segment.SyncMode, log *slog.Logger) (*observers, error) {
	h, err := history.Open(history.Options{
		Dir: filepath.Join(dataDir, historyDir), Sync: mode,
		MaxEvents: cfg.HistoryMaxEvents, MaxMessages: cfg.HistoryMaxMessages, Retention: cfg.HistoryRetention,
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("open message history: %w", err)
	}
	o := &observers{history: h}
	if cfg.OTLPEndpoint != "" {
		if o.tracer, err = tracing.New(tracing.Options{Endpoint: cfg.OTLPEndpoint, Version: versionLine(), Logger: log}); err != nil {
			return nil, errors.Join(err, h.Close())
		}
	}
	return o, nil
}

// list is Config.Observers.
func (o *observers) list() []broker.Observer {
	out := []broker.Observer{o.history}
	if o.tracer != nil {
		out = append(out, o.tracer)
	}
	return out
}

// close flushes the history log and sends the spans still queued; call
// it after the broker is closed.
func (o *observers) close() error {
	err := o.history.Close()
	if o.tracer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, o.tracer.Shutdown(ctx))
	}
	return err
}
