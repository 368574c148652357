package loadgen

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Defaults() is invalid: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*Config)
		want   string
	}{
		"nobody":           {func(c *Config) { c.Producers, c.Consumers = 0, 0 }, "at least one"},
		"tiny size":        {func(c *Config) { c.Size = HeaderSize - 1 }, "size 31"},
		"negative window":  {func(c *Config) { c.ConfirmWindow = -1 }, "confirm window"},
		"ack stall":        {func(c *Config) { c.Prefetch, c.AckEvery = 10, 20 }, "would stall"},
		"no bound":         {func(c *Config) { c.Duration, c.Count = 0, 0 }, "no bound"},
		"consumers no end": {func(c *Config) { c.Producers, c.Duration, c.Count = 0, 0, 100 }, "no bound"},
		"negative rate":    {func(c *Config) { c.Rate = -1 }, "rate"},
		"empty url":        {func(c *Config) { c.URL = "" }, "url"},
		"unknown client":   {func(c *Config) { c.Client = "pika" }, `client "pika": want lean or amqp091`},
		"lean amqps":       {func(c *Config) { c.URL = "amqps://guest:secret@h/" }, "use -client amqp091 for amqps://"},
		"lean scheme":      {func(c *Config) { c.URL = "http://h/" }, `scheme "http"`},
	} {
		c := Defaults()
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", name, err, tc.want)
		}
	}
	c := Defaults()
	c.Client, c.URL = ClientAMQP091, "amqps://guest:guest@h/" // amqp091-go speaks TLS
	if err := c.Validate(); err != nil {
		t.Errorf("amqp091 over amqps: %v", err)
	}
	c = Defaults()
	c.Client = "" // as in a Config built by hand: the lean client
	if err := c.Validate(); err != nil || !c.leanClient() || c.client() != ClientLean {
		t.Errorf("empty client: %v, lean %v, named %q", err, c.leanClient(), c.client())
	}
	c = Defaults()
	c.Duration, c.Count = 0, 1000 // a count alone bounds the run
	c.AutoAck, c.Prefetch, c.AckEvery = true, 10, 20
	if err := c.Validate(); err != nil {
		t.Errorf("count-bounded auto-ack run: %v", err)
	}
}

func TestRegisterFlags(t *testing.T) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	c := RegisterFlags(fs)
	err := fs.Parse([]string{"-producers=4", "-consumers", "3", "-size", "4KiB", "-confirm", "0",
		"-rate", "5000", "-duration", "20s", "-warmup=2s", "-fresh-queue", "-persistent=false", "-json", "-client", "amqp091"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Producers != 4 || c.Consumers != 3 || c.Size != 4096 || c.ConfirmWindow != 0 || c.Rate != 5000 ||
		c.Duration != 20*time.Second || c.Warmup != 2*time.Second || !c.FreshQueue || c.Persistent || !c.JSON || c.Client != ClientAMQP091 {
		t.Fatalf("flags not applied: %+v", *c)
	}
	if c.URL != DefaultURL || c.Prefetch != 100 {
		t.Fatalf("unset flags lost their defaults: url %q prefetch %d", c.URL, c.Prefetch)
	}
	if d := RegisterFlags(flag.NewFlagSet("bench", flag.ContinueOnError)); d.Client != ClientLean {
		t.Fatalf("default client %q, want %q", d.Client, ClientLean)
	}
	if err := fs.Parse([]string{"-size", "lots"}); err == nil {
		t.Fatal("-size lots was accepted")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"1024": 1024, "512B": 512, "1KiB": 1024, "4k": 4096, "1MiB": 1 << 20, "2 M": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1GiB", "1.5KiB", "9999999MiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted it", in)
		}
	}
}

func TestRedactedURLHidesPassword(t *testing.T) {
	c := Config{URL: "amqp://bob:secret@127.0.0.1:5672/vh"}
	if got := c.RedactedURL(); strings.Contains(got, "secret") || !strings.Contains(got, "bob") {
		t.Fatalf("RedactedURL() = %q", got)
	}
}
