// Package tracing exports OpenTelemetry spans for what happens to
// messages — publish, deliver, ack, dead-letter — over OTLP/HTTP, when
// an endpoint is configured (--otlp-endpoint). Nothing is started
// without one: cmd/ferry builds a Tracer only then.
//
// The spans are fed from the broker's message event stream (a
// broker.Observer, the same stream message history reads), not from the
// front ends, so AMQP and SQS messages are traced alike. A message that
// carries W3C trace context (header traceparent, and tracestate; the SQS
// front end maps AWSTraceHeader and the traceparent attribute to it)
// gets spans that are children of that context, so a consumer's and a
// producer's spans join the broker's in one trace. A message without one
// gets a root publish span, and its deliver, ack and dead-letter spans
// are children of that publish span.
//
// Attributes follow OpenTelemetry's messaging semantic conventions:
// messaging.system "ferry", messaging.destination.name (the queue),
// messaging.operation.type (send, receive, settle), messaging.operation.
// name (publish, deliver, ack, dead-letter), messaging.message.id (the
// public id, else the engine id) and, where known,
// messaging.message.delivery_count; plus ferry.vhost,
// ferry.message.engine_id, ferry.consumer, ferry.connection and
// ferry.reason.
//
// # Memory
//
// Deliver and ack spans need the parent of the message's publish; the
// tracer keeps it per live message (vhost, queue, engine id) in a map
// bounded by Options.MaxMessages, oldest first out. A message past the
// bound, or published before the node started, gets root spans for its
// later events.
//
// # Locking
//
// Observe runs with a queue's lock held; it takes Tracer.mu and hands
// ended spans to the SDK's batch processor, which never blocks (a full
// queue drops spans, as the SDK does).
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ferrymq/ferry/internal/broker"
)

// DefaultMaxMessages bounds the live messages whose parent is kept.
const DefaultMaxMessages = 100_000

// Options configure New.
type Options struct {
	// Endpoint is the OTLP/HTTP endpoint: a base URL such as
	// http://localhost:4318 (spans go to its /v1/traces) or a URL with
	// the full path. Required.
	Endpoint string
	// ServiceName is the service.name resource attribute; "" is "ferry".
	ServiceName string
	// Version is the service.version resource attribute.
	Version string
	// MaxMessages bounds the live messages whose parent is kept; 0
	// means DefaultMaxMessages.
	MaxMessages int
	// BatchTimeout is how long spans may wait before they are sent; 0
	// is the SDK's default (5s).
	BatchTimeout time.Duration
	// Logger receives export errors; nil means slog.Default().
	Logger *slog.Logger
}

// Tracer is a broker.Observer that exports spans. Safe for concurrent
// use.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	max    int

	mu      sync.Mutex
	parents map[key]origin // guarded by mu; live messages' parents
	order   []key          // guarded by mu; insertion order of parents (may hold stale keys)
}

// origin is what later spans of a message need from its publish.
type origin struct {
	parent    trace.SpanContext
	messageID string
}

type key struct {
	vhost, queue string
	id           uint64
}

// TracesURL turns an --otlp-endpoint value into the URL spans are
// posted to: a base URL without a path gets /v1/traces, as
// OTEL_EXPORTER_OTLP_ENDPOINT does.
func TracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracing: invalid OTLP endpoint %q (want http://host:port)", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// New starts the exporter and the batch processor.
func New(o Options) (*Tracer, error) {
	target, err := TracesURL(o.Endpoint)
	if err != nil {
		return nil, err
	}
	if o.ServiceName == "" {
		o.ServiceName = "ferry"
	}
	if o.MaxMessages <= 0 {
		o.MaxMessages = DefaultMaxMessages
	}
	lg := o.Logger
	if lg == nil {
		lg = slog.Default()
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(target))
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", o.ServiceName), attribute.String("service.version", o.Version))
	var bopts []sdktrace.BatchSpanProcessorOption
	if o.BatchTimeout > 0 {
		bopts = append(bopts, sdktrace.WithBatchTimeout(o.BatchTimeout))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(exp, bopts...)),
	)
	lg = lg.With(slog.String("component", "tracing"))
	// The SDK reports failed exports through the process-wide handler;
	// one tracer runs per process, so it logs them with ours.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		lg.Warn("exporting spans failed", slog.String("url", target), slog.Any("err", err))
	}))
	lg.Info("exporting spans over OTLP/HTTP", slog.String("url", target))
	return &Tracer{tp: tp, tracer: tp.Tracer("github.com/ferrymq/ferry"), max: o.MaxMessages, parents: map[key]origin{}}, nil
}

