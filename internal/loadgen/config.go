package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Config is one load run. The zero value is not useful: start from
// Defaults (or RegisterFlags, which does) and change what you need.
// Durations appear in JSON as nanoseconds.
type Config struct {
	// Protocol is how the run speaks to the broker: ProtocolAMQP (the
	// default when empty), ProtocolSQSJSON or ProtocolSQSQuery.
	Protocol string `json:"protocol,omitempty"`
	// Client is the AMQP client: ClientLean (the default when empty) or
	// ClientAMQP091. Ignored over SQS.
	Client string `json:"client,omitempty"`
	// URL is the broker's AMQP URI, credentials included; for the SQS
	// protocols, the endpoint http://host:port, with an optional
	// ACCESS_KEY:SECRET@ to sign with.
	URL string `json:"url"`
	// Queue is the queue to publish to (on the default exchange) and to
	// consume from. Empty means a server-named queue, deleted afterwards.
	Queue string `json:"queue"`
	// FreshQueue uses a new queue "<Queue>-<run id>" and deletes it
	// afterwards, so that no earlier backlog skews a run.
	FreshQueue bool `json:"fresh_queue"`
	// Durable declares the queue durable.
	Durable bool `json:"durable"`
	// QueueType, if set, is passed as x-queue-type (classic, quorum).
	QueueType string `json:"queue_type,omitempty"`

	Producers int `json:"producers"`
	Consumers int `json:"consumers"`
	// Size is the body size in bytes, HeaderSize at least.
	Size int `json:"size"`
	// Persistent publishes with delivery mode 2.
	Persistent bool `json:"persistent"`
	// ConfirmWindow is how many publishes each producer may have
	// unconfirmed (PerfTest's -c); 0 turns publisher confirms off.
	ConfirmWindow int `json:"confirm_window"`
	// Batch is, for SQS, the number of entries per SendMessageBatch and
	// the MaxNumberOfMessages of each ReceiveMessage (1 to 10). Fewer go
	// in a batch when Batch bodies would pass SQS's 256 KiB request limit.
	Batch int `json:"batch,omitempty"`
	// WaitSeconds is, for SQS, each ReceiveMessage's WaitTimeSeconds (long
	// polling, 1 to 20).
	WaitSeconds int `json:"wait_seconds,omitempty"`
	// Prefetch is each consumer's basic.qos prefetch count; 0 is unlimited.
	Prefetch int `json:"prefetch"`
	// AutoAck consumes with no-ack (at-most-once).
	AutoAck bool `json:"auto_ack"`
	// AckEvery acknowledges every Nth delivery with multiple=true (1: each
	// one on its own). Ignored with AutoAck.
	AckEvery int `json:"ack_every"`
	// Rate is the total publish rate in messages per second, shared evenly
	// by the producers; 0 publishes as fast as confirms allow.
	Rate float64 `json:"rate"`

	// Duration is how long to publish after the warm-up; 0 means until
	// Count messages are out. At least one of the two must bound the run.
	Duration time.Duration `json:"duration_ns"`
	// Count is the total number of messages to publish (warm-up included),
	// shared by the producers; 0 means no limit.
	Count uint64 `json:"count"`
	// Warmup is run before measuring: its messages are checked for loss
	// but left out of rates and latencies.
	Warmup time.Duration `json:"warmup_ns"`
	// DrainTimeout bounds both the wait for outstanding confirms and the
	// wait for consumers to catch up after publishing stops.
	DrainTimeout time.Duration `json:"drain_timeout_ns"`
	// Interval is how often to log progress; 0 turns it off.
	Interval time.Duration `json:"interval_ns"`

	// JSON makes Run write the Result as JSON instead of a summary.
	JSON bool `json:"-"`
	// Scenario and Broker are labels copied into the Result, for tables
	// such as the one bench/compare.sh prints.
	Scenario string `json:"scenario,omitempty"`
	Broker   string `json:"broker,omitempty"`

	// Logger receives progress and warnings; nil means slog.Default().
	Logger *slog.Logger `json:"-"`
}

// DefaultURL is RabbitMQ's (and Ferry's) guest login on loopback.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// DefaultSQSURL is Ferry's SQS endpoint on loopback. A run in an SQS
// protocol whose URL is still DefaultURL uses it instead.
const DefaultSQSURL = "http://127.0.0.1:9324"

// The protocols a run can speak.
const (
	// ProtocolAMQP is AMQP 0-9-1, through the Client chosen: publish
	// with confirms, consume with a prefetch and acks.
	ProtocolAMQP = "amqp"
	// ProtocolSQSJSON is SQS's JSON protocol, through the AWS SDK for Go
	// v2: SendMessageBatch, ReceiveMessage, DeleteMessageBatch.
	ProtocolSQSJSON = "sqs-json"
	// ProtocolSQSQuery is SQS's query protocol (form POSTs, XML answers),
	// through this package's own small client: the same three actions.
	ProtocolSQSQuery = "sqs-query"
)

