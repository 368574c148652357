package config

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a config file into a fresh temp dir and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ferry.conf")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPrecedence(t *testing.T) {
	// Each layer gives sync a different value; the one that wins tells
	// which layer has precedence.
	tests := []struct {
		name  string
		file  string // sync value in the file, "" for no line
		env   string // FERRY_SYNC, "" for unset
		flag  string // --sync, "" for not given
		want  string
		viaFe bool // name the file with FERRY_CONFIG instead of --config
	}{
		{name: "default only", want: "always"},
		{name: "file beats default", file: "none", want: "none"},
		{name: "env beats default", env: "interval", want: "interval"},
		{name: "env beats file", file: "none", env: "interval", want: "interval"},
		{name: "flag beats env", env: "interval", flag: "none", want: "none"},
		{name: "flag beats file", file: "interval", flag: "none", want: "none"},
		{name: "flag beats env and file", file: "interval", env: "none", flag: "always", want: "always"},
		{name: "file named by FERRY_CONFIG", file: "none", want: "none", viaFe: true},
		{name: "env beats file named by FERRY_CONFIG", file: "none", env: "interval", want: "interval", viaFe: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args, environ []string
			content := "log-format = json\n"
			if tt.file != "" {
				content += "sync = " + tt.file + "\n"
			}
			path := writeConfig(t, content)
			if tt.viaFe {
				environ = append(environ, "FERRY_CONFIG="+path)
			} else {
				args = append(args, "--config", path)
			}
			if tt.env != "" {
				environ = append(environ, "FERRY_SYNC="+tt.env)
			}
			if tt.flag != "" {
				args = append(args, "--sync="+tt.flag)
			}
			c, err := Load(args, environ)
			if err != nil {
				t.Fatalf("Load(%q, %q) = %v", args, environ, err)
			}
			if c.Sync != tt.want {
				t.Errorf("Sync = %q, want %q", c.Sync, tt.want)
			}
			// The file was read in every case: its other line applies.
			if c.LogFormat != "json" || c.File != path {
				t.Errorf("LogFormat, File = %q, %q; want json, %q", c.LogFormat, c.File, path)
			}
		})
	}
}

func TestLoadConfigFlagBeatsConfigEnv(t *testing.T) {
	fromFlag := writeConfig(t, "sync = none\n")
	fromEnv := writeConfig(t, "sync = interval\n")
	c, err := Load([]string{"-config", fromFlag}, []string{"FERRY_CONFIG=" + fromEnv})
	if err != nil {
		t.Fatal(err)
	}
	if c.File != fromFlag || c.Sync != "none" {
		t.Errorf("File, Sync = %q, %q; want %q, none", c.File, c.Sync, fromFlag)
	}
}

func TestLoadNoSourcesGivesDefault(t *testing.T) {
	c, err := Load(nil, []string{"HOME=/root", "FERRY_UNRELATED=1"})
	if err != nil {
		t.Fatal(err)
	}
	if c != Default() {
		t.Errorf("Load() = %+v, want Default()", c)
	}
}

func TestLoadEmptyEnvCountsAsUnset(t *testing.T) {
	c, err := Load(nil, []string{"FERRY_SYNC=", "FERRY_DATA_DIR="})
	if err != nil {
		t.Fatal(err)
	}
	if c.Sync != "always" || c.DataDir != "./ferry-data" {
		t.Errorf("Sync, DataDir = %q, %q; want the defaults", c.Sync, c.DataDir)
	}
}

