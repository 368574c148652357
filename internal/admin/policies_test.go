package admin

import (
	"net/http"
	"testing"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// TestPoliciesAPIAndFile: the API sets and deletes its own policies,
// shows the one in force on each queue, and leaves the policies file's
// alone, also on a definitions import.
func TestPoliciesAPIAndFile(t *testing.T) {
	file := []broker.Policy{{Name: "from-file", Pattern: "^f", Definition: map[string]any{"max-length": 5}}}
	e := startWith(t, broker.Config{Durable: memstore.New(), Transient: memstore.New(), Policies: file}, Config{})
	e.do("PUT", "/api/queues/%2F/orders", nil).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/fq", nil).want(t, http.StatusCreated, nil)

	q := e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK)
	if q["policy"] != nil || len(q["effective_policy_definition"].(map[string]any)) != 0 {
		t.Errorf("no policy yet: policy %v, definition %v", q["policy"], q["effective_policy_definition"])
	}
	e.do("PUT", "/api/policies/%2F/ml", map[string]any{"pattern": "^orders$", "definition": map[string]any{"max-length": 3}}).want(t, http.StatusCreated, nil)
	q = e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK)
	if q["policy"] != "ml" || num(t, q, "effective_policy_definition", "max-length") != 3 {
		t.Errorf("policy in force = %v %v, want ml with max-length 3", q["policy"], q["effective_policy_definition"])
	}
	if q := e.do("GET", "/api/queues/%2F/fq", nil).obj(t, http.StatusOK); q["policy"] != "from-file" {
		t.Errorf("fq policy = %v, want from-file", q["policy"])
	}

	e.do("PUT", "/api/policies/%2F/from-file", map[string]any{"pattern": ".", "definition": map[string]any{"max-length": 1}}).
		wantError(t, http.StatusBadRequest, "bad_request", "comes from the policies file; change it there")
	e.do("DELETE", "/api/policies/%2F/from-file", nil).
		wantError(t, http.StatusBadRequest, "bad_request", "comes from the policies file; remove it there")

	// An export holds both; importing it back leaves the file's to the
	// file and sets the API's again.
	var defs map[string]any
	e.do("GET", "/api/definitions", nil).want(t, http.StatusOK, &defs)
	if ps, _ := defs["policies"].([]any); len(ps) != 2 {
		t.Fatalf("exported policies = %v, want 2", defs["policies"])
	}
	e.do("POST", "/api/definitions", defs).want(t, http.StatusNoContent, nil)
	if ps := e.broker.Policies(); len(ps) != 2 || ps[0].API || !ps[1].API || ps[1].Name != "ml" {
		t.Errorf("after import: %+v", ps)
	}

	e.do("DELETE", "/api/policies/%2F/ml", nil).want(t, http.StatusNoContent, nil)
	if q := e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK); q["policy"] != nil {
		t.Errorf("after delete: policy %v", q["policy"])
	}
}

// TestPolicyAlternateExchange: a policy that applies to exchanges names
// an alternate exchange; the exchange shows it, and a publish through the
// admin API that its bindings do not route lands in the alternate's
// queue.
func TestPolicyAlternateExchange(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/exchanges/%2F/orders", map[string]any{"type": "direct"}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/exchanges/%2F/unrouted", map[string]any{"type": "fanout"}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/lost", nil).want(t, http.StatusCreated, nil)
	e.do("POST", "/api/bindings/%2F/e/unrouted/q/lost", map[string]any{"routing_key": ""}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/policies/%2F/ae", map[string]any{"pattern": "^orders$", "apply-to": "exchanges", "definition": map[string]any{"alternate-exchange": 5}}).
		wantError(t, http.StatusBadRequest, "bad_request", "invalid policy value for 'alternate-exchange': want an exchange name")
	e.do("PUT", "/api/policies/%2F/ae", map[string]any{"pattern": "^orders$", "apply-to": "exchanges", "definition": map[string]any{"alternate-exchange": "unrouted"}}).
		want(t, http.StatusCreated, nil)

	if x := e.do("GET", "/api/exchanges/%2F/orders", nil).obj(t, http.StatusOK); x["policy"] != "ae" {
		t.Errorf("orders policy = %v, want ae", x["policy"])
	}
	if x := e.do("GET", "/api/exchanges/%2F/unrouted", nil).obj(t, http.StatusOK); x["policy"] != nil {
		t.Errorf("unrouted policy = %v, want none", x["policy"])
	}
	var routed map[string]bool
	e.do("POST", "/api/exchanges/%2F/orders/publish", map[string]any{"routing_key": "nobody", "payload": "p", "payload_encoding": "string", "properties": map[string]any{}}).
		want(t, http.StatusOK, &routed)
	if !routed["routed"] {
		t.Errorf("publish through the alternate: routed = %v", routed)
	}
	if q := e.do("GET", "/api/queues/%2F/lost", nil).obj(t, http.StatusOK); num(t, q, "messages") != 1 {
		t.Errorf("lost holds %v messages, want 1", q["messages"])
	}
	// An export does not carry the policy beside the exchange.
	var defs struct {
		Exchanges []map[string]any `json:"exchanges"`
	}
	e.do("GET", "/api/definitions", nil).want(t, http.StatusOK, &defs)
	for _, x := range defs.Exchanges {
		if _, ok := x["policy"]; ok {
			t.Errorf("exported exchange %v has a policy field", x["name"])
		}
	}
}