// The AMQP clients a run can use.
const (
	// ClientLean is the load tool's own AMQP 0-9-1 client (lean_*.go):
	// only what a run needs, batching writes, a few µs of CPU a message.
	ClientLean = "lean"
	// ClientAMQP091 is github.com/rabbitmq/amqp091-go, the client most Go
	// programs use, kept to compare with and for amqps://.
	ClientAMQP091 = "amqp091"
)

// leanClient reports whether an AMQP run uses the lean client.
func (c *Config) leanClient() bool { return c.Client == "" || c.Client == ClientLean }

// client names the run's AMQP client, for the result; "" over SQS, whose
// protocol says which client ran.
func (c *Config) client() string {
	switch {
	case c.IsSQS():
		return ""
	case c.leanClient():
		return ClientLean
	}
	return c.Client
}

// IsSQS reports whether the run speaks one of the SQS protocols.
func (c *Config) IsSQS() bool {
	return c.Protocol == ProtocolSQSJSON || c.Protocol == ProtocolSQSQuery
}

// Defaults returns a durable, confirmed, acknowledged 1+1 run of 10 s with
// 1 KiB persistent messages: the case Ferry is built for.
func Defaults() Config {
	return Config{
		Protocol:      ProtocolAMQP,
		Client:        ClientLean,
		URL:           DefaultURL,
		Queue:         "ferry-bench",
		Durable:       true,
		Producers:     1,
		Consumers:     1,
		Size:          1024,
		Persistent:    true,
		ConfirmWindow: 64,
		Batch:         10,
		WaitSeconds:   1,
		Prefetch:      100,
		AckEvery:      1,
		Duration:      10 * time.Second,
		DrainTimeout:  10 * time.Second,
		Interval:      time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Protocol {
	case "", ProtocolAMQP:
		switch c.Client {
		case "", ClientLean:
			if c.URL == "" {
				bad("url %q: not an AMQP URI", c.URL)
			} else if _, err := parseAMQPURL(c.URL); err != nil {
				bad("url %q: %v", c.RedactedURL(), err)
			}
		case ClientAMQP091:
			if _, err := url.Parse(c.URL); err != nil || c.URL == "" {
				bad("url %q: not an AMQP URI", c.URL)
			}
		default:
			bad("client %q: want %s or %s", c.Client, ClientLean, ClientAMQP091)
		}
	case ProtocolSQSJSON, ProtocolSQSQuery:
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url %q: an SQS endpoint is http://host:port", c.RedactedURL())
		}
		if c.Size < sqsHeaderLen || c.Size > sqsMaxRequest {
			bad("size %d: SQS bodies must be %d to %d bytes", c.Size, sqsHeaderLen, sqsMaxRequest)
		}
		if c.Batch < 1 || c.Batch > 10 {
			bad("batch %d: SQS batches hold 1 to 10 entries", c.Batch)
		}
		if c.WaitSeconds < 1 || c.WaitSeconds > 20 {
			bad("wait %d s: SQS long polling waits 1 to 20 seconds", c.WaitSeconds)
		}
	default:
		bad("protocol %q: want %s, %s or %s", c.Protocol, ProtocolAMQP, ProtocolSQSJSON, ProtocolSQSQuery)
	}
	if c.Producers < 0 || c.Consumers < 0 || c.Producers+c.Consumers == 0 {
		bad("producers %d, consumers %d: need at least one of either, none negative", c.Producers, c.Consumers)
	}
	if c.Size < HeaderSize {
		bad("size %d: must be at least %d bytes, the header's size", c.Size, HeaderSize)
	}
	if !c.IsSQS() { // confirms, prefetch and acks are AMQP's; SQS has its own
		if c.ConfirmWindow < 0 {
			bad("confirm window %d: must be 0 (off) or more", c.ConfirmWindow)
		}
		if c.Prefetch < 0 || c.Prefetch > 65535 {
			bad("prefetch %d: must be 0 (unlimited) to 65535", c.Prefetch)
		}
		if c.AckEvery < 1 {
			bad("ack every %d: must be 1 or more", c.AckEvery)
		} else if !c.AutoAck && c.Prefetch > 0 && c.AckEvery > c.Prefetch {
			// The consumer would wait for deliveries the broker holds back
			// until it acks: a deadlock.
			bad("ack every %d with prefetch %d: acking less often than the prefetch allows would stall", c.AckEvery, c.Prefetch)
		}
	}
	if c.Rate < 0 {
		bad("rate %v: must be 0 (unlimited) or more", c.Rate)
	}
	if c.Duration < 0 || c.Warmup < 0 || c.DrainTimeout < 0 || c.Interval < 0 {
		bad("durations must not be negative")
	}
	if c.Duration == 0 && (c.Count == 0 || c.Producers == 0) {
		bad("no bound: give a duration, or a count of messages to publish")
	}
	return errors.Join(errs...)
}

// RedactedURL returns URL with any password replaced, for printing.
func (c *Config) RedactedURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
