package admin

import (
	"net/http"
	"testing"
	"time"
)

func TestQueues(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/orders", map[string]any{"durable": true, "arguments": map[string]any{"x-max-length": 100}}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/orders", map[string]any{"durable": true, "arguments": map[string]any{"x-max-length": 100}}).want(t, http.StatusNoContent, nil)
	e.do("PUT", "/api/queues/%2F/orders", map[string]any{"durable": false}).wantError(t, http.StatusBadRequest, "bad_request", "inequivalent arg 'durable'")
	e.do("PUT", "/api/queues/%2F/bad", `{"durable": tru`).wantError(t, http.StatusBadRequest, "bad_request", "request body")
	e.do("PUT", "/api/queues/%2F/bad", map[string]any{"arguments": map[string]any{"x-message-ttl": "soon"}}).wantError(t, http.StatusBadRequest, "bad_request", "x-message-ttl")
	e.do("GET", "/api/queues/%2F/missing", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no queue 'missing'")
	e.do("GET", "/api/queues/nohost", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no vhost 'nohost'")

	_, ch := e.dial()
	publish(t, ch, "orders", nil, "a", "b", "c")
	e.admin.rates.sample(e.broker, time.Unix(1000, 0))
	publish(t, ch, "orders", nil, "d", "e", "f", "g", "h", "i", "j") // 10 in all
	must(t, ch.Qos(2, 0, false))
	dels, err := ch.Consume("orders", "c1", false, false, false, false, nil)
	must(t, err)
	<-dels
	<-dels // two unacked, prefetch 2
	e.admin.rates.sample(e.broker, time.Unix(1005, 0))

	q := e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK)
	for k, want := range map[string]any{"name": "orders", "vhost": "/", "durable": true, "auto_delete": false, "exclusive": false,
		"node": nodeName, "state": "running", "type": "classic"} {
		if q[k] != want {
			t.Errorf("%s = %#v, want %#v", k, q[k], want)
		}
	}
	if args := q["arguments"].(map[string]any); len(args) != 1 || args["x-max-length"] != float64(100) {
		t.Errorf("arguments = %v", q["arguments"])
	}
	for path, want := range map[string]float64{
		"messages": 10, "messages_ready": 8, "messages_unacknowledged": 2, "consumers": 1,
		"message_stats.publish": 10, "message_stats.publish_details.rate": 7.0 / 5, "message_stats.deliver_get": 2,
		"message_stats.deliver_get_details.rate": 2.0 / 5, "message_stats.ack": 0, "message_stats.redeliver": 0,
		"ferry.messages_delayed": 0, "ferry.messages_dead": 0, "ferry.dead_lettered.rejected": 0,
	} {
		if got := num(t, q, splitDots(path)...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	// Bytes count stored messages (all of one size here): 8 ready, 2 leased.
	if b, r, u := num(t, q, "message_bytes"), num(t, q, "message_bytes_ready"), num(t, q, "message_bytes_unacknowledged"); b != r+u || r != 4*u || u < 2 {
		t.Errorf("message_bytes %v, ready %v, unacked %v", b, r, u)
	}
	if num(t, q, "ferry", "oldest_message_age_seconds") < 0 {
		t.Error("oldest_message_age_seconds negative")
	}

	all := e.do("GET", "/api/queues", nil).list(t, http.StatusOK)
	if len(all) != 1 || all[0]["name"] != "orders" {
		t.Errorf("GET /api/queues = %v", all)
	}
	e.do("DELETE", "/api/queues/%2F/orders?if-unused=true", nil).wantError(t, http.StatusBadRequest, "bad_request", "in use")
	e.do("DELETE", "/api/queues/%2F/orders?if-empty=true", nil).wantError(t, http.StatusBadRequest, "bad_request", "not empty")
	e.do("DELETE", "/api/queues/%2F/orders/contents", nil).want(t, http.StatusNoContent, nil)
	q = e.do("GET", "/api/queues/%2F/orders", nil).obj(t, http.StatusOK)
	if num(t, q, "messages_ready") != 0 || num(t, q, "messages_unacknowledged") != 2 {
		t.Errorf("after purge: ready %v unacked %v", q["messages_ready"], q["messages_unacknowledged"])
	}
	e.do("DELETE", "/api/queues/%2F/orders", nil).want(t, http.StatusNoContent, nil)
	e.do("DELETE", "/api/queues/%2F/orders", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no queue")
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestOverviewAndVHosts(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/q1", nil).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "q1", nil, "x", "y")
	o := e.do("GET", "/api/overview", nil).obj(t, http.StatusOK)
	if o["management_version"] != "test" || o["product_version"] != "test" || o["product_name"] != "Ferry" || o["rabbitmq_version"] != rabbitmqVersion || o["node"] != nodeName {
		t.Errorf("overview versions = %v", o)
	}
	for path, want := range map[string]float64{
		"queue_totals.messages": 2, "queue_totals.messages_ready": 2, "queue_totals.messages_unacknowledged": 0,
		"object_totals.queues": 1, "object_totals.connections": 1, "object_totals.channels": 1, "object_totals.consumers": 0,
		"object_totals.exchanges": 6, "message_stats.publish": 2,
	} {
		if got := num(t, o, splitDots(path)...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}

	e.do("PUT", "/api/vhosts/dev", nil).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/vhosts/dev", nil).want(t, http.StatusNoContent, nil)
	vs := e.do("GET", "/api/vhosts", nil).list(t, http.StatusOK)
	if len(vs) != 2 || vs[0]["name"] != "/" || vs[1]["name"] != "dev" || vs[0]["messages"] != float64(2) {
		t.Errorf("vhosts = %v", vs)
	}
	v := e.do("GET", "/api/vhosts/%2F", nil).obj(t, http.StatusOK)
	if v["name"] != "/" || v["messages_ready"] != float64(2) {
		t.Errorf("vhost / = %v", v)
	}
	e.do("DELETE", "/api/vhosts/%2F", nil).wantError(t, http.StatusBadRequest, "bad_request", "cannot be deleted")
	e.do("DELETE", "/api/vhosts/dev", nil).want(t, http.StatusNoContent, nil)
	e.do("GET", "/api/vhosts/dev", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no vhost 'dev'")

	e.do("GET", "/api/aliveness-test/%2F", nil).want(t, http.StatusOK, nil)
	e.do("GET", "/api/aliveness-test/none", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no vhost")
}
