package config

import (
	"fmt"
	"net/url"
	"strconv"
)

// Settings of message history and trace export. They are appended to
// settings (help lists them last) from this file of their own.
func init() {
	settings = append(settings,
		intSetting("history-max-events", "events kept per message in message history (the first and the latest; at least 2)", 2,
			func(c *Config) *int { return &c.HistoryMaxEvents }),
		intSetting("history-max-messages", "message histories kept in all; past it the oldest finished one goes first", 1,
			func(c *Config) *int { return &c.HistoryMaxMessages }),
		&setting{
			key: "history-retention", arg: "DURATION",
			usage:    "how long the history of a message that left its queue (acked, dead-lettered...) is kept",
			get:      func(c *Config) string { return c.HistoryRetention.String() },
			parse:    func(c *Config, v string) (err error) { c.HistoryRetention, err = parseDuration(v); return err },
			validate: func(c *Config) error { return positive(c.HistoryRetention) },
		},
		&setting{
			key: "otlp-endpoint", arg: "URL",
			usage:    "OTLP/HTTP endpoint (such as http://localhost:4318) to export publish, deliver, ack and dead-letter spans to; empty exports none",
			get:      func(c *Config) string { return c.OTLPEndpoint },
			parse:    func(c *Config, v string) error { c.OTLPEndpoint = v; return checkEndpoint(v) },
			validate: func(c *Config) error { return checkEndpoint(c.OTLPEndpoint) },
		},
	)
}

func intSetting(key, usage string, least int, field func(*Config) *int) *setting {
	return &setting{
		key: key, arg: "N", usage: usage,
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			*field(c) = n
			return nil
		},
		validate: func(c *Config) error {
			if n := *field(c); n < least {
				return fmt.Errorf("must be at least %d, got %d", least, n)
			}
			return nil
		},
	}
}

// checkEndpoint accepts "" or an http(s) URL with a host.
func checkEndpoint(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q (want http://host:port or https://host:port, such as http://localhost:4318)", v)
	}
	return nil
}
