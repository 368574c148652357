package admin

import (
	"net/http"
	"strings"
	"testing"
)

// badCase is one request and the answer it must get: status, and for an
// error RabbitMQ's {"error", "reason"} with error name and a reason that
// contains reason (naming what was wrong).
type badCase struct {
	name         string
	method, path string
	body         any // nil, a raw string (sent as is) or a value (sent as JSON)
	status       int
	errName      string // "" for a success answer
	reason       string
}

// badInputEnv is a node with queue "q" (two messages), exchange "x"
// bound to q with key "k", a policy "pol" and vhost "v2".
func badInputEnv(t *testing.T) *env {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/q", map[string]any{"durable": true}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/exchanges/%2F/x", map[string]any{"type": "direct"}).want(t, http.StatusCreated, nil)
	e.do("POST", "/api/bindings/%2F/e/x/q/q", map[string]any{"routing_key": "k"}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/policies/%2F/pol", map[string]any{"pattern": "^nothing$", "definition": map[string]any{"max-length": 10}}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/vhosts/v2", nil).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "q", nil, "1", "2")
	return e
}

// TestEndpointsBadInput goes through every route of routes.go (but the
// ones other areas test: publish and get, history, the dashboard): its
// success and each bad input, answered with the right 4xx and a reason
// that names what was wrong.
func TestEndpointsBadInput(t *testing.T) {
	e := badInputEnv(t)
	for _, c := range badInputCases() {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body)
			if c.errName == "" {
				if r.status != c.status {
					t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
				}
				return
			}
			r.wantError(t, c.status, c.errName, c.reason)
		})
	}
}

// TestEveryRouteHasABadInputCase keeps TestEndpointsBadInput in step
// with routes.go: a route added without a case fails here. The routes
// other areas test themselves are listed apart.
func TestEveryRouteHasABadInputCase(t *testing.T) {
	e := start(t, Config{})
	testedElsewhere := map[string]bool{
		"POST /api/exchanges/{vhost}/{name}/publish":                 true, // publish_test.go
		"POST /api/queues/{vhost}/{name}/get":                        true,
		"GET /api/ferry/queues/{vhost}/{name}/messages/{id}/history": true, // history_test.go
		"GET /api/ferry/history/{vhost}/{message_id}":                true,
		"GET /":                 true, // the dashboard's tests
		"GET /dashboard/{path}": true,
	}
	covered := map[string]bool{}
	for _, rt := range e.admin.routes {
		key := rt.method + " " + rt.pattern
		if testedElsewhere[key] {
			continue
		}
		covered[key] = false
	}
	// Each case's path, matched to its route.
	for _, c := range badInputCases() {
		path, _, _ := strings.Cut(c.path, "?")
		rt, _, _, err := e.admin.match(c.method, path)
		if err == nil && rt != nil {
			covered[rt.method+" "+rt.pattern] = true
		}
	}
	for key, ok := range covered {
		if !ok {
			t.Errorf("route %s has no case in TestEndpointsBadInput", key)
		}
	}
}

