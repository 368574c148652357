package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	neturl "net/url"
	"os"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	ferryamqp "github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// These tests drive Ferry's AMQP front end, in process, with each AMQP
// client. Set LOADGEN_TEST_AMQP_URL to run them against another broker
// instead (RabbitMQ, say: bench/compare.sh shows how to start one); the
// few that need a server setting only Ferry's test server has are then
// skipped.

// clients are the AMQP clients every run test runs with.
var clients = []string{ClientLean, ClientAMQP091}

// startFerryAMQP runs Ferry's AMQP front end in process, on a broker whose
// durable queues live in a disk store that fsyncs every write (the
// store's default) and whose transient ones live in memory, and returns
// its URL. srv sets the server's limits; its Broker is filled in. Only
// the tests import the broker's packages: the load tool still reaches it
// through the wire.
func startFerryAMQP(t *testing.T, srv ferryamqp.Config) string {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	store, err := diskstore.Open(t.TempDir(), diskstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{Durable: store, Transient: memstore.New(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv.Broker, srv.Logger = b, quiet
	s := ferryamqp.NewServer(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("amqp shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ferryamqp.ErrServerClosed) {
			t.Errorf("amqp serve: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("broker close: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
	})
	return "amqp://guest:guest@" + ln.Addr().String() + "/"
}

// externalURL is the broker to test against instead of Ferry, if set.
func externalURL() string { return os.Getenv("LOADGEN_TEST_AMQP_URL") }

// brokerURL returns the URL of the broker a test drives: Ferry with the
// default limits, or the external broker.
func brokerURL(t *testing.T) string {
	t.Helper()
	if u := externalURL(); u != "" {
		return u
	}
	return startFerryAMQP(t, ferryamqp.Config{})
}

// ferryOnly starts Ferry with srv's limits, skipping the test when it
// runs against an external broker.
func ferryOnly(t *testing.T, srv ferryamqp.Config) string {
	t.Helper()
	if externalURL() != "" {
		t.Skip("needs a server setting of Ferry's test server")
	}
	return startFerryAMQP(t, srv)
}

// testConfig is a quiet config on a fresh queue of the broker at url.
func testConfig(url, client string) Config {
	cfg := Defaults()
	cfg.URL, cfg.Client = url, client
	cfg.FreshQueue = true
	cfg.Queue = "loadgen-test"
	cfg.Interval = 0
	// A hang guard, not a timing assertion: a drain that ends early shows
	// up as lost messages.
	cfg.DrainTimeout = 2 * time.Minute
	cfg.Logger = slog.New(slog.DiscardHandler)
	return cfg
}

// eachClient runs f once per AMQP client, as subtests, on the broker at url.
func eachClient(t *testing.T, url string, f func(t *testing.T, cfg Config)) {
	t.Helper()
	for _, client := range clients {
		t.Run(client, func(t *testing.T) { f(t, testConfig(url, client)) })
	}
}

// dialTest opens a channel with amqp091-go for a test's own setup and
// checks; both are closed at the end of the test.
func dialTest(t *testing.T, url string) *amqp091.Channel {
	t.Helper()
	conn, err := amqp091.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// queueExists asks the broker with a passive declare.
func queueExists(t *testing.T, url, name string) bool {
	t.Helper()
	ch := dialTest(t, url)
	_, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	var amqpErr *amqp091.Error
	if errors.As(err, &amqpErr) && amqpErr.Code == amqp091.NotFound {
		return false
	}
	if err != nil {
		t.Fatalf("passive declare %q: %v", name, err)
	}
	return true
}

// checkExact checks a count-bounded run that should have lost nothing:
// every message sent, confirmed (when confirming), consumed once.
func checkExact(t *testing.T, res Result, cfg Config) {
	t.Helper()
	confirmed := cfg.Count
	if cfg.ConfirmWindow == 0 {
		confirmed = 0
	}
	if res.Sent != cfg.Count || res.Confirmed != confirmed || res.Nacked != 0 || res.Returned != 0 || res.Unconfirmed != 0 {
		t.Errorf("sent %d confirmed %d nacked %d returned %d unconfirmed %d; want %d sent, %d confirmed, none nacked, returned or unconfirmed",
			res.Sent, res.Confirmed, res.Nacked, res.Returned, res.Unconfirmed, cfg.Count, confirmed)
	}
	if res.Consumed != cfg.Count || res.Lost != 0 || res.Duplicates != 0 || res.Foreign != 0 || !res.Drained || !res.LossChecked {
		t.Errorf("consumed %d of %d, lost %d, dups %d, foreign %d, drained %v, loss checked %v",
			res.Consumed, cfg.Count, res.Lost, res.Duplicates, res.Foreign, res.Drained, res.LossChecked)
	}
	if res.Latency.Count != cfg.Count || res.ConfirmLatency.Count != confirmed {
		t.Errorf("latencies recorded: %d end to end, %d confirm; want %d and %d",
			res.Latency.Count, res.ConfirmLatency.Count, cfg.Count, confirmed)
	}
	if res.Client != cfg.Client || res.Config.Client != cfg.Client {
		t.Errorf("result says client %q (config %q), want %q", res.Client, res.Config.Client, cfg.Client)
	}
}

func TestRunOneToOneWithConfirmsLosesNothing(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.Duration = time.Second
		var out bytes.Buffer
		res, err := Run(context.Background(), cfg, &out)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", out.String())
		if res.Sent == 0 || res.Confirmed != res.Sent || res.Unconfirmed != 0 || res.Nacked != 0 {
			t.Errorf("sent %d confirmed %d nacked %d unconfirmed %d: want every message confirmed",
				res.Sent, res.Confirmed, res.Nacked, res.Unconfirmed)
		}
		if res.Consumed != res.Confirmed || res.Lost != 0 || res.Duplicates != 0 || !res.Drained || !res.LossChecked {
			t.Errorf("consumed %d of %d confirmed, lost %d, dups %d, drained %v",
				res.Consumed, res.Confirmed, res.Lost, res.Duplicates, res.Drained)
		}
		if res.Latency.Count != res.Consumed || res.ConfirmLatency.Count != res.Confirmed {
			t.Errorf("latency counts %d/%d, want %d/%d (no warm-up: every message counts)",
				res.Latency.Count, res.ConfirmLatency.Count, res.Consumed, res.Confirmed)
		}
		if res.Publish.MsgsPerSec <= 0 || res.Consume.MsgsPerSec <= 0 || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.Max {
			t.Errorf("implausible figures: publish %v/s consume %v/s p50 %v max %v",
				res.Publish.MsgsPerSec, res.Consume.MsgsPerSec, res.Latency.P50, res.Latency.Max)
		}
		if !strings.Contains(out.String(), fmtCount(res.Sent)) || !strings.Contains(out.String(), "client "+cfg.Client) {
			t.Errorf("summary does not show the %d messages sent and client %s", res.Sent, cfg.Client)
		}
		if !strings.HasPrefix(res.Queue, "loadgen-test-") || queueExists(t, url, res.Queue) {
			t.Errorf("fresh queue %q was not deleted after the run", res.Queue)
		}
	})
}

// TestRunCountBoundIsExact publishes a count with confirms from several
// producers to several consumers: every number must come out exact. The
// queue is a quorum queue: x-queue-type must reach the broker as a string,
// or it refuses the declare.
func TestRunCountBoundIsExact(t *testing.T) {
	eachClient(t, brokerURL(t), func(t *testing.T, cfg Config) {
		cfg.Duration, cfg.Count = 0, 3001
		cfg.Producers, cfg.Consumers = 2, 2
		cfg.ConfirmWindow = 16
		cfg.QueueType = "quorum"
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
	})
}

func TestRunCountBoundWithoutConfirms(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.Duration, cfg.Count = 0, 1000
		cfg.Producers, cfg.Consumers = 3, 2
		cfg.ConfirmWindow = 0
		cfg.Prefetch, cfg.AckEvery = 50, 10 // multiple acks
		cfg.Durable, cfg.Persistent = false, false
		cfg.Size = HeaderSize
		cfg.Queue = "" // server-named
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
		if !strings.HasPrefix(res.Queue, "amq.gen-") || queueExists(t, url, res.Queue) {
			t.Errorf("server-named queue %q was not deleted after the run", res.Queue)
		}
	})
}

// The count is not a multiple of AckEvery: the last deliveries are acked
// by the multiple ack on stop, or the queue would still hold them.
func TestRunMultiAckLeavesTheQueueEmpty(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.FreshQueue = false
		cfg.Queue = fmt.Sprintf("loadgen-test-multi-ack-%x", rand.Uint64())
		cfg.Duration, cfg.Count = 0, 1003
		cfg.Prefetch, cfg.AckEvery = 20, 7
		ch := dialTest(t, url)
		t.Cleanup(func() { _, _ = ch.QueueDelete(cfg.Queue, false, false, false) })
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
		q, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil)
		if err != nil || q.Messages != 0 {
			t.Errorf("queue after the run: %+v, %v; want it there and empty", q, err)
		}
	})
}

