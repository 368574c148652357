package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// IO is what a command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdinIsTerminal makes publish say that it waits for a body typed
	// in, rather than seem to hang.
	StdinIsTerminal bool
	// StderrIsTerminal draws redrive progress as a bar that redraws in
	// place; otherwise progress is plain lines.
	StderrIsTerminal bool
}

// command is one runnable command line, such as "queues list".
type command struct {
	path    string // "queues list"
	args    string // positional arguments, for the usage line
	summary string // one line, for the overview
	about   string // what it does, for its help
	minArgs int
	maxArgs int // -1: no limit
	// setup registers the command's flags and returns what runs it once
	// they are parsed.
	setup func(fs *flag.FlagSet) func(s *session, args []string) error
}

// session is one run of a command.
type session struct {
	ctx   context.Context
	api   *client
	vhost string
	json  bool
	io    IO
	now   func() time.Time
}

// failedError is an outcome already reported on the streams that must
// still exit 1 (a failed redrive, say).
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

// commands are every command, in the order the overview lists them.
var commands = []*command{
	queuesList, queuesCreate, queuesDelete, queuesPurge, queuesBrowse,
	publishCmd, consumeCmd,
	dlqList, dlqShow, dlqRedrive,
	historyCmd,
	connectionsList, connectionsClose,
	statusCmd,
}

// Names are the top-level words this package runs ("queues", "publish",
// ...), for cmd/ferry's dispatch.
func Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range commands {
		w, _, _ := strings.Cut(c.path, " ")
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Handles reports whether word is one of Names.
func Handles(word string) bool {
	for _, n := range Names() {
		if n == word {
			return true
		}
	}
	return false
}

// PrintOverview writes one usage line per command, for ferry's help.
func PrintOverview(w io.Writer) {
	for _, c := range commands {
		line := c.path
		if c.args != "" {
			line += " " + c.args
		}
		fmt.Fprintf(w, "  ferry %-29s %s\n", line, c.summary)
	}
}

// find returns the command named by the start of args and the rest, or
// the group word when args name a group ("queues") but no verb of it.
func find(args []string) (c *command, rest []string, group string) {
	if len(args) == 0 {
		return nil, nil, ""
	}
	for _, c := range commands {
		if c.path == args[0] {
			return c, args[1:], ""
		}
	}
	if len(args) > 1 {
		for _, c := range commands {
			if c.path == args[0]+" "+args[1] {
				return c, args[2:], ""
			}
		}
	}
	for _, c := range commands {
		if strings.HasPrefix(c.path, args[0]+" ") {
			return nil, nil, args[0]
		}
	}
	return nil, nil, ""
}

// printGroup lists the verbs of group.
func printGroup(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: ferry %s COMMAND [flags]\n\nCommands:\n", group)
	for _, c := range commands {
		if strings.HasPrefix(c.path, group+" ") {
			line := c.path
			if c.args != "" {
				line += " " + c.args
			}
			fmt.Fprintf(w, "  ferry %-29s %s\n", line, c.summary)
		}
	}
	fmt.Fprintf(w, "\nRun 'ferry help %s COMMAND' for a command's flags.\n", group)
}

// printHelp writes c's usage, description and flags.
func printHelp(w io.Writer, c *command) {
	fs := newFlagSet(c.path)
	c.setup(fs)
	var cf connFlags
	cf.register(fs, nil)
	line := "ferry " + c.path
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s\n\nFlags:\n", line, strings.TrimSpace(c.about))
	printFlags(w, fs)
}

// Help writes the help of the command named by args ("queues",
// "queues list") to w; it reports false if args name none.
func Help(args []string, w io.Writer) bool {
	c, rest, group := find(args)
	switch {
	case c != nil && len(rest) == 0:
		printHelp(w, c)
		return true
	case group != "" && len(args) == 1:
		printGroup(w, group)
		return true
	}
	return false
}

// Run runs the command line args (args[0] is one of Names) and returns
// the exit code.
func Run(args, environ []string, streams IO) int {
	c, rest, group := find(args)
	if c == nil {
		if group != "" {
			if len(args) > 1 && isHelpFlag(args[1]) {
				printGroup(streams.Stdout, group)
				return exitOK
			}
			if len(args) > 1 {
				fmt.Fprintf(streams.Stderr, "ferry %s: unknown command %q\n\n", group, args[1])
			}
			printGroup(streams.Stderr, group)
			return exitUsage
		}
		fmt.Fprintf(streams.Stderr, "ferry: unknown command %q\n", strings.Join(args, " "))
		return exitUsage
	}
	fs := newFlagSet(c.path)
	run := c.setup(fs)
	var cf connFlags
	cf.register(fs, envMap(environ))
	usage := func(err error) int {
		fmt.Fprintf(streams.Stderr, "ferry %s: %v\n\n", c.path, err)
		printHelp(streams.Stderr, c)
		return exitUsage
	}
	pos, err := parseArgs(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(streams.Stdout, c)
		return exitOK
	}
	if err != nil {
		return usage(flagError(err))
	}
	switch {
	case len(pos) < c.minArgs:
		return usage(fmt.Errorf("missing %s", missingArgs(c.args, len(pos))))
	case c.maxArgs >= 0 && len(pos) > c.maxArgs:
		return usage(fmt.Errorf("unexpected argument %q", pos[c.maxArgs]))
	}
	api, err := newClient(cf.url, cf.user, cf.pass)
	if err != nil {
		return usage(err)
	}
	s := &session{ctx: context.Background(), api: api, vhost: cf.vhost, json: cf.json, io: streams, now: time.Now}
	err = run(s, pos)
	var ue *usageError
	var fe *failedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return usage(err)
	case errors.As(err, &fe):
		return exitFailed
	}
	fmt.Fprintf(streams.Stderr, "ferry %s: %v\n", c.path, err)
	return exitFailed
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

// missingArgs names the positional arguments after the first have ones
// of the usage text "NAME [QUEUE]".
func missingArgs(usage string, have int) string {
	words := strings.Fields(usage)
	var need []string
	for i, w := range words {
		if i >= have && !strings.HasPrefix(w, "[") {
			need = append(need, w)
		}
	}
	if len(need) == 0 {
		return "argument"
	}
	return strings.Join(need, " ")
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
