package admin

import (
	"net/http"
	"strconv"
	"strings"
)

// apiOp documents one operation for /api/openapi.json.
type apiOp struct {
	summary string
	query   []string // query parameters
	body    string   // request body, described; "" for none
	status  int      // success status
	open    bool     // needs no authentication
}

// apiDoc describes every route in addRoutes (routes.go), by path and
// method. It is written by hand, next to the routes; TestOpenAPI checks
// that each registered route has an entry and each entry a route.
var apiDoc = map[string]map[string]apiOp{
	"/api/overview":               {"GET": {summary: "Node overview: versions, queue_totals, object_totals, message_stats, ferry_store {bytes, segments, data_dir_free_bytes}", status: 200}},
	"/api/whoami":                 {"GET": {summary: "The authenticated user and its tags", status: 200}},
	"/api/aliveness-test/{vhost}": {"GET": {summary: "Declare aliveness-test, publish a message and get it back", status: 200}},
	"/api/vhosts":                 {"GET": {summary: "List vhosts", status: 200}},
	"/api/vhosts/{vhost}": {
		"GET":    {summary: "One vhost", status: 200},
		"PUT":    {summary: "Create a vhost (201, or 204 if it exists)", body: "{description, tracing} (optional)", status: 201},
		"DELETE": {summary: "Delete a vhost with its queues", status: 204},
	},
	"/api/queues":         {"GET": {summary: "List queues with stats and rates", status: 200}},
	"/api/queues/{vhost}": {"GET": {summary: "List the queues of a vhost", status: 200}},
	"/api/queues/{vhost}/{name}": {
		"GET":    {summary: "One queue with stats and rates", status: 200},
		"PUT":    {summary: "Declare a queue (201 created, 204 existed alike)", body: "{durable, auto_delete, arguments}", status: 201},
		"DELETE": {summary: "Delete a queue", query: []string{"if-unused", "if-empty"}, status: 204},
	},
	"/api/queues/{vhost}/{name}/contents": {"DELETE": {summary: "Purge a queue's ready messages", status: 204}},
	"/api/exchanges":                      {"GET": {summary: "List exchanges", status: 200}},
	"/api/exchanges/{vhost}":              {"GET": {summary: "List the exchanges of a vhost", status: 200}},
	"/api/exchanges/{vhost}/{name}": {
		"GET":    {summary: "One exchange", status: 200},
		"PUT":    {summary: "Declare an exchange (201 created, 204 existed alike)", body: "{type, durable, auto_delete, internal, arguments}", status: 201},
		"DELETE": {summary: "Delete an exchange", query: []string{"if-unused"}, status: 204},
	},
	"/api/bindings":         {"GET": {summary: "List bindings", status: 200}},
	"/api/bindings/{vhost}": {"GET": {summary: "List the bindings of a vhost", status: 200}},
	"/api/bindings/{vhost}/e/{exchange}/q/{queue}": {
		"GET":  {summary: "Bindings from an exchange to a queue", status: 200},
		"POST": {summary: "Bind a queue to an exchange; Location names the binding", body: "{routing_key, arguments}", status: 201},
	},
	"/api/bindings/{vhost}/e/{exchange}/q/{queue}/{props}": {"DELETE": {summary: "Remove the binding named by its properties_key", status: 204}},
	"/api/connections":        {"GET": {summary: "List AMQP connections", status: 200}},
	"/api/connections/{name}": {"DELETE": {summary: "Close a connection with 320 CONNECTION_FORCED (X-Reason header: the text)", status: 204}},
	"/api/channels":           {"GET": {summary: "List AMQP channels", status: 200}},
	"/api/consumers":          {"GET": {summary: "List consumers", status: 200}},
	"/api/definitions": {
		"GET":  {summary: "Export vhosts, queues, exchanges, bindings and policies", status: 200},
		"POST": {summary: "Import definitions (as exported)", body: "definitions document", status: 204},
	},
	"/api/policies":         {"GET": {summary: "List policies", status: 200}},
	"/api/policies/{vhost}": {"GET": {summary: "List the policies of a vhost", status: 200}},
	"/api/policies/{vhost}/{name}": {
		"GET":    {summary: "One policy", status: 200},
		"PUT":    {summary: "Set a policy, applied to matching queues at once", body: "{pattern, definition, priority, apply-to}", status: 201},
		"DELETE": {summary: "Delete a policy", status: 204},
	},
	"/api/ferry/queues/{vhost}/{name}/messages": {"GET": {summary: "Browse messages without consuming them; next is the after of the next page",
		query: []string{"after", "limit", "encoding"}, status: 200}},
	"/api/ferry/queues/{vhost}/{name}/messages/{id}": {
		"GET":    {summary: "One message by id", query: []string{"encoding"}, status: 200},
		"DELETE": {summary: "Delete one message", status: 204},
	},
	"/api/exchanges/{vhost}/{name}/publish": {"POST": {summary: "Publish a message through an exchange (amq.default: the default exchange); answers once stored",
		body: "{properties, routing_key, payload, payload_encoding: string|base64}", status: 200}},
	"/api/queues/{vhost}/{name}/get": {"POST": {summary: "Get up to count messages and settle them by ackmode, as RabbitMQ's management API",
		body: "{count, ackmode: ack_requeue_false|ack_requeue_true|reject_requeue_true|reject_requeue_false, encoding: auto|base64, truncate}", status: 200}},
	"/api/ferry/queues/{vhost}/{name}/redrive": {"POST": {summary: "Start a redrive of a dead-letter queue (202 with the task), or count it with dry_run (200)",
		body: "{to, limit, rate, dry_run, match: {headers: {name: value}}} (match moves only messages whose named headers all equal the values, as text)", status: 202}},
	"/api/ferry/queues/{vhost}/{name}/messages/{id}/history": {"GET": {
		summary: "A message's history in one queue, by engine id (queues with x-history or a policy's history key)", status: 200}},
	"/api/ferry/history/{vhost}/{message_id}": {"GET": {
		summary: "A message's history by its message_id, across queues (dead-lettering, redrive)", status: 200}},
	"/api/ferry/redrives":      {"GET": {summary: "List redrive tasks with progress", status: 200}},
	"/api/ferry/redrives/{id}": {"GET": {summary: "One redrive task; wait=true answers when it has ended", query: []string{"wait"}, status: 200}},
	"/api/openapi.json":        {"GET": {summary: "This document", status: 200}},
	"/healthz":                 {"GET": {summary: "Liveness: 200 \"ok\" while the process serves; no authentication", status: 200, open: true}},
	"/readyz":                  {"GET": {summary: "Readiness: 200 when broker, listeners, store and disk are fine; else 503 {status, reason, checks}; no authentication", status: 200, open: true}},
	"/metrics":                 {"GET": {summary: "Prometheus metrics (text exposition format); no authentication", status: 200}},
	"/":                        {"GET": {summary: "Redirect (302) to the dashboard; no authentication", status: 302, open: true}},
	"/dashboard/{path}":        {"GET": {summary: "The dashboard's embedded files (path may hold slashes; empty is index.html); no authentication", status: 200, open: true}},
}

