package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// setting describes one key: how to read a user's text into a Config, how
// to print the value back, and what range is valid. Every source (flag,
// environment, file) goes through the same parse function, so a value
// means the same wherever it is written.
type setting struct {
	key   string
	arg   string // placeholder for the value in help, such as "DURATION"
	usage string
	// get formats the value in c the way a user would write it.
	get func(c *Config) string
	// parse stores text into c, or says why it cannot.
	parse func(c *Config, text string) error
	// validate checks the value in c, however it got there.
	validate func(c *Config) error
}

// env is the environment variable that sets s.
func (s *setting) env() string { return envName(s.key) }

func envName(key string) string {
	return "FERRY_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// configKey is the flag that names the config file. It is not a setting:
// it says where settings come from.
const configKey = "config"

// settings lists every setting, in the order help shows them.
var settings = []*setting{
	{
		key: "data-dir", arg: "DIR",
		usage:    "folder for queues, metadata and the LOCK file",
		get:      func(c *Config) string { return c.DataDir },
		parse:    func(c *Config, v string) error { c.DataDir = v; return nil },
		validate: func(c *Config) error { return nonEmpty(c.DataDir) },
	},
	{
		key: "sync", arg: "MODE",
		usage:    "when messages are fsynced: always (before confirming), interval, or none",
		get:      func(c *Config) string { return c.Sync },
		parse:    func(c *Config, v string) error { c.Sync = v; return oneOf(v, SyncAlways, SyncInterval, SyncNone) },
		validate: func(c *Config) error { return oneOf(c.Sync, SyncAlways, SyncInterval, SyncNone) },
	},
	{
		key: "sync-interval", arg: "DURATION",
		usage:    "with sync=interval, the longest data may stay unsynced",
		get:      func(c *Config) string { return c.SyncInterval.String() },
		parse:    func(c *Config, v string) (err error) { c.SyncInterval, err = parseDuration(v); return err },
		validate: func(c *Config) error { return positive(c.SyncInterval) },
	},
	{
		key: "segment-size", arg: "SIZE",
		usage:    "size at which a queue's log starts a new segment file (bytes, or with KiB, MiB, GiB)",
		get:      func(c *Config) string { return FormatSize(c.SegmentSize) },
		parse:    func(c *Config, v string) (err error) { c.SegmentSize, err = ParseSize(v); return err },
		validate: func(c *Config) error { return sizeBetween(c.SegmentSize, MinSegmentSize, MaxSegmentSize) },
	},
	{
		key: "preallocate", arg: "BOOL",
		usage:    "make each busy queue's next segment file in full ahead of time (reusing a removed segment's, or writing zeros), so fsyncs write only data (one spare segment file per busy queue)",
		get:      func(c *Config) string { return strconv.FormatBool(c.Preallocate) },
		parse:    func(c *Config, v string) (err error) { c.Preallocate, err = parseBool(v); return err },
		validate: func(c *Config) error { return nil },
	},
	listenSetting("amqp-listen", "address of the AMQP 0-9-1 front end",
		func(c *Config) *string { return &c.AMQPListen }),
	listenSetting("sqs-listen", "address of the SQS front end",
		func(c *Config) *string { return &c.SQSListen }),
	{
		key: "sqs-account-id", arg: "ID",
		usage:    "12-digit account id in SQS queue URLs and ARNs",
		get:      func(c *Config) string { return c.SQSAccountID },
		parse:    func(c *Config, v string) error { c.SQSAccountID = v; return checkAccountID(v) },
		validate: func(c *Config) error { return checkAccountID(c.SQSAccountID) },
	},
	{
		key: "sqs-access-keys", arg: "ID:SECRET,...",
		usage: "access keys whose SigV4 signatures the SQS front end accepts; empty accepts any credentials (shown with secrets hidden)",
		get:   func(c *Config) string { return redactKeys(c.SQSAccessKeys) },
		parse: func(c *Config, v string) error {
			c.SQSAccessKeys = v
			_, err := ParseAccessKeys(v)
			return err
		},
		validate: func(c *Config) error { _, err := ParseAccessKeys(c.SQSAccessKeys); return err },
	},
	listenSetting("admin-listen", "address of the admin API and metrics",
		func(c *Config) *string { return &c.AdminListen }),
	{
		key: "metrics-max-queues", arg: "N",
		usage: "queues with metrics series of their own; the rest are summed under queue=\"_other\"",
		get:   func(c *Config) string { return strconv.Itoa(c.MetricsMaxQueues) },
		parse: func(c *Config, v string) (err error) {
			c.MetricsMaxQueues, err = strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			return nil
		},
		validate: func(c *Config) error {
			if c.MetricsMaxQueues < 1 {
				return fmt.Errorf("must be at least 1, got %d", c.MetricsMaxQueues)
			}
			return nil
		},
	},
	{
		key: "policies-file", arg: "PATH",
		usage:    "JSON file of policies (delivery rules matched on queue names); re-read on SIGHUP",
		get:      func(c *Config) string { return c.PoliciesFile },
		parse:    func(c *Config, v string) error { c.PoliciesFile = v; return nil },
		validate: func(c *Config) error { return nil },
	},
	{
		key: "log-format", arg: "FORMAT",
		usage:    "log format: text or json",
		get:      func(c *Config) string { return c.LogFormat },
		parse:    func(c *Config, v string) error { c.LogFormat = v; return oneOf(v, LogText, LogJSON) },
		validate: func(c *Config) error { return oneOf(c.LogFormat, LogText, LogJSON) },
	},
	{
		key: "log-level", arg: "LEVEL",
		usage: "least severe level logged: debug, info, warn or error",
		get:   func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
		parse: func(c *Config, v string) error { return parseLevel(&c.LogLevel, v) },
	},
	{
		key: "shutdown-timeout", arg: "DURATION",
		usage:    "how long a clean shutdown may take before ferry exits with an error",
		get:      func(c *Config) string { return c.ShutdownTimeout.String() },
		parse:    func(c *Config, v string) (err error) { c.ShutdownTimeout, err = parseDuration(v); return err },
		validate: func(c *Config) error { return positive(c.ShutdownTimeout) },
	},
	{
		key: "memory-high-watermark", arg: "SIZE|PERCENT",
		usage: "memory the broker may hold before publishers are blocked: a size (2GiB), a percentage of RAM or of the cgroup limit (40%), or 0 for no memory alarm",
		get:   func(c *Config) string { return c.MemoryHighWatermark.String() },
		parse: func(c *Config, v string) (err error) {
			c.MemoryHighWatermark, err = ParseMemoryWatermark(v)
			return err
		},
		validate: func(c *Config) error { return c.MemoryHighWatermark.check() },
	},
	{
		key: "disk-free-limit", arg: "SIZE",
		usage:    "free space on the data folder's disk below which publishers are blocked, or 0 for no disk alarm",
		get:      func(c *Config) string { return FormatSize(c.DiskFreeLimit) },
		parse:    func(c *Config, v string) (err error) { c.DiskFreeLimit, err = ParseSize(v); return err },
		validate: func(c *Config) error { return nonNegative(c.DiskFreeLimit) },
	},
}

// lookup returns the setting called key, or nil.
func lookup(key string) *setting {
	for _, s := range settings {
		if s.key == key {
			return s
		}
	}
	return nil
}

func listenSetting(key, usage string, field func(*Config) *string) *setting {
	return &setting{
		key: key, arg: "HOST:PORT", usage: usage,
		get:      func(c *Config) string { return *field(c) },
		parse:    func(c *Config, v string) error { *field(c) = v; return checkListen(v) },
		validate: func(c *Config) error { return checkListen(*field(c)) },
	}
}

func nonEmpty(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	want := quoted[len(quoted)-1]
	if len(quoted) > 1 {
		want = strings.Join(quoted[:len(quoted)-1], ", ") + " or " + want
	}
	return fmt.Errorf("invalid value %q (want %s)", v, want)
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want a number with a unit, such as 100ms or 2s)", v)
	}
	return d, nil
}

