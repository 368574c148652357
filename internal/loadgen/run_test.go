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
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// These tests drive a real broker on 127.0.0.1:5672 (RabbitMQ until
// Ferry's AMQP front end exists; bench/compare.sh shows how to start one).

const testAddr = "127.0.0.1:5672"

// brokerConfig skips the test when no broker listens, and otherwise
// returns a quiet config on a fresh queue.
func brokerConfig(t *testing.T) Config {
	t.Helper()
	conn, err := net.DialTimeout("tcp", testAddr, time.Second)
	if err != nil {
		t.Skipf("no AMQP broker on %s (%v): start RabbitMQ there to run this test (see bench/compare.sh)", testAddr, err)
	}
	conn.Close()
	cfg := Defaults()
	cfg.FreshQueue = true
	cfg.Queue = "loadgen-test"
	cfg.Interval = 0
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// queueExists asks the broker with a passive declare.
func queueExists(t *testing.T, name string) bool {
	t.Helper()
	conn, err := amqp.Dial(DefaultURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.QueueDeclarePassive(name, true, false, false, false, nil)
	var amqpErr *amqp.Error
	if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
		return false
	}
	if err != nil {
		t.Fatalf("passive declare %q: %v", name, err)
	}
	return true
}

func TestRunOneToOneWithConfirmsLosesNothing(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.Duration = 2 * time.Second
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
	if !strings.Contains(out.String(), fmtCount(res.Sent)) {
		t.Errorf("summary does not show the %d messages sent", res.Sent)
	}
	if !strings.HasPrefix(res.Queue, "loadgen-test-") || queueExists(t, res.Queue) {
		t.Errorf("fresh queue %q was not deleted after the run", res.Queue)
	}
}

func TestRunCountBoundWithoutConfirms(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.Duration, cfg.Count = 0, 1000
	cfg.Producers, cfg.Consumers = 3, 2
	cfg.ConfirmWindow = 0
	cfg.Prefetch, cfg.AckEvery = 50, 10
	cfg.Durable, cfg.Persistent = false, false
	cfg.Size = HeaderSize
	cfg.Queue = "" // server-named
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 1000 || res.Consumed != 1000 || res.Lost != 0 || res.Duplicates != 0 || res.Confirmed != 0 {
		t.Errorf("sent %d consumed %d lost %d dups %d confirmed %d; want 1000 1000 0 0 0",
			res.Sent, res.Consumed, res.Lost, res.Duplicates, res.Confirmed)
	}
	if !strings.HasPrefix(res.Queue, "amq.gen-") || queueExists(t, res.Queue) {
		t.Errorf("server-named queue %q was not deleted after the run", res.Queue)
	}
}

func TestRunWarmupIsLeftOutOfRatesAndLatencies(t *testing.T) {
	cfg := brokerConfig(t)
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
}

// A named queue may hold other clients' messages: they are counted as
// foreign and do not upset the accounting.
func TestRunCountsForeignMessages(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.FreshQueue = false
	cfg.Queue = fmt.Sprintf("loadgen-test-foreign-%x", rand.Uint64())
	cfg.Duration, cfg.Count = 0, 100

	conn, err := amqp.Dial(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(cfg.Queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(cfg.Queue, false, false, false) })
	otherRun := make([]byte, HeaderSize)
	header{RunID: 42, Producer: 0, Seq: 0}.put(otherRun)
	for _, body := range [][]byte{[]byte("somebody else's message"), otherRun, nil} {
		if err := ch.PublishWithContext(context.Background(), "", cfg.Queue, false, false, amqp.Publishing{Body: body}); err != nil {
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
	if !queueExists(t, cfg.Queue) {
		t.Error("Run deleted a named queue it did not create")
	}
}

// cancelOn is a slog handler that cancels a context when a given message
// is logged: the test's event to stop the run mid-way.
type cancelOn struct {
	slog.Handler
	msg    string
	cancel context.CancelFunc
}

func (h cancelOn) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOn) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}

func TestRunStopsWhenCancelled(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.Duration = time.Hour
	cfg.Interval = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Logger = slog.New(cancelOn{Handler: slog.DiscardHandler, msg: "progress", cancel: cancel})
	res, err := Run(ctx, cfg, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	if res.Sent == 0 {
		t.Error("result of a cancelled run has nothing sent")
	}
	if queueExists(t, res.Queue) {
		t.Errorf("fresh queue %q left behind after a cancelled run", res.Queue)
	}
}

func TestRunReportsUnreachableBroker(t *testing.T) {
	cfg := Defaults()
	cfg.URL = "amqp://guest:guest@127.0.0.1:1/"
	cfg.Logger = slog.New(slog.DiscardHandler)
	_, err := Run(context.Background(), cfg, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connect to amqp://guest:xxxxx@127.0.0.1:1/") {
		t.Fatalf("Run against a closed port = %v, want a connect error naming the (redacted) URL", err)
	}
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	cfg := Defaults()
	cfg.Size = 1
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "size") {
		t.Fatalf("Run with size 1 = %v, want a size error", err)
	}
}
