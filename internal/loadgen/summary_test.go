package loadgen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleResult() Result {
	cfg := Defaults()
	cfg.URL = "amqp://guest:xxxxx@127.0.0.1:5672/"
	return Result{
		Scenario: "a", Broker: "rabbitmq", Queue: "q", RunID: "00000000000000ff", Client: ClientLean, Config: cfg,
		Sent: 1234567, Confirmed: 1234560, Nacked: 7, Consumed: 1234561, Lost: 0, Duplicates: 1,
		LossChecked: true, Drained: true,
		Publish: throughputOf(100_000, 10*time.Second, 1024),
		Consume: throughputOf(99_000, 10*time.Second, 1024),
		Latency: Latency{Count: 1000, Min: time.Microsecond, Mean: 500 * time.Microsecond,
			P50: 500 * time.Microsecond, P75: 750 * time.Microsecond, P95: 950 * time.Microsecond,
			P99: 990 * time.Microsecond, P999: 999 * time.Microsecond, Max: time.Millisecond},
		Elapsed:  12 * time.Second,
		Drain:    3 * time.Millisecond,
		Returned: 0,
	}
}

func TestWriteSummaryIsReadable(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleResult(), false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"1,234,567", "1,234,561", // sent, consumed with separators
		"10,000", "10.2", // publish msg/s and MB/s (1024 B × 10,000/s)
		"500µs", "1.00ms", // p50 and max latency
		"1 KiB persistent", "confirm window 64", "xxxxx", "(durable), client lean\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "timed out") {
		t.Errorf("a drained run reports a timeout:\n%s", out)
	}
	// A result from before there was a choice of client names none.
	old := sampleResult()
	old.Client = ""
	b.Reset()
	if err := Write(&b, old, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "client") || !strings.Contains(b.String(), "(durable)\n") {
		t.Errorf("summary of a result without a client:\n%s", b.String())
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	var b bytes.Buffer
	in := sampleResult()
	if err := Write(&b, in, true); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sent", "lost", "duplicates", "publish", "latency", "confirm_latency", "elapsed_ns", "client"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	var out Result
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if raw["client"] != "lean" {
		t.Errorf(`JSON has "client": %v, want "lean"`, raw["client"])
	}
	if out.Sent != in.Sent || out.Latency != in.Latency || out.Publish != in.Publish || out.Config.Size != in.Config.Size || out.Client != in.Client {
		t.Fatalf("round trip changed the result: %+v", out)
	}
}

func TestUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 850: "850ns", 12_345: "12.3µs", 1_250_000: "1.25ms", 123_400_000: "123ms", 2_500_000_000: "2.50s",
	} {
		if got := fmtLatency(d); got != want {
			t.Errorf("fmtLatency(%d) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{100: "100 B", 1024: "1 KiB", 1536: "1.5 KiB", 1 << 20: "1 MiB"} {
		if got := fmtBytes(n); got != want {
			t.Errorf("fmtBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
