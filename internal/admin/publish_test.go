package admin

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// got is one message of a get answer.
type got struct {
	PayloadBytes    int            `json:"payload_bytes"`
	Redelivered     bool           `json:"redelivered"`
	Exchange        string         `json:"exchange"`
	RoutingKey      string         `json:"routing_key"`
	MessageCount    int            `json:"message_count"`
	Properties      map[string]any `json:"properties"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"`
}

func (e *env) get(queue string, body map[string]any) []got {
	e.t.Helper()
	var out []got
	e.do("POST", "/api/queues/%2F/"+queue+"/get", body).want(e.t, http.StatusOK, &out)
	return out
}

func (e *env) publishAPI(exchange string, body map[string]any) bool {
	e.t.Helper()
	var out map[string]bool
	e.do("POST", "/api/exchanges/%2F/"+exchange+"/publish", body).want(e.t, http.StatusOK, &out)
	routed, ok := out["routed"]
	if !ok {
		e.t.Fatalf("publish answer %v has no routed", out)
	}
	return routed
}

// TestPublishReachesAMQPConsumer publishes through the API and consumes
// with amqp091-go: the properties and headers arrive as sent.
func TestPublishReachesAMQPConsumer(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/orders", nil).want(t, http.StatusCreated, nil)
	routed := e.publishAPI("amq.default", map[string]any{
		"routing_key": "orders", "payload": "hello", "payload_encoding": "string",
		"properties": map[string]any{
			"content_type": "text/plain", "delivery_mode": 2, "priority": 3, "message_id": "m-1", "timestamp": 1700000000,
			"expiration": 60000, "headers": map[string]any{"tenant": "acme", "attempt": 2, "ok": true},
		},
	})
	if !routed {
		t.Fatal("routed = false for a message to an existing queue")
	}
	_, ch := e.dial()
	dels, err := ch.Consume("orders", "", false, false, false, false, nil)
	must(t, err)
	var d amqp091.Delivery
	select {
	case d = <-dels:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery of the message published through the API")
	}
	if string(d.Body) != "hello" || d.ContentType != "text/plain" || d.DeliveryMode != 2 || d.Priority != 3 || d.MessageId != "m-1" ||
		d.Timestamp.Unix() != 1700000000 || d.Expiration != "60000" || d.Exchange != "" || d.RoutingKey != "orders" {
		t.Errorf("delivery = %+v", d)
	}
	if d.Headers["tenant"] != "acme" || d.Headers["attempt"] != int64(2) || d.Headers["ok"] != true {
		t.Errorf("headers = %#v", d.Headers)
	}
	must(t, d.Ack(false))
}

// TestPublishRoutesThroughExchange: a topic exchange routes to the bound
// queue; with no binding the answer is routed false.
func TestPublishRoutesThroughExchange(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/eu", nil).want(t, http.StatusCreated, nil)
	e.do("POST", "/api/bindings/%2F/e/amq.topic/q/eu", map[string]any{"routing_key": "orders.eu.#"}).want(t, http.StatusCreated, nil)
	if !e.publishAPI("amq.topic", map[string]any{"routing_key": "orders.eu.fr", "payload": "//4A", "payload_encoding": "base64"}) {
		t.Error("routed = false through a matching binding")
	}
	if e.publishAPI("amq.topic", map[string]any{"routing_key": "orders.us", "payload": "x", "payload_encoding": "string"}) {
		t.Error("routed = true with no matching binding")
	}
	msgs := e.get("eu", map[string]any{"count": 5, "ackmode": "ack_requeue_false", "encoding": "auto"})
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Exchange != "amq.topic" || m.RoutingKey != "orders.eu.fr" || m.PayloadBytes != 3 || m.PayloadEncoding != "base64" ||
		m.Payload != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0}) || m.MessageCount != 0 || m.Redelivered {
		t.Errorf("message = %+v", m)
	}
}

