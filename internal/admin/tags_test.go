package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/auth"
)

// TestUserTags checks each management tag against a read, a change of
// a queue, a policy, a vhost, the definitions and a connection.
func TestUserTags(t *testing.T) {
	e := start(t, Config{})
	users := map[string][]string{
		"none":  nil,
		"mgmt":  {"management"},
		"mon":   {"monitoring"},
		"pol":   {"policymaker"},
		"admin": {"administrator"},
		"both":  {"monitoring", "management"}, // tags grant their union
	}
	for name, tags := range users {
		must(t, e.users.Add(name, "pw", auth.UserOptions{VHosts: []string{"/"}, Tags: tags}))
	}
	const (
		ok          = 0
		notMgmt     = "Not management user"
		monReadOnly = "the monitoring tag may read but not change"
		notPol      = "Not policymaker user"
		notAdmin    = "Not administrator user"
	)
	type call struct {
		method, path string
		body         any
		okStatus     int
	}
	calls := map[string]call{
		"read":       {"GET", "/api/overview", nil, http.StatusOK},
		"queues":     {"GET", "/api/queues/%2F", nil, http.StatusOK},
		"declare":    {"PUT", "/api/queues/%2F/q-{u}", map[string]any{}, http.StatusCreated},
		"policies":   {"GET", "/api/policies", nil, http.StatusOK},
		"policy":     {"PUT", "/api/policies/%2F/p-{u}", map[string]any{"pattern": "^x$", "definition": map[string]any{"max-length": 1}}, http.StatusCreated},
		"vhost":      {"PUT", "/api/vhosts/v-{u}", nil, http.StatusCreated},
		"export":     {"GET", "/api/definitions", nil, http.StatusOK},
		"disconnect": {"DELETE", "/api/connections/nobody", nil, http.StatusNotFound}, // allowed: then no such connection
	}
	want := map[string]map[string]any{ // user → call → ok or the reason
		"none":  {"read": notMgmt, "queues": notMgmt, "declare": notMgmt, "policies": notMgmt, "policy": notMgmt, "vhost": notMgmt, "export": notMgmt, "disconnect": notMgmt},
		"mgmt":  {"read": ok, "queues": ok, "declare": ok, "policies": ok, "policy": notPol, "vhost": notAdmin, "export": notAdmin, "disconnect": notAdmin},
		"mon":   {"read": ok, "queues": ok, "declare": monReadOnly, "policies": ok, "policy": notPol, "vhost": notAdmin, "export": notAdmin, "disconnect": notAdmin},
		"pol":   {"read": ok, "queues": ok, "declare": ok, "policies": ok, "policy": ok, "vhost": notAdmin, "export": notAdmin, "disconnect": notAdmin},
		"admin": {"read": ok, "queues": ok, "declare": ok, "policies": ok, "policy": ok, "vhost": ok, "export": ok, "disconnect": ok},
		"both":  {"read": ok, "declare": ok, "policy": notPol},
	}
	for user, byCall := range want {
		for cname, w := range byCall {
			c := calls[cname]
			path := strings.ReplaceAll(c.path, "{u}", user)
			r := e.doAs(user, "pw", c.method, path, c.body)
			if w == ok {
				if r.status != c.okStatus {
					t.Errorf("%s %s %s: %d %s, want %d", user, c.method, path, r.status, r.body, c.okStatus)
				}
				continue
			}
			t.Run(user+"/"+cname, func(t *testing.T) {
				r.wantError(t, http.StatusUnauthorized, "not_authorised", w.(string))
				if r.header.Get("WWW-Authenticate") != "" {
					t.Errorf("a refusal by tags asks for other credentials: %q", r.header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	// Nothing the refused calls asked for happened.
	for _, q := range e.broker.Queues("/") {
		if q.Name == "q-none" || q.Name == "q-mon" {
			t.Errorf("queue %s was declared by a user who may not", q.Name)
		}
	}
	if n := len(e.broker.Policies()); n != 2 { // pol's and admin's
		t.Errorf("%d policies, want 2", n)
	}
	// The probes and /metrics need no tag at all.
	for _, p := range []string{"/metrics", "/healthz", "/readyz", "/api/openapi.json"} {
		if r := e.doAs("none", "pw", "GET", p, nil); r.status != http.StatusOK {
			t.Errorf("%s for a user without tags: %d", p, r.status)
		}
	}
}

func TestNeedOf(t *testing.T) {
	for _, c := range []struct {
		method, pattern string
		want            need
	}{
		{"GET", "/api/queues/{vhost}/{name}", needRead},
		{"HEAD", "/api/overview", needRead},
		{"DELETE", "/api/queues/{vhost}/{name}/contents", needChange},
		{"POST", "/api/ferry/queues/{vhost}/{name}/redrive", needChange},
		{"POST", "/api/queues/{vhost}/{name}/get", needChange}, // it takes messages
		{"GET", "/api/policies/{vhost}/{name}", needRead},
		{"DELETE", "/api/policies/{vhost}/{name}", needPolicy},
		{"GET", "/api/vhosts/{vhost}", needRead},
		{"DELETE", "/api/vhosts/{vhost}", needAdmin},
		{"GET", "/api/definitions", needAdmin},
		{"POST", "/api/definitions", needAdmin},
		{"DELETE", "/api/connections/{name}", needAdmin},
	} {
		if got := needOf(c.method, c.pattern); got != c.want {
			t.Errorf("needOf(%s %s) = %d, want %d", c.method, c.pattern, got, c.want)
		}
	}
}
