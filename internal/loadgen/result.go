package loadgen

import (
	"time"
)

// Result is what one run measured. Durations appear in JSON as
// nanoseconds (the field names say so).
type Result struct {
	Scenario string `json:"scenario,omitempty"`
	Broker   string `json:"broker,omitempty"`
	Queue    string `json:"queue"`
	RunID    string `json:"run_id"`
	// Client is the AMQP client that ran (ClientLean, ClientAMQP091);
	// empty over SQS, and in results written before there was a choice.
	Client string `json:"client,omitempty"`
	// Config is the run's configuration, with the URL's password hidden.
	Config Config `json:"config"`

	Sent        uint64 `json:"sent"`        // publishes that went out
	Confirmed   uint64 `json:"confirmed"`   // acked by the broker
	Nacked      uint64 `json:"nacked"`      // refused by the broker
	Returned    uint64 `json:"returned"`    // confirmed but unroutable
	Unconfirmed uint64 `json:"unconfirmed"` // no confirm before the drain timeout
	Consumed    uint64 `json:"consumed"`    // deliveries of this run's messages, duplicates included
	Lost        uint64 `json:"lost"`        // accepted by the broker, never consumed
	Duplicates  uint64 `json:"duplicates"`  // deliveries of a message already consumed
	Foreign     uint64 `json:"foreign"`     // deliveries of other runs' messages (acked, ignored)
	// LossChecked is false when the run had no producers or no consumers:
	// then Lost says nothing.
	LossChecked bool `json:"loss_checked"`
	// Drained is true when the consumers got every accepted message before
	// the drain timed out.
	Drained bool `json:"drained"`

	Publish Throughput `json:"publish"`
	Consume Throughput `json:"consume"`
	// Latency is end to end: consumer receive time minus producer send time.
	Latency Latency `json:"latency"`
	// ConfirmLatency is from publish to the broker's confirm.
	ConfirmLatency Latency `json:"confirm_latency"`

	Elapsed time.Duration `json:"elapsed_ns"` // the whole run, connecting included
	Drain   time.Duration `json:"drain_ns"`   // waiting for consumers after publishing
}

// Throughput is a message rate over the measured window: for publishing,
// from the end of the warm-up to the last publish; for consuming, from the
// end of the warm-up to the last delivery (drain included).
type Throughput struct {
	Messages   uint64        `json:"messages"`
	Window     time.Duration `json:"window_ns"`
	MsgsPerSec float64       `json:"msgs_per_sec"`
	MBPerSec   float64       `json:"mb_per_sec"` // 10^6 bytes of body a second
}

func throughputOf(msgs uint64, window time.Duration, size int) Throughput {
	t := Throughput{Messages: msgs, Window: max(window, 0)}
	if t.Window > 0 {
		t.MsgsPerSec = float64(msgs) / t.Window.Seconds()
		t.MBPerSec = t.MsgsPerSec * float64(size) / 1e6
	}
	return t
}

// Latency summarises a histogram. Percentiles are within 0.8% of the
// exact values; Min and Max are exact.
type Latency struct {
	Count uint64        `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P75   time.Duration `json:"p75_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

func latencyOf(h *Histogram) Latency {
	p := func(q float64) time.Duration { return time.Duration(h.Percentile(q)) }
	return Latency{
		Count: h.Count(),
		Min:   time.Duration(h.Min()),
		Mean:  time.Duration(h.Mean()),
		P50:   p(50), P75: p(75), P95: p(95), P99: p(99), P999: p(99.9),
		Max: time.Duration(h.Max()),
	}
}