func TestRunAutoAck(t *testing.T) {
	eachClient(t, brokerURL(t), func(t *testing.T, cfg Config) {
		cfg.Duration, cfg.Count = 0, 1000
		cfg.AutoAck = true
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
	})
}

// A body larger than frame-max travels in several body frames, both ways:
// published, and delivered. Ferry refuses a frame over frame-max, and the
// clients check the body size, so an exact run proves the splits.
func TestRunSplitsBodiesAtFrameMax(t *testing.T) {
	url, size := "", 8<<10+100 // three frames at frame-max 4096
	if ext := externalURL(); ext != "" {
		url, size = ext, 300<<10 // RabbitMQ's frame-max is 128 KiB
	} else {
		url = startFerryAMQP(t, ferryamqp.Config{FrameMax: 4096})
	}
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.Duration, cfg.Count = 0, 200
		cfg.Size = size
		cfg.Producers, cfg.Consumers = 2, 1
		cfg.ConfirmWindow = 16
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
	})
}

func TestRunWarmupIsLeftOutOfRatesAndLatencies(t *testing.T) {
	eachClient(t, brokerURL(t), func(t *testing.T, cfg Config) {
		cfg.Warmup, cfg.Duration, cfg.Rate = 500*time.Millisecond, time.Second, 200
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		measured := res.Publish.Messages
		if measured == 0 || measured >= res.Sent {
			t.Fatalf("measured %d of %d sent: the warm-up should have sent some, the rest measured", measured, res.Sent)
		}
		// The same send timestamp decides for all three counts.
		if res.ConfirmLatency.Count != measured || res.Latency.Count != measured {
			t.Errorf("latency counts %d (confirm) and %d (end-to-end), want %d", res.ConfirmLatency.Count, res.Latency.Count, measured)
		}
		if res.Lost != 0 || res.Consumed != res.Sent {
			t.Errorf("lost %d, consumed %d of %d: warm-up messages are still accounted for", res.Lost, res.Consumed, res.Sent)
		}
	})
}

