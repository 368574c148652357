package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrymq/ferry/internal/loadgen"
)

// runBench is `ferry bench`: the load tool of package loadgen, driving any
// AMQP 0-9-1 broker (Ferry or RabbitMQ), or with -protocol sqs-json or
// sqs-query any SQS endpoint (Ferry, goaws), and counting what was lost or
// duplicated. `ferry bench table RESULT.json...` prints results written
// with -json as one markdown table (bench/compare.sh uses it).
func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "table" {
		return benchTable(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("ferry bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := loadgen.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ferry bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	if _, err := loadgen.Run(ctx, *cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "ferry bench:", err)
		return 1
	}
	return 0
}

func benchTable(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry bench table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseline := fs.String("baseline", "rabbitmq", "broker label the ratios divide by; several, comma-separated: per scenario, the first that ran")
	contender := fs.String("contender", "ferry", "broker label the ratios are for")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var results []loadgen.Result
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "ferry bench table:", err)
			return 1
		}
		var r loadgen.Result
		if err := json.Unmarshal(data, &r); err != nil {
			fmt.Fprintf(stderr, "ferry bench table: %s: %v\n", path, err)
			return 1
		}
		results = append(results, r)
	}
	if err := loadgen.WriteComparison(stdout, results, *baseline, *contender); err != nil {
		fmt.Fprintln(stderr, "ferry bench table:", err)
		return 1
	}
	return 0
}
