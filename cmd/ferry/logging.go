package main

import (
	"io"
	"log/slog"

	"github.com/ferrymq/ferry/internal/config"
)

// newLogger returns the root logger, writing to w in the configured format
// and level. Each component derives its own with
// log.With("component", name), so every line says where it came from.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
