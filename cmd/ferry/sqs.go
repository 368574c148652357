package main

import (
	"context"
	"log/slog"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/config"
	"github.com/ferrymq/ferry/internal/sqs"
)

// sqsFrontEnd runs the SQS listener as a component of serve.
type sqsFrontEnd struct {
	listening
	srv *sqs.Server
}

// newSQSFrontEnd is the listener on cfg.SQSListen, serving the queues of
// the default vhost with cfg's account id and access keys (validated by
// config already). The server logs once whether it checks signatures.
func newSQSFrontEnd(cfg config.Config, eng *engine, log *slog.Logger) *sqsFrontEnd {
	keys, _ := config.ParseAccessKeys(cfg.SQSAccessKeys)
	return &sqsFrontEnd{
		listening: listening{addr: cfg.SQSListen},
		srv:       sqs.NewServer(sqs.Config{Broker: eng.broker, AccountID: cfg.SQSAccountID, Keys: keys, Logger: log}),
	}
}

func (s *sqsFrontEnd) Name() string { return "sqs" }

func (s *sqsFrontEnd) listener() admin.Listener {
	return admin.Listener{Protocol: "sqs", Addr: s.bound}
}

// Start binds the listener, so that "ready" means clients can connect.
func (s *sqsFrontEnd) Start(context.Context) error { return s.listen(s.srv.Serve) }

// Shutdown stops accepting requests and waits, within ctx, for those in
// flight, long polls included.
func (s *sqsFrontEnd) Shutdown(ctx context.Context) error {
	return s.wait(s.srv.Shutdown(ctx), sqs.ErrServerClosed)
}
