package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValidAndMatchesDesign(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	want := Config{
		DataDir: "./ferry-data", Sync: "always", SyncInterval: 100 * time.Millisecond,
		SegmentSize: 64 << 20, Preallocate: true, AMQPListen: ":5672", SQSListen: ":9324",
		AdminListen: "127.0.0.1:15672", SQSAccountID: "000000000000", LogFormat: "text", LogLevel: slog.LevelInfo,
		ShutdownTimeout:     30 * time.Second,
		MemoryHighWatermark: MemoryWatermark{Percent: 40}, DiskFreeLimit: 50 << 20,
		MetricsMaxQueues: 1000,
		HistoryMaxEvents: 32, HistoryMaxMessages: 100_000, HistoryRetention: 24 * time.Hour,
	}
	if d != want {
		t.Errorf("Default() = %+v\nwant        %+v", d, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		key    string // "" means valid
		msg    string // part of the error text
	}{
		{"default", func(*Config) {}, "", ""},
		{"empty data dir", func(c *Config) { c.DataDir = "" }, "data-dir", "must not be empty"},
		{"bad sync", func(c *Config) { c.Sync = "sometimes" }, "sync", `"sometimes"`},
		{"zero sync interval", func(c *Config) { c.SyncInterval = 0 }, "sync-interval", "positive"},
		{"negative sync interval", func(c *Config) { c.SyncInterval = -time.Second }, "sync-interval", "positive"},
		{"segment too small", func(c *Config) { c.SegmentSize = 1024 }, "segment-size", "out of range"},
		{"segment too large", func(c *Config) { c.SegmentSize = 2 << 30 }, "segment-size", "out of range"},
		{"smallest segment", func(c *Config) { c.SegmentSize = MinSegmentSize }, "", ""},
		{"largest segment", func(c *Config) { c.SegmentSize = MaxSegmentSize }, "", ""},
		{"amqp without port", func(c *Config) { c.AMQPListen = "localhost" }, "amqp-listen", "host:port"},
		{"sqs bad port", func(c *Config) { c.SQSListen = ":http" }, "sqs-listen", "invalid port"},
		{"admin port too big", func(c *Config) { c.AdminListen = "127.0.0.1:65536" }, "admin-listen", "invalid port"},
		{"port zero", func(c *Config) { c.AMQPListen = "127.0.0.1:0" }, "", ""},
		{"ipv6", func(c *Config) { c.AMQPListen = "[::1]:5672" }, "", ""},
		{"bad log format", func(c *Config) { c.LogFormat = "xml" }, "log-format", `"xml"`},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown-timeout", "positive"},
		{"memory alarm off", func(c *Config) { c.MemoryHighWatermark = MemoryWatermark{} }, "", ""},
		{"memory watermark in bytes", func(c *Config) { c.MemoryHighWatermark = MemoryWatermark{Bytes: 1 << 30} }, "", ""},
		{"memory percent too big", func(c *Config) { c.MemoryHighWatermark.Percent = 120 }, "memory-high-watermark", "out of range"},
		{"memory percent negative", func(c *Config) { c.MemoryHighWatermark.Percent = -1 }, "memory-high-watermark", "out of range"},
		{"memory bytes and percent", func(c *Config) { c.MemoryHighWatermark.Bytes = 1 << 30 }, "memory-high-watermark", "not both"},
		{"memory bytes negative", func(c *Config) { c.MemoryHighWatermark = MemoryWatermark{Bytes: -1} }, "memory-high-watermark", "negative"},
		{"disk alarm off", func(c *Config) { c.DiskFreeLimit = 0 }, "", ""},
		{"disk limit negative", func(c *Config) { c.DiskFreeLimit = -1 }, "disk-free-limit", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var se *SettingError
			if !errors.As(err, &se) {
				t.Fatalf("Validate() = %v, want a *SettingError", err)
			}
			if se.Key != tt.key || se.Source != "" {
				t.Errorf("error key, source = %q, %q; want %q, \"\"", se.Key, se.Source, tt.key)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), tt.key+": ") {
				t.Errorf("Validate() = %q, want it to start with %q and mention %q", err, tt.key+": ", tt.msg)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Sync, c.LogFormat = "sometimes", "xml"
	got := settingErrors(t, c.Validate())
	if len(got) != 2 || got[0].Key != "sync" || got[1].Key != "log-format" {
		t.Fatalf("Validate() gave %v, want errors for sync and log-format", got)
	}
}

func TestEachListsEverySettingOnce(t *testing.T) {
	seen := map[string]string{}
	Default().Each(func(k, v string) {
		if _, dup := seen[k]; dup {
			t.Errorf("key %q listed twice", k)
		}
		seen[k] = v
	})
	if len(seen) != len(settings) {
		t.Errorf("Each listed %d keys, want %d", len(seen), len(settings))
	}
	for k, v := range map[string]string{"data-dir": "./ferry-data", "segment-size": "64MiB", "log-level": "info", "sync-interval": "100ms"} {
		if seen[k] != v {
			t.Errorf("Each: %s = %q, want %q", k, seen[k], v)
		}
	}
}

// settingErrors unpacks the joined errors of Validate or Load.
func settingErrors(t *testing.T, err error) []*SettingError {
	t.Helper()
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]*SettingError, 0, len(list))
	for _, e := range list {
		var se *SettingError
		if !errors.As(e, &se) {
			t.Fatalf("error %v is not a *SettingError", e)
		}
		out = append(out, se)
	}
	return out
}
