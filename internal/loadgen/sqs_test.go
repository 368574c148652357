package loadgen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/sqs"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// startFerrySQS runs Ferry's SQS front end in process, on a broker whose
// durable queues live in a disk store that fsyncs every write (the
// store's default), and returns its endpoint. Only the test imports the
// broker's packages: the load tool still reaches it through the wire.
func startFerrySQS(t *testing.T) string {
	t.Helper()
	return startFerrySQSWithKeys(t, nil)
}

// startFerrySQSWithKeys is startFerrySQS with a server that checks SigV4
// signatures by keys.
func startFerrySQSWithKeys(t *testing.T, keys map[string]string) string {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{Durable: store, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := sqs.NewServer(sqs.Config{Broker: b, Logger: quiet, Keys: keys})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("sqs shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, sqs.ErrServerClosed) {
			t.Errorf("sqs serve: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("broker close: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func sqsConfig(t *testing.T, protocol, endpoint string) Config {
	cfg := Defaults()
	cfg.Protocol = protocol
	cfg.URL = endpoint
	cfg.Queue = "loadgen-sqs"
	cfg.FreshQueue = true
	cfg.Interval = 0
	cfg.Duration = 0
	cfg.Count = 2000
	cfg.Producers, cfg.Consumers = 3, 2
	// A hang guard, not a timing assertion: a drain that ends early shows
	// up as lost messages.
	cfg.DrainTimeout = 2 * time.Minute
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// TestRunSQSLosesNothing runs a count-bounded load in each SQS protocol
// against Ferry and checks the ledger: everything sent was accepted,
// consumed once, and the fresh queue is gone afterwards.
func TestRunSQSLosesNothing(t *testing.T) {
	endpoint := startFerrySQS(t)
	for _, protocol := range []string{ProtocolSQSJSON, ProtocolSQSQuery} {
		t.Run(protocol, func(t *testing.T) {
			cfg := sqsConfig(t, protocol, endpoint)
			var out bytes.Buffer
			res, err := Run(context.Background(), cfg, &out)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			t.Logf("\n%s", out.String())
			if res.Sent != cfg.Count || res.Confirmed != cfg.Count || res.Nacked != 0 || res.Unconfirmed != 0 {
				t.Errorf("sent %d confirmed %d nacked %d unconfirmed %d: want all %d sent and accepted",
					res.Sent, res.Confirmed, res.Nacked, res.Unconfirmed, cfg.Count)
			}
			if res.Consumed != cfg.Count || res.Lost != 0 || res.Duplicates != 0 || res.Foreign != 0 || !res.Drained || !res.LossChecked {
				t.Errorf("consumed %d of %d, lost %d, dups %d, foreign %d, drained %v",
					res.Consumed, cfg.Count, res.Lost, res.Duplicates, res.Foreign, res.Drained)
			}
			if res.Latency.Count != cfg.Count || res.ConfirmLatency.Count != cfg.Count {
				t.Errorf("latencies recorded: %d end to end, %d confirm; want %d each",
					res.Latency.Count, res.ConfirmLatency.Count, cfg.Count)
			}
			if !strings.HasPrefix(res.Queue, "loadgen-sqs-") || res.Config.Protocol != protocol {
				t.Errorf("queue %q, protocol %q", res.Queue, res.Config.Protocol)
			}
			// The fresh queue was deleted: creating a client and asking for
			// its URL fails.
			client, err := newSQSClient(&cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.receive(context.Background(), endpoint+"/000000000000/"+res.Queue, 1, 1); err == nil ||
				!strings.Contains(err.Error(), "NonExistentQueue") {
				t.Errorf("receive from the deleted queue: %v, want NonExistentQueue", err)
			}
		})
	}
}

// TestRunSQSSignsWithTheURLKey runs against a server that checks
// signatures: with the key in the URL every request is signed and the run
// loses nothing; without it requests go unsigned and the server refuses
// them.
func TestRunSQSSignsWithTheURLKey(t *testing.T) {
	endpoint := startFerrySQSWithKeys(t, map[string]string{"AK": "SK"})
	signed := strings.Replace(endpoint, "http://", "http://AK:SK@", 1)
	for _, protocol := range []string{ProtocolSQSJSON, ProtocolSQSQuery} {
		t.Run(protocol, func(t *testing.T) {
			cfg := sqsConfig(t, protocol, signed)
			cfg.Count = 200
			var out bytes.Buffer
			res, err := Run(context.Background(), cfg, &out)
			if err != nil {
				t.Fatalf("signed run: %v\n%s", err, out.String())
			}
			if res.Confirmed != cfg.Count || res.Consumed != cfg.Count || res.Lost != 0 || res.Duplicates != 0 {
				t.Errorf("confirmed %d consumed %d lost %d dups %d of %d", res.Confirmed, res.Consumed, res.Lost, res.Duplicates, cfg.Count)
			}
			unsigned := sqsConfig(t, protocol, endpoint)
			client, err := newSQSClient(&unsigned)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.createQueue(context.Background(), "unsigned"); err == nil ||
				!strings.Contains(err.Error(), "MissingAuthenticationToken") {
				t.Errorf("unsigned CreateQueue: %v, want MissingAuthenticationToken", err)
			}
		})
	}
}

func TestSQSBodyRoundTrip(t *testing.T) {
	buf := newSQSBody(100)
	h := header{RunID: 0xfeedface, Producer: 7, Seq: 123456789, SentNano: 1<<62 + 5}
	body := encodeSQSBody(buf, h)
	if len(body) != 100 || strings.ContainsAny(body, "\x00") {
		t.Fatalf("body %q: want 100 printable bytes", body)
	}
	got, err := parseSQSBody(body)
	if err != nil || got != h {
		t.Fatalf("parse: %+v, %v; want %+v", got, err, h)
	}
	for _, bad := range []string{"", "hello", strings.Repeat("x", 60), strings.Repeat("A", 44)} {
		if _, err := parseSQSBody(bad); err == nil {
			t.Errorf("parse %q: no error", bad)
		}
	}
}

func TestSQSConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		change func(*Config)
		say    string
	}{
		{func(c *Config) { c.Protocol = "stomp" }, "protocol"},
		{func(c *Config) { c.URL = "amqp://127.0.0.1:5672/" }, "SQS endpoint"},
		{func(c *Config) { c.Batch = 11 }, "batch 11"},
		{func(c *Config) { c.WaitSeconds = 0 }, "wait 0"},
		{func(c *Config) { c.Size = 40 }, "size 40"},
	} {
		cfg := Defaults()
		cfg.Protocol, cfg.URL = ProtocolSQSQuery, DefaultSQSURL
		tc.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("validate: %v, want an error mentioning %q", err, tc.say)
		}
	}
	cfg := Defaults()
	cfg.Protocol, cfg.URL, cfg.Size = ProtocolSQSJSON, DefaultSQSURL, 100<<10
	if err := cfg.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	if n := sqsBatchLen(&cfg); n != 2 {
		t.Errorf("batch of 100 KiB bodies: %d entries, want 2 (256 KiB a request)", n)
	}
	endpoint, id, secret, err := sqsEndpoint("http://AK:SK@127.0.0.1:9324/x?y")
	if err != nil || endpoint != "http://127.0.0.1:9324" || id != "AK" || secret != "SK" {
		t.Errorf("sqsEndpoint: %q %q %q %v", endpoint, id, secret, err)
	}
}
