package admin

import (
	"net/http"
	"net/url"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

func TestExchangesAndBindings(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/exchanges/%2F/events", map[string]any{"type": "topic", "durable": true}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/exchanges/%2F/events", map[string]any{"type": "topic", "durable": true}).want(t, http.StatusNoContent, nil)
	e.do("PUT", "/api/exchanges/%2F/bad", map[string]any{}).wantError(t, http.StatusBadRequest, "bad_request", "type is required")
	e.do("PUT", "/api/exchanges/%2F/bad", map[string]any{"type": "weird"}).wantError(t, http.StatusBadRequest, "bad_request", "unknown exchange type")
	x := e.do("GET", "/api/exchanges/%2F/events", nil).obj(t, http.StatusOK)
	if x["name"] != "events" || x["vhost"] != "/" || x["type"] != "topic" || x["durable"] != true || x["auto_delete"] != false || x["internal"] != false {
		t.Errorf("exchange = %v", x)
	}
	if xs := e.do("GET", "/api/exchanges/%2F", nil).list(t, http.StatusOK); len(xs) != 7 || xs[0]["name"] != "" {
		t.Errorf("exchanges = %v", xs)
	}
	e.do("PUT", "/api/queues/%2F/audit", nil).want(t, http.StatusCreated, nil)
	r := e.do("POST", "/api/bindings/%2F/e/events/q/audit", map[string]any{"routing_key": "order.*"})
	r.want(t, http.StatusCreated, nil)
	if r.header.Get("Location") != "order.%2A" && r.header.Get("Location") != "order.*" {
		t.Errorf("Location = %q", r.header.Get("Location"))
	}
	e.do("POST", "/api/bindings/%2F/e/nope/q/audit", map[string]any{"routing_key": "k"}).wantError(t, http.StatusNotFound, "Object Not Found", "no exchange 'nope'")
	bs := e.do("GET", "/api/bindings/%2F/e/events/q/audit", nil).list(t, http.StatusOK)
	if len(bs) != 1 || bs[0]["source"] != "events" || bs[0]["destination"] != "audit" || bs[0]["destination_type"] != "queue" ||
		bs[0]["routing_key"] != "order.*" || bs[0]["properties_key"] != "order.*" || bs[0]["vhost"] != "/" {
		t.Errorf("bindings = %v", bs)
	}
	all := e.do("GET", "/api/bindings", nil).list(t, http.StatusOK)
	if len(all) != 2 || all[0]["source"] != "" || all[0]["destination"] != "audit" {
		t.Errorf("all bindings = %v", all)
	}
	// The binding routes: a publish to events reaches audit.
	_, ch := e.dial()
	must(t, ch.Publish("events", "order.created", false, false, amqp091.Publishing{Body: []byte("x")}))
	if _, err := ch.QueueDeclarePassive("audit", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", "/api/bindings/%2F/e/events/q/audit/"+url.PathEscape("order.*"), nil).want(t, http.StatusNoContent, nil)
	if bs := e.do("GET", "/api/bindings/%2F/e/events/q/audit", nil).list(t, http.StatusOK); len(bs) != 0 {
		t.Errorf("after delete: %v", bs)
	}
	e.do("DELETE", "/api/exchanges/%2F/amq.direct", nil).wantError(t, http.StatusForbidden, "access_refused", "amq.direct")
	e.do("DELETE", "/api/exchanges/%2F/events", nil).want(t, http.StatusNoContent, nil)
	e.do("GET", "/api/exchanges/%2F/events", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no exchange")
}

func TestConnectionsChannelsConsumers(t *testing.T) {
	e := start(t, Config{})
	conn, ch := e.dial()
	e.do("PUT", "/api/queues/%2F/jobs", nil).want(t, http.StatusCreated, nil)
	must(t, ch.Qos(5, 0, false))
	_, err := ch.Consume("jobs", "worker-1", false, false, false, false, nil)
	must(t, err)

	cs := e.do("GET", "/api/connections", nil).list(t, http.StatusOK)
	if len(cs) != 1 {
		t.Fatalf("connections = %v", cs)
	}
	c := cs[0]
	if c["user"] != "guest" || c["vhost"] != "/" || c["peer_host"] != "127.0.0.1" || c["channels"] != float64(1) ||
		c["protocol"] != "AMQP 0-9-1" || num(t, c, "recv_oct") == 0 || num(t, c, "send_oct") == 0 || num(t, c, "connected_at") == 0 {
		t.Errorf("connection = %v", c)
	}
	name := c["name"].(string)
	chs := e.do("GET", "/api/channels", nil).list(t, http.StatusOK)
	if len(chs) != 1 || chs[0]["number"] != float64(1) || chs[0]["prefetch_count"] != float64(5) || chs[0]["consumer_count"] != float64(1) ||
		chs[0]["name"] != name+" (1)" || chs[0]["connection_details"].(map[string]any)["name"] != name {
		t.Errorf("channels = %v", chs)
	}
	ks := e.do("GET", "/api/consumers", nil).list(t, http.StatusOK)
	if len(ks) != 1 || ks[0]["consumer_tag"] != "worker-1" || ks[0]["ack_required"] != true || ks[0]["prefetch_count"] != float64(5) ||
		ks[0]["queue"].(map[string]any)["name"] != "jobs" || ks[0]["channel_details"].(map[string]any)["connection_name"] != name {
		t.Errorf("consumers = %v", ks)
	}

	closed := conn.NotifyClose(make(chan *amqp091.Error, 1))
	e.do("DELETE", "/api/connections/nope", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no connection")
	e.do("DELETE", "/api/connections/"+url.PathEscape(name), nil).want(t, http.StatusNoContent, nil)
	if err := <-closed; err == nil || err.Code != 320 {
		t.Errorf("client saw %v, want 320", err)
	}
}

func TestPoliciesAndDefinitions(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/orders", map[string]any{"durable": true}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/policies/%2F/limits", map[string]any{"pattern": "^orders$", "definition": map[string]any{"max-length": 1}, "priority": 1, "apply-to": "queues"}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/policies/%2F/bad", map[string]any{"pattern": "(", "definition": map[string]any{"max-length": 1}}).wantError(t, http.StatusBadRequest, "bad_request", "pattern")
	e.do("PUT", "/api/policies/%2F/bad", map[string]any{"pattern": "x", "definition": map[string]any{"no-such-key": 1}}).wantError(t, http.StatusBadRequest, "bad_request", "no-such-key")
	ps := e.do("GET", "/api/policies/%2F", nil).list(t, http.StatusOK)
	if len(ps) != 1 || ps[0]["name"] != "limits" || ps[0]["pattern"] != "^orders$" || ps[0]["apply-to"] != "queues" || ps[0]["priority"] != float64(1) ||
		ps[0]["definition"].(map[string]any)["max-length"] != float64(1) {
		t.Errorf("policies = %v", ps)
	}
	// Applied live: the queue keeps one message.
	_, ch := e.dial()
	publish(t, ch, "orders", nil, "1", "2", "3")
	if q := e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK); q["messages_ready"] != float64(1) {
		t.Errorf("with max-length 1: messages_ready = %v", q["messages_ready"])
	}

	var defs map[string]any
	e.do("GET", "/api/definitions", nil).want(t, http.StatusOK, &defs)
	qs := defs["queues"].([]any)
	if len(qs) != 1 || qs[0].(map[string]any)["name"] != "orders" || len(defs["policies"].([]any)) != 1 || len(defs["exchanges"].([]any)) != 0 {
		t.Errorf("definitions = %v", defs)
	}
	imp := map[string]any{
		"vhosts":    []any{map[string]any{"name": "/"}, map[string]any{"name": "staging"}},
		"exchanges": []any{map[string]any{"name": "ev", "vhost": "staging", "type": "fanout", "durable": true}},
		"queues":    []any{map[string]any{"name": "q1", "vhost": "staging", "durable": true, "arguments": map[string]any{"x-max-length": 10}}},
		"bindings":  []any{map[string]any{"source": "ev", "vhost": "staging", "destination": "q1", "destination_type": "queue", "routing_key": ""}},
		"policies":  []any{map[string]any{"name": "ttl", "vhost": "staging", "pattern": ".*", "definition": map[string]any{"message-ttl": 60000}}},
	}
	e.do("POST", "/api/definitions", imp).want(t, http.StatusNoContent, nil)
	if bs := e.do("GET", "/api/bindings/staging/e/ev/q/q1", nil).list(t, http.StatusOK); len(bs) != 1 {
		t.Errorf("imported bindings = %v", bs)
	}
	if q := e.do("GET", "/api/queues/staging/q1", nil).obj(t, http.StatusOK); q["arguments"].(map[string]any)["x-max-length"] != float64(10) {
		t.Errorf("imported queue = %v", q)
	}
	if ps := e.do("GET", "/api/policies", nil).list(t, http.StatusOK); len(ps) != 2 {
		t.Errorf("policies after import = %v", ps)
	}
	bad := map[string]any{"queues": []any{map[string]any{"name": "q", "vhost": "nowhere"}}}
	e.do("POST", "/api/definitions", bad).wantError(t, http.StatusNotFound, "Object Not Found", "queue 'q' in vhost 'nowhere'")

	e.do("DELETE", "/api/policies/%2F/limits", nil).want(t, http.StatusNoContent, nil)
	e.do("DELETE", "/api/policies/%2F/limits", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no policy")
	e.do("GET", "/api/policies/staging/ttl", nil).want(t, http.StatusOK, nil)
}