// everyKey gives, for each setting, a value other than the default and a
// check that it arrived in the right field.
var everyKey = []struct {
	key   string
	value string
	check func(Config) bool
}{
	{"data-dir", "/var/lib/ferry", func(c Config) bool { return c.DataDir == "/var/lib/ferry" }},
	{"sync", "interval", func(c Config) bool { return c.Sync == SyncInterval }},
	{"sync-interval", "250ms", func(c Config) bool { return c.SyncInterval == 250*time.Millisecond }},
	{"segment-size", "8MiB", func(c Config) bool { return c.SegmentSize == 8<<20 }},
	{"preallocate", "false", func(c Config) bool { return !c.Preallocate }},
	{"amqp-listen", "127.0.0.1:5673", func(c Config) bool { return c.AMQPListen == "127.0.0.1:5673" }},
	{"sqs-listen", "[::1]:9325", func(c Config) bool { return c.SQSListen == "[::1]:9325" }},
	{"sqs-account-id", "123456789012", func(c Config) bool { return c.SQSAccountID == "123456789012" }},
	{"sqs-access-keys", "AK:secret", func(c Config) bool { return c.SQSAccessKeys == "AK:secret" }},
	{"admin-listen", ":15673", func(c Config) bool { return c.AdminListen == ":15673" }},
	{"metrics-max-queues", "50", func(c Config) bool { return c.MetricsMaxQueues == 50 }},
	{"policies-file", "/etc/ferry/policies.json", func(c Config) bool { return c.PoliciesFile == "/etc/ferry/policies.json" }},
	{"log-format", "json", func(c Config) bool { return c.LogFormat == LogJSON }},
	{"log-level", "debug", func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
	{"shutdown-timeout", "1m30s", func(c Config) bool { return c.ShutdownTimeout == 90*time.Second }},
	{"memory-high-watermark", "2GiB", func(c Config) bool { return c.MemoryHighWatermark == MemoryWatermark{Bytes: 2 << 30} }},
	{"disk-free-limit", "1GiB", func(c Config) bool { return c.DiskFreeLimit == 1<<30 }},
}

func TestLoadEveryKeyFromEverySource(t *testing.T) {
	covered := map[string]bool{}
	for _, k := range everyKey {
		covered[k.key] = true
	}
	for _, s := range settings {
		if !covered[s.key] {
			t.Errorf("setting %q has no case in everyKey", s.key)
		}
	}
	for _, k := range everyKey {
		sources := map[string]func(t *testing.T) ([]string, []string){
			"flag": func(*testing.T) ([]string, []string) { return []string{"--" + k.key + "=" + k.value}, nil },
			"env":  func(*testing.T) ([]string, []string) { return nil, []string{envName(k.key) + "=" + k.value} },
			"file": func(t *testing.T) ([]string, []string) {
				return []string{"--config", writeConfig(t, k.key+" = "+k.value+"\n")}, nil
			},
		}
		for name, src := range sources {
			t.Run(k.key+"/"+name, func(t *testing.T) {
				args, environ := src(t)
				c, err := Load(args, environ)
				if err != nil {
					t.Fatalf("Load = %v", err)
				}
				if !k.check(c) {
					t.Errorf("%s = %q from %s did not arrive: %+v", k.key, k.value, name, c)
				}
			})
		}
	}
}

func TestLoadBadValues(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		file    string // config file content; "" for none
		key     string
		source  string // expected start of SettingError.Source
		message string
	}{
		{"bad sync mode flag", []string{"--sync=sometimes"}, nil, "", "sync", "flag --sync", `invalid value "sometimes"`},
		{"bad sync mode env", nil, []string{"FERRY_SYNC=often"}, "", "sync", "environment variable FERRY_SYNC", `"often"`},
		{"bad sync mode file", nil, nil, "sync = Always\n", "sync", "config file", `"Always"`},
		{"bad duration flag", []string{"-sync-interval", "fast"}, nil, "", "sync-interval", "flag --sync-interval", `invalid duration "fast"`},
		{"bad duration env", nil, []string{"FERRY_SYNC_INTERVAL=100"}, "", "sync-interval", "environment variable FERRY_SYNC_INTERVAL", "invalid duration"},
		{"bad duration file", nil, nil, "\n\nsync-interval = 1 second\n", "sync-interval", "config file", "invalid duration"},
		{"negative duration", []string{"--sync-interval=-5ms"}, nil, "", "sync-interval", "flag --sync-interval", "must be positive"},
		{"bad size", []string{"--segment-size=64MB"}, nil, "", "segment-size", "flag --segment-size", `invalid size "64MB"`},
		{"size out of range env", nil, []string{"FERRY_SEGMENT_SIZE=2GiB"}, "", "segment-size", "environment variable FERRY_SEGMENT_SIZE", "out of range"},
		{"bad bool env", nil, []string{"FERRY_PREALLOCATE=yes"}, "", "preallocate", "environment variable FERRY_PREALLOCATE", `not true or false: "yes"`},
		{"bad listen", []string{"--amqp-listen=5672"}, nil, "", "amqp-listen", "flag --amqp-listen", "host:port"},
		{"bad log format", nil, []string{"FERRY_LOG_FORMAT=logfmt"}, "", "log-format", "environment variable FERRY_LOG_FORMAT", `"logfmt"`},
		{"bad log level", nil, nil, "log-level = loud\n", "log-level", "config file", `"loud"`},
		{"empty data dir flag", []string{"--data-dir="}, nil, "", "data-dir", "flag --data-dir", "must not be empty"},
		{"unknown key in file", nil, nil, "synk = none\n", "synk", "config file", `unknown key (did you mean "sync"?)`},
		{"unknown key, no suggestion", nil, nil, "colour = blue\n", "colour", "config file", "unknown key"},
		{"underscore key in file", nil, nil, "data_dir = /x\n", "data_dir", "config file", `did you mean "data-dir"?`},
		{"key set twice in file", nil, nil, "sync = none\nsync = always\n", "sync", "config file", "set twice (first on line 1)"},
		{"line without =", nil, nil, "sync none\n", "", "config file", "want key = value"},
		{"section", nil, nil, "[ferry]\nsync = none\n", "", "config file", "sections"},
		{"missing value", nil, nil, "sync =\n", "sync", "config file", "missing value"},
		{"config in file", nil, nil, "config = other.conf\n", "config", "config file", "cannot name another config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			path := ""
			if tt.file != "" {
				path = writeConfig(t, tt.file)
				args = append([]string{"--config", path}, args...)
			}
			_, err := Load(args, tt.env)
			errs := settingErrors(t, err)
			if len(errs) != 1 {
				t.Fatalf("Load = %v, want one *SettingError", err)
			}
			se := errs[0]
			if se.Key != tt.key || !strings.HasPrefix(se.Source, tt.source) {
				t.Errorf("key, source = %q, %q; want %q, %q...", se.Key, se.Source, tt.key, tt.source)
			}
			if path != "" && !strings.Contains(se.Source, path+" line ") {
				t.Errorf("source %q does not name file %s and a line", se.Source, path)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
		})
	}
}

