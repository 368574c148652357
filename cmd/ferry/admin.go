package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/config"
)

// adminFrontEnd runs the admin HTTP API and /metrics as a component of
// serve.
type adminFrontEnd struct {
	listening
	srv   *admin.Server
	ready *readiness // what serve tells /readyz
}

// newAdminFrontEnd is the admin listener on cfg.AdminListen; amqpSrv, if
// not nil, is the AMQP front end whose connections it lists and closes;
// listeners, if not nil, lists the node's bound listeners for the
// overview.
func newAdminFrontEnd(cfg config.Config, eng *engine, users *auth.Users, amqpSrv *amqp.Server, listeners func() []admin.Listener, log *slog.Logger) *adminFrontEnd {
	rd := &readiness{}
	acfg := admin.Config{Broker: eng.broker, Users: users, AMQP: amqpSrv, Logger: log,
		Version: versionLine(), MetricsMaxQueues: cfg.MetricsMaxQueues,
		DataDir: cfg.DataDir, DiskFreeLimit: cfg.DiskFreeLimit, Ready: rd.err, Listeners: listeners}
	if eng.durable != nil {
		acfg.Store = storeStats(eng.durable)
	}
	return &adminFrontEnd{listening: listening{addr: cfg.AdminListen}, srv: admin.New(acfg), ready: rd}
}

func (a *adminFrontEnd) Name() string { return "admin" }

func (a *adminFrontEnd) listener() admin.Listener {
	return admin.Listener{Protocol: "http", Addr: a.bound}
}

// Start binds the listener.
func (a *adminFrontEnd) Start(context.Context) error { return a.listen(a.srv.Serve) }

// Shutdown stops serving and cancels running redrives.
func (a *adminFrontEnd) Shutdown(ctx context.Context) error {
	return a.wait(a.srv.Shutdown(ctx), http.ErrServerClosed)
}
