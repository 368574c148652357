package config

import (
	"strings"
	"testing"
	"time"
)

// The history and tracing settings join everyKey, so that
// TestLoadEveryKeyFromEverySource reads each from a flag, a variable and
// a file.
func init() {
	everyKey = append(everyKey, []struct {
		key   string
		value string
		check func(Config) bool
	}{
		{"history-max-events", "10", func(c Config) bool { return c.HistoryMaxEvents == 10 }},
		{"history-max-messages", "500", func(c Config) bool { return c.HistoryMaxMessages == 500 }},
		{"history-retention", "2h", func(c Config) bool { return c.HistoryRetention == 2*time.Hour }},
		{"otlp-endpoint", "http://127.0.0.1:4318", func(c Config) bool { return c.OTLPEndpoint == "http://127.0.0.1:4318" }},
	}...)
}

func TestHistorySettingsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		key  string
		msg  string
	}{
		{[]string{"--history-max-events=1"}, "history-max-events", "at least 2"},
		{[]string{"--history-max-events=many"}, "history-max-events", "not a whole number"},
		{[]string{"--history-max-messages=0"}, "history-max-messages", "at least 1"},
		{[]string{"--history-retention=0s"}, "history-retention", "positive"},
		{[]string{"--otlp-endpoint=localhost:4318"}, "otlp-endpoint", "invalid URL"},
		{[]string{"--otlp-endpoint=ftp://x"}, "otlp-endpoint", "invalid URL"},
	} {
		_, err := Load(tc.args, nil)
		if err == nil {
			t.Errorf("Load(%v) accepted it", tc.args)
			continue
		}
		if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Load(%v) = %v; want it to name %s and say %q", tc.args, err, tc.key, tc.msg)
		}
	}
}
