package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// configEnv names the config file when --config is not given.
var configEnv = envName(configKey)

// Load returns the settings in force for "ferry serve": args are its
// command-line arguments (after the subcommand) and environ is the
// environment as os.Environ returns it. Each setting is taken from the
// first of flag, FERRY_* variable, config file and default that gives it;
// the result is validated.
//
// Load returns flag.ErrHelp, unwrapped, if args ask for help. Otherwise a
// bad value or unknown key gives *SettingError values joined with
// errors.Join, one per problem, each naming its key and source.
func Load(args, environ []string) (Config, error) {
	flags, err := parseFlags(args)
	if err != nil {
		return Config{}, err
	}
	env := envMap(environ)
	l := loader{c: Default(), sources: map[string]string{}}

	path, pathSource := flags[configKey], flagSource(configKey)
	if path == "" {
		path, pathSource = env[configEnv], envSource(configEnv)
	}
	if path != "" {
		if err := l.file(path); err != nil {
			return Config{}, fmt.Errorf("config file %s (from %s): %w", path, pathSource, err)
		}
	}
	for _, s := range settings {
		if v := env[s.env()]; v != "" {
			l.set(s, v, envSource(s.env()))
		}
	}
	for _, s := range settings {
		if v, ok := flags[s.key]; ok {
			l.set(s, v, flagSource(s.key))
		}
	}
	// Check ranges, and blame the source that set the value so the user
	// knows which line to fix. A key that already failed to parse is
	// reported once, for that.
	failed := map[string]bool{}
	for _, e := range l.errs {
		failed[e.Key] = true
	}
	for _, e := range l.c.problems() {
		if failed[e.Key] {
			continue
		}
		e.Source = l.sources[e.Key]
		if e.Source == "" {
			e.Source = defaultSource
		}
		l.errs = append(l.errs, e)
	}
	if len(l.errs) > 0 {
		return Config{}, joinSettingErrors(l.errs)
	}
	return l.c, nil
}

// loader applies sources in turn, lowest precedence first, so that each
// later source overwrites what an earlier one set.
type loader struct {
	c       Config
	sources map[string]string // key → source of its current value
	errs    []*SettingError
}

func (l *loader) set(s *setting, value, source string) {
	if err := s.parse(&l.c, value); err != nil {
		l.errs = append(l.errs, &SettingError{Key: s.key, Source: source, Err: err})
		return
	}
	l.sources[s.key] = source
}

// file applies the config file at path. It returns an error only if the
// file cannot be read; problems inside it go to l.errs.
func (l *loader) file(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	l.c.File = path
	entries, lineErrs := parseFile(string(data))
	for _, e := range lineErrs {
		l.errs = append(l.errs, &SettingError{Key: e.key, Source: fileSource(path, e.line), Err: e.err})
	}
	for _, e := range entries {
		source := fileSource(path, e.line)
		s := lookup(e.key)
		switch {
		case e.key == configKey:
			l.errs = append(l.errs, &SettingError{Key: e.key, Source: source,
				Err: errors.New("a config file cannot name another config file")})
		case s == nil:
			l.errs = append(l.errs, &SettingError{Key: e.key, Source: source, Err: unknownKeyError(e.key)})
		default:
			l.set(s, e.value, source)
		}
	}
	return nil
}

// parseFlags returns the flags given in args, by key, without parsing
// their values: a flag's value is applied last, after the file and the
// environment, but the file's name may itself be a flag.
func parseFlags(args []string) (map[string]string, error) {
	fs := flag.NewFlagSet("ferry serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]string{}
	record := func(key string) func(string) error {
		return func(v string) error { given[key] = v; return nil }
	}
	fs.Func(configKey, "", record(configKey))
	for _, s := range settings {
		fs.Func(s.key, s.usage, record(s.key))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, fmt.Errorf("command line: %v%s", err, flagHint(err))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("command line: unexpected argument %q (settings are flags, such as --data-dir=DIR)", fs.Arg(0))
	}
	return given, nil
}

// flagHint suggests a known flag when the flag package rejected an
// unknown one.
func flagHint(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	if s := suggest(strings.TrimLeft(name, "-"), allKeys()); s != "" {
		return fmt.Sprintf(" (did you mean --%s?)", s)
	}
	return ""
}

// envMap turns os.Environ-style entries into a map; a later entry for
// the same name wins.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// UnknownEnv returns the names of FERRY_* variables in environ that Ferry
// does not read, sorted. They are not an error (other tools may use the
// prefix), but a typo in one silently leaves a default in force, so the
// caller should warn about each.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{configEnv: true}
	for _, s := range settings {
		known[s.env()] = true
	}
	var unknown []string
	for k := range envMap(environ) {
		if strings.HasPrefix(k, "FERRY_") && !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown
}

// Each calls fn with the key and value of every setting in c, in the
// order help lists them, each value written as a user would write it.
func (c Config) Each(fn func(key, value string)) {
	for _, s := range settings {
		fn(s.key, s.get(&c))
	}
}

func allKeys() []string {
	keys := []string{configKey}
	for _, s := range settings {
		keys = append(keys, s.key)
	}
	return keys
}
