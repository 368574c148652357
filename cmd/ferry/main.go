package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ferrymq/ferry/internal/cli"
	"github.com/ferrymq/ferry/internal/config"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(rest, environ, stdout, stderr)
	case "version", "-version", "--version":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "ferry version: unexpected argument %q\n", rest[0])
			return exitUsage
		}
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "bench":
		return runBench(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return runHelp(rest, stdout, stderr)
	default:
		if cli.Handles(cmd) {
			return cli.Run(args, environ, cli.IO{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
				StdinIsTerminal: isTerminal(os.Stdin), StderrIsTerminal: isTerminal(stderr)})
		}
		fmt.Fprintf(stderr, "ferry: unknown command %q\n\n", cmd)
		printUsage(stderr)
		return exitUsage
	}
}

// runServe loads settings, sets up logging and signals, and serves until
// SIGINT or SIGTERM.
func runServe(args, environ []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, environ)
	if errors.Is(err, flag.ErrHelp) {
		printServeHelp(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "ferry serve: bad settings:\n  %s\nRun 'ferry help serve' to see every setting.\n",
			strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	}
	log := newLogger(cfg, stderr)
	if attrs := tuneGC(cfg); len(attrs) > 0 {
		log.Info("garbage collector set; the GOGC and GOMEMLIMIT variables override it", append([]any{"component", "server"}, attrs...)...)
	}
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("ignoring unknown environment variable", "component", "server", "name", name)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, give SIGINT and SIGTERM their default
		// action back: a second Ctrl-C ends a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("ferry stopped with an error", "component", "server", "err", err)
		return exitFailed
	}
	return exitOK
}

// isTerminal reports whether s is a character device (a terminal), for
// the CLI's progress bar and its prompt for a body on stdin.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
