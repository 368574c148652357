package main

import (
	"fmt"
	"io"

	"github.com/ferrymq/ferry/internal/cli"
	"github.com/ferrymq/ferry/internal/config"
)

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Ferry is a durable message broker.

Usage:
  ferry serve [flags]    run a node until SIGINT or SIGTERM
  ferry bench [flags]    load-test an AMQP broker (Ferry or RabbitMQ) or, with
                         -protocol sqs-json|sqs-query, an SQS endpoint: throughput,
                         latency percentiles, lost and duplicated messages
  ferry version          print the version and commit
  ferry help [command]   show help for a command

Operator commands, as a client of a node's admin API (--admin-url, default
http://127.0.0.1:15672; --user/--password, default guest/guest; --vhost;
--json prints the API's JSON):
`)
	cli.PrintOverview(w)
	fmt.Fprint(w, `
Run 'ferry help serve' for the settings of a node, 'ferry help COMMAND' for
a command's flags.
`)
}

func printServeHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: ferry serve [flags]

Runs a Ferry node: opens the data folder (taking its LOCK file, so only one
node uses it), replays the durable queues, and serves until SIGINT or
SIGTERM, then stops cleanly: front ends first, then the broker, which
flushes and fsyncs the logs. A second signal ends the process at once.

`)
	config.Usage(w)
}

// runHelp prints help for the command named in args, or the overview.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return exitOK
	}
	switch args[0] {
	case "serve":
		printServeHelp(stdout)
	case "version":
		fmt.Fprintln(stdout, "Usage: ferry version\n\nPrints the version, the commit it was built from, and the Go toolchain.")
	case "bench":
		return runBench([]string{"-h"}, stdout, stdout)
	case "help":
		printUsage(stdout)
	default:
		if cli.Help(args, stdout) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ferry help: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	return exitOK
}
