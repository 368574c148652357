package admin

import (
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPI checks that every registered route is in the document,
// and every documented operation is a route.
func TestOpenAPI(t *testing.T) {
	e := start(t, Config{})
	doc := e.doAs("", "", "GET", "/api/openapi.json", nil).obj(t, http.StatusOK)
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	seen := map[string]bool{}
	for _, r := range e.admin.routes {
		item, ok := paths[r.pattern].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: path not documented", r.method, r.pattern)
			continue
		}
		op, ok := item[strings.ToLower(r.method)].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: method not documented", r.method, r.pattern)
			continue
		}
		if op["summary"] == "" {
			t.Errorf("route %s %s: no summary", r.method, r.pattern)
		}
		seen[strings.ToLower(r.method)+" "+r.pattern] = true
	}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if !seen[m+" "+p] {
				t.Errorf("documented %s %s is no route", m, p)
			}
		}
	}
}