// A paced run sends its count and no message before its due time: the
// last of n at rate r is due (n-1)/r after the start, so publishing cannot
// take less (it may take more on a busy machine; that is not checked).
func TestRunRatePacesPublishes(t *testing.T) {
	eachClient(t, brokerURL(t), func(t *testing.T, cfg Config) {
		cfg.Duration, cfg.Count, cfg.Rate = 0, 301, 1000
		cfg.Producers = 2 // 500/s each; 151 and 150 messages
		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, res, cfg)
		if least := 150 * time.Second / 500; res.Publish.Window < least {
			t.Errorf("published %d in %v: faster than the pacer allows (%v at least)", res.Sent, res.Publish.Window, least)
		}
	})
}

// A named queue may hold other clients' messages: they are counted as
// foreign and do not upset the accounting.
func TestRunCountsForeignMessages(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.FreshQueue = false
		cfg.Queue = fmt.Sprintf("loadgen-test-foreign-%x", rand.Uint64())
		cfg.Duration, cfg.Count = 0, 100

		ch := dialTest(t, url)
		if _, err := ch.QueueDeclare(cfg.Queue, true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = ch.QueueDelete(cfg.Queue, false, false, false) })
		otherRun := make([]byte, HeaderSize)
		header{RunID: 42, Producer: 0, Seq: 0}.put(otherRun)
		for _, body := range [][]byte{[]byte("somebody else's message"), otherRun, nil} {
			if err := ch.PublishWithContext(context.Background(), "", cfg.Queue, false, false, amqp091.Publishing{Body: body}); err != nil {
				t.Fatal(err)
			}
		}

		res, err := Run(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if res.Foreign != 3 || res.Consumed != 100 || res.Lost != 0 || res.Duplicates != 0 {
			t.Errorf("foreign %d consumed %d lost %d dups %d; want 3 100 0 0", res.Foreign, res.Consumed, res.Lost, res.Duplicates)
		}
		if !queueExists(t, url, cfg.Queue) {
			t.Error("Run deleted a named queue it did not create")
		}
	})
}