// openapiDoc builds the OpenAPI 3 document from apiDoc.
func (s *Server) openapiDoc() map[string]any {
	paths := map[string]any{}
	for path, ops := range apiDoc {
		item := map[string]any{}
		var pathParams []any
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				pathParams = append(pathParams, map[string]any{"name": seg[1 : len(seg)-1], "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
		for method, op := range ops {
			params := append([]any{}, pathParams...)
			for _, q := range op.query {
				params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
			}
			o := map[string]any{
				"summary":    op.summary,
				"parameters": params,
			}
			o["responses"] = map[string]any{
				strconv.Itoa(op.status): map[string]any{"description": http.StatusText(op.status)},
				"400":                   map[string]any{"description": "Bad request: {\"error\", \"reason\"}"},
				"401":                   map[string]any{"description": "Not authorised"},
				"404":                   map[string]any{"description": "Object Not Found"},
			}
			if op.body != "" {
				o["requestBody"] = map[string]any{"description": op.body, "content": map[string]any{
					"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
			}
			if !op.open && path != "/metrics" && path != "/api/openapi.json" {
				o["security"] = []any{map[string]any{"basicAuth": []any{}}}
			}
			item[strings.ToLower(method)] = o
		}
		paths[path] = item
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Ferry admin API", "version": s.cfg.Version,
			"description": "RabbitMQ-compatible management API paths and JSON shapes, plus Ferry's own endpoints under /api/ferry. The vhost \"/\" is written %2F in paths."},
		"paths":      paths,
		"components": map[string]any{"securitySchemes": map[string]any{"basicAuth": map[string]any{"type": "http", "scheme": "basic"}}},
	}
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ params) {
	writeJSON(w, http.StatusOK, s.openapiDoc())
}
