package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// usageError is a bad command line: exit 2 with the command's usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// connFlags are the flags every command takes: where the API is, as
// whom, in which vhost, and whether to print JSON.
type connFlags struct {
	url, user, pass, vhost string
	json                   bool
}

// register adds the connection flags to fs, with defaults from the
// environment (a flag beats a variable, which beats the default).
func (c *connFlags) register(fs *flag.FlagSet, environ map[string]string) {
	def := func(key, fallback string) string {
		if v, ok := environ[key]; ok && v != "" {
			return v
		}
		return fallback
	}
	fs.StringVar(&c.url, "admin-url", def("FERRY_ADMIN_URL", DefaultAdminURL), "admin API base `URL` (env FERRY_ADMIN_URL)")
	fs.StringVar(&c.user, "user", def("FERRY_ADMIN_USER", DefaultUser), "admin API `user` (env FERRY_ADMIN_USER)")
	fs.StringVar(&c.pass, "password", def("FERRY_ADMIN_PASSWORD", DefaultPassword), "admin API `password` (env FERRY_ADMIN_PASSWORD)")
	fs.StringVar(&c.vhost, "vhost", DefaultVHost, "`vhost` to work in")
	fs.BoolVar(&c.json, "json", false, "print the API's JSON instead of a table")
}

// listFlag is a repeatable flag: each use adds one value.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseArgs parses flags anywhere among the positional arguments, which
// it returns in order; after "--" everything is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet is a flag set that reports errors to the caller instead of
// printing them or exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// flagError turns a flag package error into a usage error; -h is
// passed through as flag.ErrHelp.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{strings.Replace(err.Error(), "flag provided but not defined: -", "unknown flag --", 1)}
}

// printFlags lists fs's flags with two dashes, as the help shows them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		arg := "--" + f.Name
		if name != "" {
			arg += " " + name
		}
		line := fmt.Sprintf("  %-24s %s", arg, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" && !strings.Contains(f.Name, "password") {
			line += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintln(w, line)
	})
}

var (
	intText   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	floatText = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]+$`)
)

// typedValue reads the value of a --arg or --header: a whole number is
// an integer, a decimal a float, true and false booleans, anything else
// text. Double quotes around it force text ("\"123\"" is the string 123);
// a number with a leading zero (a zip code, say) stays text.
func typedValue(s string) any {
	switch {
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		return s[1 : len(s)-1]
	case s == "true":
		return true
	case s == "false":
		return false
	case intText.MatchString(s):
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case floatText.MatchString(s):
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return s
}

// keyValue splits "key=value"; flag names the flag for the error.
func keyValue(flagName, kv string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", "", usageErrorf("--%s wants key=value, got %q", flagName, kv)
	}
	return k, v, nil
}

// typedMap reads repeated key=value flags into typed values.
func typedMap(flagName string, kvs []string) (map[string]any, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		k, v, err := keyValue(flagName, kv)
		if err != nil {
			return nil, err
		}
		m[k] = typedValue(v)
	}
	return m, nil
}