// onLog is a slog handler that calls do, synchronously, when a given
// message is logged: the tests' event to act on a run mid-way. "load run
// starting" comes after every connection is open and before any
// goroutine of the run has started.
type onLog struct {
	msg string
	do  func(r slog.Record)
}

func (h onLog) Enabled(context.Context, slog.Level) bool { return true }
func (h onLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h onLog) WithGroup(string) slog.Handler            { return h }

func (h onLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.do(r)
	}
	return nil
}

func TestRunStopsWhenCancelled(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.Duration = time.Hour
		cfg.Interval = 50 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg.Logger = slog.New(onLog{msg: "progress", do: func(slog.Record) { cancel() }})
		res, err := Run(ctx, cfg, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run after cancel = %v, want context.Canceled", err)
		}
		if res.Sent == 0 {
			t.Error("result of a cancelled run has nothing sent")
		}
		if queueExists(t, url, res.Queue) {
			t.Errorf("fresh queue %q left behind after a cancelled run", res.Queue)
		}
	})
}

// TestRunCountsReturnedMessages deletes the run's queue once the
// producers are connected: every publish is then unroutable, and, being
// mandatory, comes back as basic.return, and is still acked.
func TestRunCountsReturnedMessages(t *testing.T) {
	url := brokerURL(t)
	for _, tc := range []struct {
		name    string
		window  int
		clients []string
	}{
		{"confirms", 8, clients},
		// Without confirms only the close handshake tells when every return
		// is in: amqp091-go's path stops reading before it (it takes the
		// returns already buffered), so it may miss the last ones.
		{"no confirms", 0, []string{ClientLean}},
	} {
		for _, client := range tc.clients {
			t.Run(tc.name+"/"+client, func(t *testing.T) {
				cfg := testConfig(url, client)
				cfg.FreshQueue = false
				cfg.Queue = fmt.Sprintf("loadgen-test-returns-%x", rand.Uint64())
				cfg.Consumers, cfg.Producers = 0, 2
				cfg.Duration, cfg.Count = 0, 501
				cfg.ConfirmWindow = tc.window
				ch := dialTest(t, url)
				cfg.Logger = slog.New(onLog{msg: "load run starting", do: func(slog.Record) {
					if _, err := ch.QueueDelete(cfg.Queue, false, false, false); err != nil {
						t.Errorf("delete the queue under the run: %v", err)
					}
				}})
				res, err := Run(context.Background(), cfg, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				confirmed := cfg.Count
				if tc.window == 0 {
					confirmed = 0
				}
				if res.Sent != cfg.Count || res.Returned != cfg.Count || res.Confirmed != confirmed || res.Nacked != 0 || res.Unconfirmed != 0 {
					t.Errorf("sent %d returned %d confirmed %d nacked %d unconfirmed %d; want %d returned, %d confirmed",
						res.Sent, res.Returned, res.Confirmed, res.Nacked, res.Unconfirmed, cfg.Count, confirmed)
				}
				if res.LossChecked {
					t.Error("a run without consumers claims to have checked for loss")
				}
			})
		}
	}
}

// A consumer whose queue is deleted hears of it (basic.cancel, as it
// announced consumer_cancel_notify) and the run ends with an error rather
// than waiting for the duration.
func TestRunEndsWhenTheQueueIsDeletedUnderAConsumer(t *testing.T) {
	url := brokerURL(t)
	eachClient(t, url, func(t *testing.T, cfg Config) {
		cfg.Producers, cfg.Consumers = 0, 1
		cfg.Duration = time.Hour
		ch := dialTest(t, url)
		var queue string
		cfg.Logger = slog.New(onLog{msg: "load run starting", do: func(r slog.Record) {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "queue" {
					queue = a.Value.String()
				}
				return true
			})
			if _, err := ch.QueueDelete(queue, false, false, false); err != nil {
				t.Errorf("delete the queue under the run: %v", err)
			}
		}})
		_, err := Run(context.Background(), cfg, io.Discard)
		want := "channel closed" // amqp091-go closes the deliveries channel
		if cfg.Client == ClientLean {
			want = fmt.Sprintf("consumer 0: the broker cancelled the consumer: was queue %q deleted?", queue)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Run = %v, want an error saying %q", err, want)
		}
	})
}

