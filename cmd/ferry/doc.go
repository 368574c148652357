// Command ferry runs a Ferry node.
//
//	ferry serve [flags]    run a node until SIGINT or SIGTERM
//	ferry version          print the version and commit
//	ferry help [command]   show help
//
// and the operator commands of internal/cli, clients of a node's admin
// API: ferry queues (list, create, delete, purge, browse), publish,
// consume, dlq (list, show, redrive), history, connections (list,
// close) and status. run hands them to cli.Run.
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