// Shutdown sends what is queued and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error { return t.tp.Shutdown(ctx) }

// ForceFlush sends what is queued now (tests, shutdown).
func (t *Tracer) ForceFlush(ctx context.Context) error { return t.tp.ForceFlush(ctx) }

// Watch is broker.Observer's: every queue is traced.
func (t *Tracer) Watch(vhost, name string, history bool) bool { return true }

// The spans' operations: name and messaging.operation.type.
var operations = map[string][2]string{
	broker.EventPublished:    {"publish", "send"},
	broker.EventDelivered:    {"deliver", "receive"},
	broker.EventAcked:        {"ack", "settle"},
	broker.EventDeadLettered: {"dead-letter", "settle"},
}

// Observe is broker.Observer's.
func (t *Tracer) Observe(ev *broker.MessageEvent) {
	k := key{ev.VHost, ev.Queue, ev.ID}
	op, traced := operations[ev.Event]
	ends := ev.Event == broker.EventAcked || ev.Event == broker.EventDeadLettered || ev.Event == broker.EventPurged ||
		ev.Event == broker.EventDeleted || ev.Event == broker.EventRedriven
	if !traced && !ends {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ends && !traced {
		delete(t.parents, k)
		return
	}
	var parent trace.SpanContext
	msgID := ev.MessageID
	if ev.Event == broker.EventPublished {
		parent = traceContext(ev.TraceParent, ev.TraceState)
	} else if o, ok := t.parents[k]; ok {
		parent = o.parent
		if msgID == "" {
			msgID = o.messageID
		}
	}
	ctx := context.Background()
	if parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	kind := trace.SpanKindConsumer
	if ev.Event == broker.EventPublished {
		kind = trace.SpanKindProducer
	}
	if msgID == "" {
		msgID = strconv.FormatUint(ev.ID, 10)
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "ferry"),
		attribute.String("messaging.destination.name", ev.Queue),
		attribute.String("messaging.operation.type", op[1]),
		attribute.String("messaging.operation.name", op[0]),
		attribute.String("messaging.message.id", msgID),
		attribute.String("ferry.vhost", ev.VHost),
		attribute.Int64("ferry.message.engine_id", int64(ev.ID)),
	}
	if ev.Deliveries > 0 {
		attrs = append(attrs, attribute.Int64("messaging.message.delivery_count", int64(ev.Deliveries)))
	}
	if ev.Consumer != "" {
		attrs = append(attrs, attribute.String("ferry.consumer", ev.Consumer))
	}
	if ev.Connection != "" {
		attrs = append(attrs, attribute.String("ferry.connection", ev.Connection))
	}
	if ev.Reason != "" {
		attrs = append(attrs, attribute.String("ferry.reason", ev.Reason))
	}
	_, span := t.tracer.Start(ctx, op[0]+" "+ev.Queue, trace.WithSpanKind(kind), trace.WithTimestamp(ev.At),
		trace.WithAttributes(attrs...))
	span.End(trace.WithTimestamp(ev.At))
	switch {
	case ev.Event == broker.EventPublished:
		p := parent
		if !p.IsValid() {
			p = span.SpanContext() // no context of its own: its publish is the root
		}
		t.rememberLocked(k, origin{p, ev.MessageID})
	case ends:
		delete(t.parents, k)
	}
}

// rememberLocked keeps k's parent, within the bound.
func (t *Tracer) rememberLocked(k key, p origin) {
	if _, ok := t.parents[k]; !ok {
		t.order = append(t.order, k)
	}
	t.parents[k] = p
	for len(t.parents) > t.max && len(t.order) > 0 {
		delete(t.parents, t.order[0])
		t.order = t.order[1:]
	}
	if len(t.order) > 2*t.max+1024 {
		// Compact: drop keys whose messages already ended.
		live := t.order[:0:0]
		for _, o := range t.order {
			if _, ok := t.parents[o]; ok {
				live = append(live, o)
			}
		}
		t.order = live
	}
}

// traceContext reads W3C trace context headers; an invalid traceparent
// gives the zero SpanContext.
func traceContext(traceparent, tracestate string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	carrier := propagation.MapCarrier{"traceparent": traceparent}
	if tracestate != "" {
		carrier["tracestate"] = tracestate
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), carrier)
	return trace.SpanContextFromContext(ctx)
}