func positive(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %s", d)
	}
	return nil
}

func sizeBetween(n, lo, hi int64) error {
	if n < lo || n > hi {
		return fmt.Errorf("%s is out of range (want %s to %s)", FormatSize(n), FormatSize(lo), FormatSize(hi))
	}
	return nil
}

func nonNegative(n int64) error {
	if n < 0 {
		return fmt.Errorf("must not be negative, got %d", n)
	}
	return nil
}

func parseLevel(l *slog.Level, v string) error {
	switch strings.ToLower(v) {
	case "debug":
		*l = slog.LevelDebug
	case "info":
		*l = slog.LevelInfo
	case "warn", "warning":
		*l = slog.LevelWarn
	case "error":
		*l = slog.LevelError
	default:
		return fmt.Errorf("invalid value %q (want \"debug\", \"info\", \"warn\" or \"error\")", v)
	}
	return nil
}

// checkListen accepts host:port with a numeric port; an empty host means
// every interface.
func checkListen(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("invalid address %q (want host:port, such as :5672 or 127.0.0.1:5672)", v)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid port in %q (want a number from 0 to 65535)", v)
	}
	return nil
}

// parseBool accepts true/false (and 1/0, t/f as strconv does).
func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("not true or false: %q", v)
	}
	return b, nil
}