// badInputCases are TestEndpointsBadInput's requests, in routes.go's
// order, against badInputEnv.
func badInputCases() []badCase {
	const (
		bad      = "bad_request"
		notFound = "Object Not Found"
		notAllow = "method_not_allowed"
		refused  = "access_refused"
	)
	long := strings.Repeat("n", 300)
	return []badCase{
		// Routing itself.
		{"unknown path", "GET", "/api/nothing", nil, 404, notFound, "Not Found"},
		{"method not allowed", "PATCH", "/api/queues/%2F/q", nil, 405, notAllow, "PATCH is not allowed on /api/queues/"},

		{"overview", "GET", "/api/overview", nil, 200, "", ""},
		{"overview post", "POST", "/api/overview", "{}", 405, notAllow, "POST"},
		{"whoami", "GET", "/api/whoami", nil, 200, "", ""},
		{"aliveness", "GET", "/api/aliveness-test/%2F", nil, 200, "", ""},
		{"aliveness unknown vhost", "GET", "/api/aliveness-test/nope", nil, 404, notFound, "no vhost 'nope'"},

		{"vhosts", "GET", "/api/vhosts", nil, 200, "", ""},
		{"vhost", "GET", "/api/vhosts/v2", nil, 200, "", ""},
		{"vhost unknown", "GET", "/api/vhosts/nope", nil, 404, notFound, "no vhost 'nope'"},
		{"vhost put bad json", "PUT", "/api/vhosts/v3", "{", 400, bad, "request body"},
		{"vhost put wrong type", "PUT", "/api/vhosts/v3", `{"description": 5}`, 400, bad, "description"},
		{"vhost put long name", "PUT", "/api/vhosts/" + long, nil, 400, bad, "vhost name must be 1 to 255 bytes"},
		{"vhost put existing", "PUT", "/api/vhosts/v2", nil, 204, "", ""},
		{"vhost put", "PUT", "/api/vhosts/v3", map[string]any{"description": "d"}, 201, "", ""},
		{"vhost delete", "DELETE", "/api/vhosts/v3", nil, 204, "", ""},
		{"vhost delete default", "DELETE", "/api/vhosts/%2F", nil, 400, bad, "the default vhost '/' cannot be deleted"},
		{"vhost delete unknown", "DELETE", "/api/vhosts/nope", nil, 404, notFound, "no vhost 'nope'"},

		{"queues", "GET", "/api/queues", nil, 200, "", ""},
		{"queues of vhost", "GET", "/api/queues/%2F", nil, 200, "", ""},
		{"queues unknown vhost", "GET", "/api/queues/nope", nil, 404, notFound, "no vhost 'nope'"},
		{"queue", "GET", "/api/queues/%2F/q", nil, 200, "", ""},
		{"queue unknown", "GET", "/api/queues/%2F/nope", nil, 404, notFound, "no queue 'nope'"},
		{"queue put bad json", "PUT", "/api/queues/%2F/q2", `{"durable": true`, 400, bad, "request body"},
		{"queue put wrong type", "PUT", "/api/queues/%2F/q2", `{"durable": "yes"}`, 400, bad, "durable"},
		{"queue put bad argument", "PUT", "/api/queues/%2F/q2", map[string]any{"arguments": map[string]any{"x-max-length": "ten"}}, 400, bad, "x-max-length"},
		{"queue put unknown vhost", "PUT", "/api/queues/nope/q2", map[string]any{}, 404, notFound, "no vhost 'nope'"},
		{"queue put inequivalent", "PUT", "/api/queues/%2F/q", map[string]any{"durable": false}, 400, bad, "durable"},
		{"queue put long name", "PUT", "/api/queues/%2F/" + long, map[string]any{}, 400, bad, "255"},
		{"queue put", "PUT", "/api/queues/%2F/q2", map[string]any{"durable": false, "arguments": map[string]any{"x-max-length": 5}}, 201, "", ""},
		{"queue put again alike", "PUT", "/api/queues/%2F/q2", map[string]any{"durable": false, "arguments": map[string]any{"x-max-length": 5}}, 204, "", ""},
		{"queue delete", "DELETE", "/api/queues/%2F/q2", nil, 204, "", ""},
		{"queue delete unknown", "DELETE", "/api/queues/%2F/nope", nil, 404, notFound, "no queue 'nope'"},
		{"queue delete if-empty", "DELETE", "/api/queues/%2F/q?if-empty=true", nil, 400, bad, "not empty"},
		{"purge unknown", "DELETE", "/api/queues/%2F/nope/contents", nil, 404, notFound, "no queue 'nope'"},
		{"purge get", "GET", "/api/queues/%2F/q/contents", nil, 405, notAllow, "GET"},

		{"exchanges", "GET", "/api/exchanges", nil, 200, "", ""},
		{"exchanges of vhost", "GET", "/api/exchanges/%2F", nil, 200, "", ""},
		{"exchanges unknown vhost", "GET", "/api/exchanges/nope", nil, 404, notFound, "no vhost 'nope'"},
		{"exchange", "GET", "/api/exchanges/%2F/x", nil, 200, "", ""},
		{"exchange unknown", "GET", "/api/exchanges/%2F/nope", nil, 404, notFound, "no exchange 'nope'"},
		{"exchange put bad json", "PUT", "/api/exchanges/%2F/x2", "[", 400, bad, "request body"},
		{"exchange put wrong type", "PUT", "/api/exchanges/%2F/x2", `{"type": 1}`, 400, bad, "type"},
		{"exchange put unknown kind", "PUT", "/api/exchanges/%2F/x2", map[string]any{"type": "bogus"}, 400, bad, "unknown exchange type 'bogus'"},
		{"exchange put amq.", "PUT", "/api/exchanges/%2F/amq.mine", map[string]any{"type": "direct"}, 403, refused, "amq."},
		{"exchange put unknown vhost", "PUT", "/api/exchanges/nope/x2", map[string]any{"type": "direct"}, 404, notFound, "no vhost 'nope'"},
		{"exchange put", "PUT", "/api/exchanges/%2F/x2", map[string]any{"type": "fanout"}, 201, "", ""},
		{"exchange delete", "DELETE", "/api/exchanges/%2F/x2", nil, 204, "", ""},
		{"exchange delete unknown", "DELETE", "/api/exchanges/%2F/nope", nil, 404, notFound, "no exchange 'nope'"},
		{"exchange delete if-unused", "DELETE", "/api/exchanges/%2F/x?if-unused=true", nil, 400, bad, "in use"},

		{"bindings", "GET", "/api/bindings", nil, 200, "", ""},
		{"bindings of vhost", "GET", "/api/bindings/%2F", nil, 200, "", ""},
		{"bindings unknown vhost", "GET", "/api/bindings/nope", nil, 404, notFound, "no vhost 'nope'"},
		{"bindings e to q", "GET", "/api/bindings/%2F/e/x/q/q", nil, 200, "", ""},
		{"bindings unknown exchange", "GET", "/api/bindings/%2F/e/nope/q/q", nil, 404, notFound, "no exchange 'nope'"},
		{"bind bad json", "POST", "/api/bindings/%2F/e/x/q/q", "{,}", 400, bad, "request body"},
		{"bind wrong type", "POST", "/api/bindings/%2F/e/x/q/q", `{"routing_key": 7}`, 400, bad, "routing_key"},
		{"bind unknown queue", "POST", "/api/bindings/%2F/e/x/q/nope", map[string]any{"routing_key": "k"}, 404, notFound, "no queue 'nope'"},
		{"bind unknown exchange", "POST", "/api/bindings/%2F/e/nope/q/q", map[string]any{"routing_key": "k"}, 404, notFound, "no exchange 'nope'"},
		{"unbind unknown props", "DELETE", "/api/bindings/%2F/e/x/q/q/nope", nil, 404, notFound, "nope"},
		{"bind", "POST", "/api/bindings/%2F/e/x/q/q", map[string]any{"routing_key": "k2"}, 201, "", ""},
		{"unbind", "DELETE", "/api/bindings/%2F/e/x/q/q/k2", nil, 204, "", ""},

		{"connections", "GET", "/api/connections", nil, 200, "", ""},
		{"connection close unknown", "DELETE", "/api/connections/nope", nil, 404, notFound, "nope"},
		{"channels", "GET", "/api/channels", nil, 200, "", ""},
		{"consumers", "GET", "/api/consumers", nil, 200, "", ""},

		{"definitions", "GET", "/api/definitions", nil, 200, "", ""},
		{"definitions bad json", "POST", "/api/definitions", "{", 400, bad, "request body"},
		{"definitions wrong type", "POST", "/api/definitions", `{"queues": {}}`, 400, bad, "queues"},
		{"definitions bad queue", "POST", "/api/definitions", map[string]any{"queues": []any{map[string]any{"name": "dq", "vhost": "/", "durable": true,
			"arguments": map[string]any{"x-message-ttl": "soon"}}}}, 400, bad, "queue 'dq' in vhost '/'"},
		{"definitions unknown vhost", "POST", "/api/definitions", map[string]any{"queues": []any{map[string]any{"name": "dq", "vhost": "nope"}}}, 404, notFound, "queue 'dq' in vhost 'nope'"},
		{"definitions bad policy", "POST", "/api/definitions", map[string]any{"policies": []any{map[string]any{"name": "dp", "vhost": "/", "pattern": "(",
			"definition": map[string]any{"max-length": 1}}}}, 400, bad, "policy 'dp' in vhost '/'"},
		{"definitions import", "POST", "/api/definitions", map[string]any{"queues": []any{map[string]any{"name": "dq", "vhost": "/", "durable": true}}}, 204, "", ""},

		{"policies", "GET", "/api/policies", nil, 200, "", ""},
		{"policies of vhost", "GET", "/api/policies/%2F", nil, 200, "", ""},
		{"policies unknown vhost", "GET", "/api/policies/nope", nil, 404, notFound, "no vhost 'nope'"},
		{"policy", "GET", "/api/policies/%2F/pol", nil, 200, "", ""},
		{"policy unknown", "GET", "/api/policies/%2F/nope", nil, 404, notFound, "no policy 'nope' in vhost '/'"},
		{"policy put bad json", "PUT", "/api/policies/%2F/p2", "{", 400, bad, "request body"},
		{"policy put wrong type", "PUT", "/api/policies/%2F/p2", `{"pattern": ".", "priority": "high", "definition": {"max-length": 1}}`, 400, bad, "priority"},
		{"policy put no pattern", "PUT", "/api/policies/%2F/p2", map[string]any{"definition": map[string]any{"max-length": 1}}, 400, bad, "needs a pattern"},
		{"policy put empty definition", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": "."}, 400, bad, "non-empty definition"},
		{"policy put bad pattern", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": "(", "definition": map[string]any{"max-length": 1}}, 400, bad, "pattern"},
		{"policy put unknown key", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": ".", "definition": map[string]any{"ttl": 1}}, 400, bad, `unknown policy key "ttl"`},
		{"policy put bad value", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": ".", "definition": map[string]any{"max-length": -1}}, 400, bad, "max-length"},
		{"policy put bad apply-to", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": ".", "apply-to": "queue", "definition": map[string]any{"max-length": 1}}, 400, bad, "apply-to"},
		{"policy put unknown vhost", "PUT", "/api/policies/nope/p2", map[string]any{"pattern": ".", "definition": map[string]any{"max-length": 1}}, 404, notFound, "no vhost 'nope'"},
		{"policy delete unknown", "DELETE", "/api/policies/%2F/nope", nil, 404, notFound, "no policy 'nope' in vhost '/'"},
		{"policy put", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": "^p2$", "definition": map[string]any{"max-length": 1}}, 201, "", ""},
		{"policy put again", "PUT", "/api/policies/%2F/p2", map[string]any{"pattern": "^p2$", "definition": map[string]any{"max-length": 2}}, 204, "", ""},
		{"policy delete", "DELETE", "/api/policies/%2F/p2", nil, 204, "", ""},

		{"browse", "GET", "/api/ferry/queues/%2F/q/messages?limit=1", nil, 200, "", ""},
		{"browse unknown queue", "GET", "/api/ferry/queues/%2F/nope/messages", nil, 404, notFound, "no queue 'nope'"},
		{"browse bad limit", "GET", "/api/ferry/queues/%2F/q/messages?limit=0", nil, 400, bad, "limit must be 1 to 1000, got '0'"},
		{"browse big limit", "GET", "/api/ferry/queues/%2F/q/messages?limit=5000", nil, 400, bad, "limit must be 1 to 1000"},
		{"browse bad after", "GET", "/api/ferry/queues/%2F/q/messages?after=x", nil, 400, bad, "after must be a message id"},
		{"browse bad encoding", "GET", "/api/ferry/queues/%2F/q/messages?encoding=hex", nil, 400, bad, "encoding must be auto or base64"},
		{"message", "GET", "/api/ferry/queues/%2F/q/messages/1", nil, 200, "", ""},
		{"message bad id", "GET", "/api/ferry/queues/%2F/q/messages/one", nil, 400, bad, "message id must be a positive integer, got 'one'"},
		{"message unknown", "GET", "/api/ferry/queues/%2F/q/messages/99", nil, 404, notFound, "no message 99 in queue 'q'"},
		{"message unknown queue", "GET", "/api/ferry/queues/%2F/nope/messages/1", nil, 404, notFound, "no queue 'nope'"},
		{"message delete bad id", "DELETE", "/api/ferry/queues/%2F/q/messages/0", nil, 400, bad, "message id must be a positive integer"},
		{"message delete unknown", "DELETE", "/api/ferry/queues/%2F/q/messages/99", nil, 404, notFound, "no message 99 in queue 'q'"},
		{"message delete", "DELETE", "/api/ferry/queues/%2F/q/messages/2", nil, 204, "", ""},

		{"redrive dry run", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"dry_run": true}, 200, "", ""},
		{"redrive bad json", "POST", "/api/ferry/queues/%2F/q/redrive", "{", 400, bad, "request body"},
		{"redrive wrong type", "POST", "/api/ferry/queues/%2F/q/redrive", `{"limit": "all"}`, 400, bad, "limit"},
		{"redrive negative limit", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"limit": -1}, 400, bad, "limit and rate must not be negative"},
		{"redrive negative rate", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"rate": -2}, 400, bad, "must not be negative"},
		{"redrive unknown queue", "POST", "/api/ferry/queues/%2F/nope/redrive", map[string]any{}, 404, notFound, "no queue 'nope'"},
		{"redrive unknown target", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"to": "nope"}, 404, notFound, "no queue 'nope'"},
		{"redrive match unknown key", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"match": map[string]any{"header": map[string]any{"a": "b"}}}, 400, bad, "match: unknown key 'header'"},
		{"redrive match no headers", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"match": map[string]any{"headers": map[string]any{}}}, 400, bad, "match.headers must be an object naming at least one header"},
		{"redrive match bad value", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"match": map[string]any{"headers": map[string]any{"a": []any{1}}}}, 400, bad, "match.headers.a: want a string, number or boolean, got an array"},
		{"redrive match not an object", "POST", "/api/ferry/queues/%2F/q/redrive", `{"match": "tenant=acme"}`, 400, bad, "match"},
		{"redrives", "GET", "/api/ferry/redrives", nil, 200, "", ""},
		{"redrive unknown task", "GET", "/api/ferry/redrives/redrive-99", nil, 404, notFound, "no redrive 'redrive-99'"},
		{"redrive start", "POST", "/api/ferry/queues/%2F/q/redrive", map[string]any{"to": "dq", "limit": 1}, 202, "", ""},
		{"redrive task", "GET", "/api/ferry/redrives/redrive-1?wait=true", nil, 200, "", ""},
		{"purge", "DELETE", "/api/queues/%2F/q/contents", nil, 204, "", ""},

		{"openapi", "GET", "/api/openapi.json", nil, 200, "", ""},
		{"metrics", "GET", "/metrics", nil, 200, "", ""},
		{"metrics post", "POST", "/metrics", nil, 405, notAllow, "POST"},
		{"healthz", "GET", "/healthz", nil, 200, "", ""},
		{"readyz", "GET", "/readyz", nil, 200, "", ""},
	}
}
