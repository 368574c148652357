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
