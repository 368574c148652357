package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	e := start(t, Config{})
	r := e.doAs("", "", "GET", "/api/overview", nil)
	if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Ferry Management"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	r.wantError(t, http.StatusUnauthorized, "not_authorised", "Not_Authorized")
	e.doAs("guest", "wrong", "GET", "/api/overview", nil).wantError(t, http.StatusUnauthorized, "not_authorised", "Login failed")
	e.doAs("nobody", "x", "GET", "/api/queues", nil).wantError(t, http.StatusUnauthorized, "not_authorised", "Login failed")

	// ops has no access to vhost v2.
	e.do("PUT", "/api/vhosts/v2", nil).want(t, http.StatusCreated, nil)
	e.doAs("ops", "secret", "GET", "/api/queues/v2", nil).wantError(t, http.StatusUnauthorized, "not_authorised", "access to vhost 'v2' refused")
	e.doAs("ops", "secret", "GET", "/api/queues/%2F", nil).want(t, http.StatusOK, nil)

	var who map[string]any
	e.doAs("ops", "secret", "GET", "/api/whoami", nil).want(t, http.StatusOK, &who)
	if who["name"] != "ops" || len(who["tags"].([]any)) != 1 || who["tags"].([]any)[0] != "monitoring" {
		t.Errorf("whoami = %v", who)
	}

	// /metrics and the OpenAPI document need no credentials.
	e.doAs("", "", "GET", "/metrics", nil).want(t, http.StatusOK, nil)
	e.doAs("", "", "GET", "/api/openapi.json", nil).want(t, http.StatusOK, nil)

	// Unknown paths and methods.
	e.do("GET", "/api/nope", nil).wantError(t, http.StatusNotFound, "Object Not Found", "Not Found")
	e.do("PATCH", "/api/overview", nil).wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "PATCH")
}

// TestGuestOnlyFromLoopback: guest is refused from another address, as
// over AMQP. (A loopback listener cannot be reached from elsewhere, so
// this one request goes to the handler directly.)
func TestGuestOnlyFromLoopback(t *testing.T) {
	e := start(t, Config{})
	for _, tc := range []struct {
		remote string
		want   int
	}{{"10.1.2.3:4000", http.StatusUnauthorized}, {"127.0.0.1:4000", http.StatusOK}, {"[::1]:4000", http.StatusOK}} {
		req := httptest.NewRequest("GET", "/api/whoami", nil)
		req.RemoteAddr = tc.remote
		req.SetBasicAuth("guest", "guest")
		rec := httptest.NewRecorder()
		e.admin.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("guest from %s: %d, want %d (%s)", tc.remote, rec.Code, tc.want, rec.Body)
		}
	}
}

// TestCrossOriginWritesRefused: a request that changes something and
// names another origin (what a browser sends for a hostile page's form
// post) is refused before it runs; the same request from this server's
// own pages, or from a tool that names no origin, goes through.
func TestCrossOriginWritesRefused(t *testing.T) {
	e := start(t, Config{})
	send := func(method, path, origin, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:4000"
		req.Host = "127.0.0.1:15672"
		req.SetBasicAuth("guest", "guest")
		req.Header.Set("Content-Type", "text/plain")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		e.admin.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := send("PUT", "/api/queues/%2F/victim", "http://evil.example", `{"durable":true}`); rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Body.String(), `cross-origin PUT refused`) {
		t.Fatalf("cross-origin PUT: %d %s", rec.Code, rec.Body)
	}
	if rec := send("GET", "/api/queues/%2F/victim", "", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("the refused PUT declared the queue: GET answers %d %s", rec.Code, rec.Body)
	}
	if rec := send("PUT", "/api/queues/%2F/mine", "http://127.0.0.1:15672", `{"durable":true}`); rec.Code != http.StatusCreated {
		t.Fatalf("same-origin PUT: %d %s", rec.Code, rec.Body)
	}
	if rec := send("PUT", "/api/queues/%2F/tool", "", `{"durable":true}`); rec.Code != http.StatusCreated {
		t.Fatalf("PUT without Origin: %d %s", rec.Code, rec.Body)
	}
	if rec := send("GET", "/api/queues/%2F/mine", "http://evil.example", ""); rec.Code != http.StatusOK {
		t.Fatalf("a cross-origin GET is a read (the browser keeps its answer from the page): %d %s", rec.Code, rec.Body)
	}
}
