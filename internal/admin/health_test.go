package admin

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store/diskstore"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

func TestHealthz(t *testing.T) {
	e := start(t, Config{})
	r := e.doAs("", "", "GET", "/healthz", nil)
	if r.status != http.StatusOK || string(r.body) != "ok\n" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("/healthz: %d %q (%s)", r.status, r.body, r.header.Get("Content-Type"))
	}
	e.doAs("", "", "POST", "/healthz", nil).wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "POST")
	e.doAs("", "", "POST", "/readyz", nil).wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "POST")
}

// ready reads /readyz without credentials.
func (e *env) ready(t *testing.T, status int) readyJSON {
	t.Helper()
	var out readyJSON
	e.doAs("", "", "GET", "/readyz", nil).want(t, status, &out)
	return out
}

func TestReadyzReady(t *testing.T) {
	asked := 0
	e := start(t, Config{DataDir: t.TempDir(), DiskFreeLimit: 1, Ready: func() error { asked++; return nil }})
	out := e.ready(t, http.StatusOK)
	if out.Status != "ready" || out.Reason != "" || len(out.Checks) != 4 || asked != 1 {
		t.Errorf("ready answer %+v (Ready asked %d times), want ready with 4 checks ok", out, asked)
	}
	for name, v := range out.Checks {
		if v != "ok" {
			t.Errorf("check %s = %q", name, v)
		}
	}
}

func TestReadyzListenerDown(t *testing.T) {
	e := start(t, Config{Ready: func() error { return errors.New("amqp is not accepting yet") }})
	out := e.ready(t, http.StatusServiceUnavailable)
	if out.Status != "not_ready" || out.Reason != "listeners: amqp is not accepting yet" || out.Checks["store"] != "ok" {
		t.Errorf("answer %+v", out)
	}
}

func TestReadyzDiskWatermark(t *testing.T) {
	e := start(t, Config{DataDir: t.TempDir(), DiskFreeLimit: 1 << 62})
	out := e.ready(t, http.StatusServiceUnavailable)
	if !strings.Contains(out.Reason, "disk: ") || !strings.Contains(out.Checks["disk"], "below the disk-free-limit") {
		t.Errorf("answer %+v, want the disk watermark named", out)
	}
	e2 := start(t, Config{DataDir: "/no/such/ferry/dir", DiskFreeLimit: 1})
	if out := e2.ready(t, http.StatusServiceUnavailable); !strings.Contains(out.Checks["disk"], "cannot read the free space") {
		t.Errorf("missing data dir: %+v", out)
	}
}

func TestReadyzBrokerClosed(t *testing.T) {
	e := start(t, Config{})
	must(t, e.broker.Close())
	out := e.ready(t, http.StatusServiceUnavailable)
	if out.Checks["broker"] != "the broker is closed" {
		t.Errorf("answer %+v", out)
	}
	// Liveness does not follow readiness.
	if r := e.doAs("", "", "GET", "/healthz", nil); r.status != http.StatusOK {
		t.Errorf("/healthz with the broker closed: %d", r.status)
	}
}

// TestReadyzStoreFailed fails an fsync of a disk store: the log's error
// is sticky, so the node stays unready (until a restart).
func TestReadyzStoreFailed(t *testing.T) {
	cfs := segment.NewCrashFS()
	ds, err := diskstore.Open("/data", diskstore.Options{FS: cfs, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	storeStats := func() StoreStats { st := ds.Stats(); return StoreStats{Err: st.Err} }
	e := startWith(t, broker.Config{Durable: ds, Transient: memstore.New()}, Config{Store: storeStats})
	t.Cleanup(func() { ds.Close() })
	e.do("PUT", "/api/queues/%2F/d1", map[string]any{"durable": true}).want(t, http.StatusCreated, nil)
	pub := func() error {
		done := make(chan error, 1)
		if err := e.broker.Publish("/", "d1", &message.Message{RoutingKey: "d1", Body: []byte("x")}, func(err error) { done <- err }); err != nil {
			return err
		}
		return <-done
	}
	must(t, pub())
	e.ready(t, http.StatusOK)
	cfs.FailAfter(segment.OpSync, 1)
	if err := pub(); !errors.Is(err, segment.ErrInjected) {
		t.Fatalf("publish on a failing disk: %v", err)
	}
	out := e.ready(t, http.StatusServiceUnavailable)
	if !strings.Contains(out.Checks["store"], "the store refuses writes") || !strings.Contains(out.Reason, "store: ") {
		t.Errorf("answer %+v, want the store named", out)
	}
}