// TestRunReportsChannelErrors makes the broker close the channel, in
// setup and mid-run, and checks that the error says what the broker said.
func TestRunReportsChannelErrors(t *testing.T) {
	url := brokerURL(t)
	t.Run("declare", func(t *testing.T) {
		eachClient(t, url, func(t *testing.T, cfg Config) {
			// The queue exists, transient; the run declares it durable.
			cfg.FreshQueue = false
			cfg.Queue = fmt.Sprintf("loadgen-test-inequivalent-%x", rand.Uint64())
			ch := dialTest(t, url)
			if _, err := ch.QueueDeclare(cfg.Queue, false, false, false, false, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = ch.QueueDelete(cfg.Queue, false, false, false) })
			_, err := Run(context.Background(), cfg, io.Discard)
			want := "406"
			if cfg.Client == ClientLean {
				want = fmt.Sprintf("declare queue %q (durable true, type \"\"): channel closed by the broker: 406 PRECONDITION_FAILED - ", cfg.Queue)
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Run = %v, want an error saying %q", err, want)
			}
		})
	})
	t.Run("publish", func(t *testing.T) {
		url := ferryOnly(t, ferryamqp.Config{MaxMessageSize: 1000})
		eachClient(t, url, func(t *testing.T, cfg Config) {
			cfg.Duration, cfg.Count = 0, 10
			cfg.Size = 2000
			var out bytes.Buffer
			_, err := Run(context.Background(), cfg, &out)
			want := "producer 0: "
			if cfg.Client == ClientLean {
				want = "producer 0: channel closed by the broker: 406 PRECONDITION_FAILED - "
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Run = %v, want an error saying %q", err, want)
			}
			if !strings.Contains(out.String(), "ferry bench") {
				t.Errorf("a run that failed mid-way wrote no result:\n%s", out.String())
			}
		})
	})
}

// TestRunReportsConnectionErrors checks the errors of a refused
// connection: a vhost that does not exist, a wrong password.
func TestRunReportsConnectionErrors(t *testing.T) {
	url := brokerURL(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	noVHost := *u
	noVHost.Path = "/no-such-vhost"
	badPassword := *u
	badPassword.User = neturl.UserPassword(u.User.Username(), "not-the-password")
	for _, tc := range []struct {
		name, url, lean, amqp091 string
	}{
		{"vhost", noVHost.String(), "setup: connect to " + noVHost.Redacted() + ": open vhost \"no-such-vhost\": connection closed by the broker: 530 NOT_ALLOWED - ", "no access to this vhost"}, // amqp091-go's own words
		{"password", badPassword.String(), "setup: connect to " + badPassword.Redacted() + ": waiting for connection.tune: connection closed by the broker: 403 ACCESS_REFUSED - ", "403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachClient(t, tc.url, func(t *testing.T, cfg Config) {
				_, err := Run(context.Background(), cfg, io.Discard)
				want := tc.amqp091
				if cfg.Client == ClientLean {
					want = tc.lean
				}
				if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "not-the-password") {
					t.Fatalf("Run = %v, want an error saying %q, and no password", err, want)
				}
			})
		})
	}
}

func TestRunReportsUnreachableBroker(t *testing.T) {
	eachClient(t, "amqp://guest:guest@127.0.0.1:1/", func(t *testing.T, cfg Config) {
		_, err := Run(context.Background(), cfg, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "connect to amqp://guest:xxxxx@127.0.0.1:1/") {
			t.Fatalf("Run against a closed port = %v, want a connect error naming the (redacted) URL", err)
		}
	})
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	cfg := Defaults()
	cfg.Size = 1
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "size") {
		t.Fatalf("Run with size 1 = %v, want a size error", err)
	}
}
