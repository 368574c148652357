package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// httpDo sends method url with a JSON body as guest and returns the
// status and body.
func httpDo(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.SetBasicAuth("guest", "guest")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPoliciesFromAPISurviveRestart: a policy PUT through the admin API
// is back after the node restarts on the same data folder, next to the
// policies file's, which the API may not change; the change is logged
// with who made it.
func TestPoliciesFromAPISurviveRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	file := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(file, []byte(`[{"name":"from-file","pattern":"^f","definition":{"max-length":5}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() (*ferrytest.Proc, string) {
		p := startServe(t, dataDir, ferrytest.Env(), "--policies-file="+file)
		base := "http://" + adminAddr(t, p)
		waitReady(t, p)
		return p, base
	}
	stop := func(p *ferrytest.Proc) {
		p.Signal(syscall.SIGTERM)
		if code := p.Wait(); code != exitOK {
			t.Fatalf("ferry exited %d; output:\n%s", code, p.Output())
		}
	}

	p, base := run()
	if code, body := httpDo(t, "PUT", base+"/api/queues/%2F/orders", `{"durable":true}`); code != 201 {
		t.Fatalf("PUT queue: %d %s", code, body)
	}
	if code, body := httpDo(t, "PUT", base+"/api/policies/%2F/ttl", `{"pattern":"^orders$","definition":{"message-ttl":60000},"priority":3}`); code != 201 {
		t.Fatalf("PUT policy: %d %s", code, body)
	}
	if code, body := httpDo(t, "PUT", base+"/api/policies/%2F/from-file", `{"pattern":".","definition":{"max-length":1}}`); code != 400 || !strings.Contains(string(body), "comes from the policies file") {
		t.Errorf("PUT over the file's policy: %d %s", code, body)
	}
	p.WaitFor("policy change logged", func(line string) bool {
		m := logLine(line)
		return m != nil && m["msg"] == "policy set" && m["user"] == "guest" && m["policy"] == "ttl" && m["pattern"] == "^orders$"
	})
	stop(p)

	p, base = run()
	code, body := httpDo(t, "GET", base+"/api/policies/%2F/ttl", "")
	var pol struct {
		Pattern    string         `json:"pattern"`
		Priority   int            `json:"priority"`
		Definition map[string]any `json:"definition"`
	}
	if err := json.Unmarshal(body, &pol); err != nil || code != 200 || pol.Pattern != "^orders$" || pol.Priority != 3 || pol.Definition["message-ttl"] != 60000.0 {
		t.Fatalf("policy after restart: %d %s (%v)", code, body, err)
	}
	if code, body := httpDo(t, "GET", base+"/api/policies", ""); code != 200 || !strings.Contains(string(body), `"name":"from-file"`) {
		t.Errorf("policies after restart: %d %s", code, body)
	}
	// And it applies: the queue shows it in force.
	code, body = httpDo(t, "GET", base+"/api/queues/%2F/orders", "")
	var q struct {
		Policy    *string        `json:"policy"`
		Effective map[string]any `json:"effective_policy_definition"`
	}
	if err := json.Unmarshal(body, &q); err != nil || code != 200 || q.Policy == nil || *q.Policy != "ttl" || q.Effective["message-ttl"] != 60000.0 {
		t.Errorf("queue after restart: %d %s (%v), want policy ttl in force", code, body, err)
	}
	if code, _ := httpDo(t, "DELETE", base+"/api/policies/%2F/ttl", ""); code != 204 {
		t.Errorf("DELETE: %d", code)
	}
	stop(p)
	p, base = run()
	if code, _ := httpDo(t, "GET", base+"/api/policies/%2F/ttl", ""); code != 404 {
		t.Errorf("deleted policy after restart: %d, want 404", code)
	}
	stop(p)
}
