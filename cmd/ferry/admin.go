package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/config"
)

// adminFrontEnd runs the admin HTTP API and /metrics as a component of
// serve.
type adminFrontEnd struct {
	addr   string
	srv    *admin.Server
	served chan error // Serve's result, once it returns
	bound  net.Addr   // the listener's address, once started
	ready  *readiness // what serve tells /readyz
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
	return &adminFrontEnd{addr: cfg.AdminListen, srv: admin.New(acfg), ready: rd}
}

func (a *adminFrontEnd) Name() string { return "admin" }

func (a *adminFrontEnd) listener() admin.Listener {
	return admin.Listener{Protocol: "http", Addr: a.bound}
}

// Start binds the listener.
func (a *adminFrontEnd) Start(context.Context) error {
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.addr, err)
	}
	a.bound = ln.Addr()
	a.served = make(chan error, 1)
	go func() { a.served <- a.srv.Serve(ln) }()
	return nil
}

// Shutdown stops serving and cancels running redrives.
func (a *adminFrontEnd) Shutdown(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if a.served != nil {
		if serr := <-a.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	return err
}
