package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/config"
	"github.com/ferrymq/ferry/internal/sqs"
)

// sqsFrontEnd runs the SQS listener as a component of serve.
type sqsFrontEnd struct {
	addr   string
	srv    *sqs.Server
	served chan error // Serve's result, once it returns
	bound  net.Addr   // the listener's address, once started
}

// newSQSFrontEnd is the listener on cfg.SQSListen, serving the queues of
// the default vhost with cfg's account id and access keys (validated by
// config already). The server logs once whether it checks signatures.
func newSQSFrontEnd(cfg config.Config, eng *engine, log *slog.Logger) *sqsFrontEnd {
	keys, _ := config.ParseAccessKeys(cfg.SQSAccessKeys)
	return &sqsFrontEnd{
		addr: cfg.SQSListen,
		srv:  sqs.NewServer(sqs.Config{Broker: eng.broker, AccountID: cfg.SQSAccountID, Keys: keys, Logger: log}),
	}
}

func (s *sqsFrontEnd) Name() string { return "sqs" }

func (s *sqsFrontEnd) listener() admin.Listener {
	return admin.Listener{Protocol: "sqs", Addr: s.bound}
}

// Start binds the listener, so that "ready" means clients can connect.
func (s *sqsFrontEnd) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	s.bound = ln.Addr()
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(ln) }()
	return nil
}

// Shutdown stops accepting requests and waits, within ctx, for those in
// flight, long polls included.
func (s *sqsFrontEnd) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if s.served != nil {
		if serr := <-s.served; serr != nil && !errors.Is(serr, sqs.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	return err
}
