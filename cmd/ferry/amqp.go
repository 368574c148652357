package main

import (
	"context"
	"log/slog"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/config"
)

// amqpFrontEnd runs the AMQP 0-9-1 listener as a component of serve.
type amqpFrontEnd struct {
	listening
	srv *amqp.Server
}

// newAMQPFrontEnd is the listener on cfg.AMQPListen with cfg's resource
// alarms. The server tags its own log lines with the component.
func newAMQPFrontEnd(cfg config.Config, eng *engine, users *auth.Users, log *slog.Logger) *amqpFrontEnd {
	amqp.Version = versionLine()
	return &amqpFrontEnd{
		listening: listening{addr: cfg.AMQPListen},
		srv: amqp.NewServer(amqp.Config{Broker: eng.broker, Users: users, Logger: log,
			Flow: amqpFlow(cfg)}),
	}
}

// amqpFlow turns the resource alarm settings into the server's: a
// percentage watermark stays a fraction, which the server resolves
// against the memory it finds.
func amqpFlow(cfg config.Config) amqp.FlowConfig {
	return amqp.FlowConfig{
		MemoryHighWatermark:         cfg.MemoryHighWatermark.Bytes,
		MemoryHighWatermarkFraction: cfg.MemoryHighWatermark.Percent / 100,
		DiskFreeLimit:               cfg.DiskFreeLimit,
		DataDir:                     cfg.DataDir,
	}
}

func (a *amqpFrontEnd) Name() string { return "amqp" }

func (a *amqpFrontEnd) listener() admin.Listener {
	return admin.Listener{Protocol: "amqp", Addr: a.bound}
}

// Start binds the listener, so that "ready" means clients can connect.
func (a *amqpFrontEnd) Start(context.Context) error { return a.listen(a.srv.Serve) }

// Shutdown closes the listener and every connection (320
// CONNECTION_FORCED), waiting for them within ctx.
func (a *amqpFrontEnd) Shutdown(ctx context.Context) error {
	return a.wait(a.srv.Shutdown(ctx), amqp.ErrServerClosed)
}