// TestGetAckModes goes through the four ackmodes on one queue.
func TestGetAckModes(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/work.dlq", nil).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/work", map[string]any{"arguments": map[string]any{
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "work.dlq"}}).want(t, http.StatusCreated, nil)
	for _, b := range []string{"one", "two", "three"} {
		e.publishAPI("amq.default", map[string]any{"routing_key": "work", "payload": b, "payload_encoding": "string"})
	}

	// Requeue: two different messages, both still there afterwards.
	msgs := e.get("work", map[string]any{"count": 2, "ackmode": "ack_requeue_true", "encoding": "auto"})
	if len(msgs) != 2 || msgs[0].Payload != "one" || msgs[1].Payload != "two" || msgs[0].Redelivered ||
		msgs[0].MessageCount != 2 || msgs[1].MessageCount != 1 {
		t.Fatalf("first get = %+v", msgs)
	}
	if n := num(t, e.do("GET", "/api/queues/%2F/work", nil).obj(t, http.StatusOK), "messages_ready"); n != 3 {
		t.Errorf("messages_ready after ack_requeue_true = %v, want 3", n)
	}
	// The requeued ones come again, marked redelivered; truncate cuts
	// the payload but not payload_bytes.
	msgs = e.get("work", map[string]any{"count": 1, "ackmode": "reject_requeue_true", "encoding": "auto", "truncate": 2})
	if len(msgs) != 1 || msgs[0].Payload != "on" || msgs[0].PayloadBytes != 3 || !msgs[0].Redelivered {
		t.Fatalf("second get = %+v", msgs)
	}

	// Ack: gone for good.
	msgs = e.get("work", map[string]any{"count": 1, "ackmode": "ack_requeue_false", "encoding": "base64"})
	if len(msgs) != 1 || msgs[0].Payload != base64.StdEncoding.EncodeToString([]byte("one")) || msgs[0].PayloadEncoding != "base64" {
		t.Fatalf("ack get = %+v", msgs)
	}
	if n := num(t, e.do("GET", "/api/queues/%2F/work", nil).obj(t, http.StatusOK), "messages"); n != 2 {
		t.Errorf("messages after ack_requeue_false = %v, want 2", n)
	}

	// Reject without requeue: dead-lettered into work.dlq with x-death.
	_, ch := e.dial()
	dels, err := ch.Consume("work.dlq", "", false, false, false, false, nil)
	must(t, err)
	msgs = e.get("work", map[string]any{"count": 10, "ackmode": "reject_requeue_false"})
	if len(msgs) != 2 {
		t.Fatalf("reject get = %+v", msgs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, want := range []string{"two", "three"} {
		select {
		case d := <-dels:
			if string(d.Body) != want || d.Headers["x-first-death-reason"] != "rejected" {
				t.Errorf("dead letter = %q headers %v, want %q rejected", d.Body, d.Headers, want)
			}
			must(t, d.Ack(false))
		case <-ctx.Done():
			t.Fatalf("dead letter %q did not arrive in work.dlq", want)
		}
	}
	if msgs := e.get("work", map[string]any{"count": 1, "ackmode": "ack_requeue_false"}); len(msgs) != 0 {
		t.Errorf("get of an empty queue = %+v, want []", msgs)
	}
}

func TestPublishAndGetBadInput(t *testing.T) {
	e := start(t, Config{})
	e.do("PUT", "/api/queues/%2F/q", nil).want(t, http.StatusCreated, nil)
	pub := "/api/exchanges/%2F/amq.default/publish"
	get := "/api/queues/%2F/q/get"
	tests := []struct {
		name, path string
		body       any
		status     int
		errName    string
		reason     string
	}{
		{"bad json", pub, `{"payload":`, 400, "bad_request", "request body"},
		{"bad encoding", pub, map[string]any{"payload": "x", "payload_encoding": "hex"}, 400, "bad_request", "payload_encoding must be string or base64, got 'hex'"},
		{"bad base64", pub, map[string]any{"payload": "!!", "payload_encoding": "base64"}, 400, "bad_request", "payload is not valid base64"},
		{"unknown property", pub, map[string]any{"properties": map[string]any{"colour": "red"}}, 400, "bad_request", "unknown property 'colour'"},
		{"delivery_mode type", pub, map[string]any{"properties": map[string]any{"delivery_mode": "2"}}, 400, "bad_request", "property delivery_mode must be a number, got a string"},
		{"delivery_mode range", pub, map[string]any{"properties": map[string]any{"delivery_mode": 3}}, 400, "bad_request", "delivery_mode must be a whole number from 1 to 2, got 3"},
		{"headers type", pub, map[string]any{"properties": map[string]any{"headers": []any{1}}}, 400, "bad_request", "property headers must be an object, got an array"},
		{"content_type type", pub, map[string]any{"properties": map[string]any{"content_type": 5}}, 400, "bad_request", "property content_type must be a string, got a number"},
		{"user_id not the caller", pub, map[string]any{"properties": map[string]any{"user_id": "admin"}}, 400, "bad_request", "user_id property set to 'admin' but authenticated user was 'guest'"},
		{"unknown exchange", "/api/exchanges/%2F/nope/publish", map[string]any{"payload": "x"}, 404, "Object Not Found", "nope"},
		{"unknown vhost", "/api/exchanges/nope/amq.default/publish", map[string]any{"payload": "x"}, 404, "Object Not Found", "nope"},
		{"get no ackmode", get, map[string]any{"count": 1}, 400, "bad_request", "ackmode is required"},
		{"get bad ackmode", get, map[string]any{"count": 1, "ackmode": "peek"}, 400, "bad_request", "got 'peek'"},
		{"get zero count", get, map[string]any{"count": 0, "ackmode": "ack_requeue_true"}, 400, "bad_request", "count must be 1 to 1000, got 0"},
		{"get huge count", get, map[string]any{"count": 5000, "ackmode": "ack_requeue_true"}, 400, "bad_request", "count must be 1 to 1000, got 5000"},
		{"get bad truncate", get, map[string]any{"ackmode": "ack_requeue_true", "truncate": -1}, 400, "bad_request", "truncate must be a byte count"},
		{"get bad encoding", get, map[string]any{"ackmode": "ack_requeue_true", "encoding": "hex"}, 400, "bad_request", "encoding must be auto or base64, got 'hex'"},
		{"get unknown queue", "/api/queues/%2F/nope/get", map[string]any{"ackmode": "ack_requeue_true"}, 404, "Object Not Found", "nope"},
		{"get method", get, nil, 405, "method_not_allowed", "GET is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if tt.status == 405 {
				method = "GET"
			}
			e.do(method, tt.path, tt.body).wantError(t, tt.status, tt.errName, tt.reason)
		})
	}
	// Nothing bad reached the queue.
	if n := num(t, e.do("GET", "/api/queues/%2F/q", nil).obj(t, http.StatusOK), "messages"); n != 0 {
		t.Errorf("messages after bad publishes = %v, want 0", n)
	}
	// Without credentials, or as a monitoring user (who may read but
	// not change): 401. Both publish and get change the queue.
	if r := e.doAs("", "", "POST", pub, map[string]any{"payload": "x"}); r.status != http.StatusUnauthorized {
		t.Errorf("publish without auth: %d", r.status)
	}
	for _, path := range []string{pub, get} {
		if r := e.doAs("ops", "secret", "POST", path, map[string]any{"routing_key": "q", "payload": "x", "ackmode": "ack_requeue_false"}); r.status != http.StatusUnauthorized {
			t.Errorf("POST %s as a monitoring user: %d %s, want 401", path, r.status, r.body)
		}
	}
}
