package tracing

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

var quiet = slog.New(slog.DiscardHandler)

// collector is an OTLP/HTTP endpoint that keeps the spans it is sent.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	paths []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Write(out)
}

func attr(s *tracepb.Span, k string) any {
	for _, a := range s.Attributes {
		if a.Key == k {
			switch v := a.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				return v.StringValue
			case *commonpb.AnyValue_IntValue:
				return v.IntValue
			}
		}
	}
	return nil
}

// TestSpansFollowTheMessage publishes a message with a traceparent over
// AMQP, consumes and acks it, and rejects a second one into a
// dead-letter queue; the collector must get publish, deliver, ack and
// dead-letter spans in the publisher's trace, children of its span.
func TestSpansFollowTheMessage(t *testing.T) {
	col := &collector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	tr, err := New(Options{Endpoint: hs.URL, Logger: quiet, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{Durable: memstore.New(), Logger: quiet, Observers: []broker.Observer{tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	as := amqp.NewServer(amqp.Config{Broker: b, Logger: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go as.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		as.Shutdown(ctx)
	}()
	conn, err := amqp091.Dial("amqp://guest:guest@" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("orders.dlq", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("orders", false, false, false, false, amqp091.Table{
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq"}); err != nil {
		t.Fatal(err)
	}
	const (
		traceID  = "5759e988bd862e3fe1be46a994272793"
		parentID = "53995c3f42cd8ad8"
	)
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"m-1", "m-2"} {
		dc, err := ch.PublishWithDeferredConfirm("", "orders", false, false, amqp091.Publishing{
			MessageId: id, Body: []byte(id), Headers: amqp091.Table{"traceparent": "00-" + traceID + "-" + parentID + "-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if !dc.Wait() {
			t.Fatal("nacked")
		}
	}
	d1, ok, err := ch.Get("orders", false)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	d2, ok, err := ch.Get("orders", false)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	if got := d1.Headers["traceparent"]; got != "00-"+traceID+"-"+parentID+"-01" {
		t.Errorf("traceparent delivered as %v: not passed through unchanged", got)
	}
	if err := d1.Ack(false); err != nil {
		t.Fatal(err)
	}
	if err := d2.Reject(false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ch.Get("orders", false); err != nil { // a round trip: the ack and the reject are in
		t.Fatal(err)
	}
	if err := b.Flush("/", "orders"); err != nil { // moves the dead letter
		t.Fatal(err)
	}
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	for _, p := range col.paths {
		if p != "/v1/traces" {
			t.Errorf("spans posted to %s, want /v1/traces", p)
		}
	}
	byName := map[string][]*tracepb.Span{}
	for _, s := range col.spans {
		byName[s.Name] = append(byName[s.Name], s)
		if got := hex.EncodeToString(s.TraceId); got != traceID {
			t.Errorf("span %s in trace %s, want the publisher's %s", s.Name, got, traceID)
		}
		if got := hex.EncodeToString(s.ParentSpanId); got != parentID {
			t.Errorf("span %s has parent %s, want the publisher's span %s", s.Name, got, parentID)
		}
		if attr(s, "messaging.system") != "ferry" {
			t.Errorf("span %s: messaging.system = %v", s.Name, attr(s, "messaging.system"))
		}
	}
	for name, want := range map[string]struct {
		n            int
		op, id, dest string
		kind         tracepb.Span_SpanKind
	}{
		"publish orders":     {2, "send", "", "orders", tracepb.Span_SPAN_KIND_PRODUCER},
		"deliver orders":     {2, "receive", "", "orders", tracepb.Span_SPAN_KIND_CONSUMER},
		"ack orders":         {1, "settle", "m-1", "orders", tracepb.Span_SPAN_KIND_CONSUMER},
		"dead-letter orders": {1, "settle", "m-2", "orders", tracepb.Span_SPAN_KIND_CONSUMER},
		"publish orders.dlq": {1, "send", "m-2", "orders.dlq", tracepb.Span_SPAN_KIND_PRODUCER},
	} {
		ss := byName[name]
		if len(ss) != want.n {
			t.Errorf("%d %q spans, want %d (all: %v)", len(ss), name, want.n, names(col.spans))
			continue
		}
		s := ss[0]
		if attr(s, "messaging.operation.type") != want.op || s.Kind != want.kind {
			t.Errorf("%s: operation %v kind %v, want %s %v", name, attr(s, "messaging.operation.type"), s.Kind, want.op, want.kind)
		}
		if dest := attr(s, "messaging.destination.name"); dest != want.dest {
			t.Errorf("%s: destination %v", name, dest)
		}
		if want.id != "" && attr(s, "messaging.message.id") != want.id {
			t.Errorf("%s: message id %v, want %s", name, attr(s, "messaging.message.id"), want.id)
		}
	}
}

func names(ss []*tracepb.Span) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// TestMessageWithoutTraceContext: its publish span is a root, and its
// later spans are that span's children.
func TestMessageWithoutTraceContext(t *testing.T) {
	col := &collector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	tr, err := New(Options{Endpoint: hs.URL + "/custom/path", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	tr.Observe(&broker.MessageEvent{VHost: "/", Queue: "q", ID: 1, Event: broker.EventPublished, At: now})
	tr.Observe(&broker.MessageEvent{VHost: "/", Queue: "q", ID: 1, Event: broker.EventDelivered, At: now, Deliveries: 1, Consumer: "c"})
	tr.Observe(&broker.MessageEvent{VHost: "/", Queue: "q", ID: 1, Event: broker.EventAcked, At: now})
	tr.Observe(&broker.MessageEvent{VHost: "/", Queue: "q", ID: 1, Event: broker.EventDelivered, At: now}) // after the end: a root
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.spans) != 4 || col.paths[0] != "/custom/path" {
		t.Fatalf("spans %v at %v", names(col.spans), col.paths)
	}
	pub := col.spans[0]
	if len(pub.ParentSpanId) != 0 || pub.Name != "publish q" {
		t.Errorf("publish span %s has parent %x", pub.Name, pub.ParentSpanId)
	}
	for _, s := range col.spans[1:3] {
		if string(s.TraceId) != string(pub.TraceId) || string(s.ParentSpanId) != string(pub.SpanId) {
			t.Errorf("%s is not a child of the publish span", s.Name)
		}
	}
	if attr(col.spans[1], "ferry.consumer") != "c" || attr(col.spans[1], "messaging.message.delivery_count") != int64(1) ||
		attr(col.spans[1], "messaging.message.id") != "1" {
		t.Errorf("deliver attributes = %v", col.spans[1].Attributes)
	}
	if late := col.spans[3]; len(late.ParentSpanId) != 0 {
		t.Errorf("a delivery after the ack found a parent: %x", late.ParentSpanId)
	}
	if len(tr.parents) != 0 {
		t.Errorf("%d parents kept after the message ended", len(tr.parents))
	}
}

func TestParentsAreBounded(t *testing.T) {
	col := &collector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	tr, err := New(Options{Endpoint: hs.URL, Logger: quiet, MaxMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	for id := uint64(1); id <= 100; id++ {
		tr.Observe(&broker.MessageEvent{VHost: "/", Queue: "q", ID: id, Event: broker.EventPublished, At: time.Unix(0, 0)})
	}
	if n := len(tr.parents); n != 10 {
		t.Errorf("%d parents kept, want 10", n)
	}
	if _, ok := tr.parents[key{"/", "q", 100}]; !ok {
		t.Error("the newest message's parent was dropped")
	}
}

func TestBadEndpoint(t *testing.T) {
	for _, e := range []string{"", "localhost:4318", "ftp://x", "http://"} {
		if _, err := New(Options{Endpoint: e}); err == nil {
			t.Errorf("New(%q) accepted it", e)
		}
	}
}