func TestLoadFileErrorNamesTheLine(t *testing.T) {
	path := writeConfig(t, "# comment\n\nsync = none\nsync-interval = soon\n")
	_, err := Load([]string{"--config", path}, nil)
	errs := settingErrors(t, err)
	if len(errs) != 1 || errs[0].Source != "config file "+path+" line 4" {
		t.Fatalf("Load = %v, want an error from line 4 of %s", err, path)
	}
}

func TestLoadReportsEveryBadSetting(t *testing.T) {
	path := writeConfig(t, "synk = none\nlog-level = loud\n")
	_, err := Load([]string{"--config", path, "--sync-interval=x", "--segment-size=1"}, []string{"FERRY_LOG_FORMAT=xml"})
	var keys []string
	for _, se := range settingErrors(t, err) {
		keys = append(keys, se.Key)
	}
	// Parse errors in source order (file, env, flags), then range errors.
	if got, want := strings.Join(keys, ","), "synk,log-level,log-format,sync-interval,segment-size"; got != want {
		t.Errorf("errors for keys %s, want %s", got, want)
	}
}

func TestLoadValidationBlamesTheSource(t *testing.T) {
	// A value that parses but is out of range is blamed on whoever set it.
	path := writeConfig(t, "shutdown-timeout = 0s\n")
	_, err := Load([]string{"--config", path}, nil)
	errs := settingErrors(t, err)
	if len(errs) != 1 || errs[0].Key != "shutdown-timeout" || errs[0].Source != "config file "+path+" line 1" {
		t.Fatalf("Load = %v, want shutdown-timeout blamed on line 1 of the file", err)
	}
}

func TestLoadMissingConfigFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf")
	for name, in := range map[string]struct{ args, env []string }{
		"flag --config":                     {[]string{"--config", missing}, nil},
		"environment variable FERRY_CONFIG": {nil, []string{"FERRY_CONFIG=" + missing}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(in.args, in.env)
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Load = %v, want os.ErrNotExist", err)
			}
			if !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), name) {
				t.Errorf("error %q should name the file and %q", err, name)
			}
		})
	}
}

func TestLoadCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--synk=none"}, "did you mean --sync?"},
		{[]string{"--data_dir=/x"}, "did you mean --data-dir?"},
		{[]string{"--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"--sync"}, "flag needs an argument"},
		{[]string{"--sync=none", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		_, err := Load(tt.args, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "command line: ") {
			t.Errorf("Load(%q) = %v, want a command line error mentioning %q", tt.args, err, tt.want)
		}
	}
}

func TestLoadHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		if _, err := Load([]string{arg}, nil); err != flag.ErrHelp {
			t.Errorf("Load(%q) = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestLoadLastFlagWins(t *testing.T) {
	c, err := Load([]string{"--sync=none", "--sync=interval"}, nil)
	if err != nil || c.Sync != "interval" {
		t.Fatalf("Load = %+v, %v; want sync interval", c, err)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{"FERRY_SYNK=none", "FERRY_SYNC=none", "FERRY_CONFIG=x", "PATH=/bin", "FERRY_A=1", "FERRYMAN=2"})
	if strings.Join(got, ",") != "FERRY_A,FERRY_SYNK" {
		t.Errorf("UnknownEnv = %q, want [FERRY_A FERRY_SYNK]", got)
	}
}

func TestUsageListsEverySetting(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	out := b.String()
	for _, s := range settings {
		for _, want := range []string{"--" + s.key + " ", s.env(), s.usage} {
			if !strings.Contains(out, want) {
				t.Errorf("Usage lacks %q", want)
			}
		}
	}
	if !strings.Contains(out, "--config FILE") || !strings.Contains(out, "FERRY_CONFIG") {
		t.Error("Usage lacks --config")
	}
}
