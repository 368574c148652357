package e2e

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestSpansExportedOverOTLP runs the binary with --otlp-endpoint pointed
// at a collector of our own; a publish (with a traceparent), a delivery
// and an ack give spans in the publisher's trace, sent at the latest when
// the node shuts down.
func TestSpansExportedOverOTLP(t *testing.T) {
	var mu sync.Mutex
	spans := map[string]string{} // name → trace id
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans[s.Name] = hex.EncodeToString(s.TraceId)
				}
			}
		}
		mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	defer col.Close()

	n := startNode(t, t.TempDir(), "--otlp-endpoint", col.URL)
	ch, err := n.dial(t).Channel()
	must(t, err)
	_, err = ch.QueueDeclare("spans", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", "spans", false, false, amqp.Publishing{
		MessageId: "s-1", Body: []byte("x"), Headers: amqp.Table{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}})
	must(t, err)
	if !dc.Wait() {
		t.Fatal("nacked")
	}
	d, ok, err := ch.Get("spans", false)
	must(t, err)
	if !ok {
		t.Fatal("nothing to get")
	}
	must(t, d.Ack(false))
	_, _, err = ch.Get("spans", false) // a round trip: the ack is in
	must(t, err)
	n.stop(t) // shutdown sends what is queued

	mu.Lock()
	defer mu.Unlock()
	var names []string
	for name := range spans {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, want := range []string{"ack spans", "deliver spans", "publish spans"} {
		if spans[want] != traceID {
			t.Errorf("span %q in trace %q, want %s (got spans %v)", want, spans[want], traceID, names)
		}
	}
}
