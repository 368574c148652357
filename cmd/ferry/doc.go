// Command ferry runs a Ferry node.
//
//	ferry serve [flags]    run a node until SIGINT or SIGTERM
//	ferry version          print the version and commit
//	ferry help [command]   show help
//
// This package only wires: settings come from internal/config, and serve.go
// holds the start and stop sequence: data folder and its LOCK, stores,
// metadata, broker, front ends; then, on a signal, the same in reverse.
// The front ends (AMQP, SQS, admin) plug in as components with Start and
// Shutdown once they exist.
//
// Exit codes: 0 after a clean shutdown, 1 if the node failed to start or
// to stop cleanly, 2 for a usage or settings error.
package main
