package admin

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/history"
	"github.com/ferrymq/ferry/internal/store/memstore"
)

// startWithHistory is start with message history among the broker's
// observers (in memory: the stores are memstores).
func startWithHistory(t *testing.T) *env {
	t.Helper()
	h, err := history.Open(history.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// Registered before startWith's, so it runs after the broker closed.
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("history Close: %v", err)
		}
	})
	return startWith(t, broker.Config{Durable: memstore.New(), Transient: memstore.New(),
		Observers: []broker.Observer{h}}, Config{})
}

type historyAnswer struct {
	VHost     string          `json:"vhost"`
	MessageID string          `json:"message_id"`
	Events    []history.Event `json:"events"`
	Truncated bool            `json:"truncated"`
}

// next takes the next delivery or fails.
func next(t *testing.T, ds <-chan amqp091.Delivery) amqp091.Delivery {
	t.Helper()
	select {
	case d, ok := <-ds:
		if !ok {
			t.Fatal("deliveries closed")
		}
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery within 10s")
	}
	return amqp091.Delivery{}
}

// TestHistoryFollowsAMessage walks one message through a retry, a
// rejection into its dead-letter queue, a redrive back and an ack, and
// reads its history by message_id and by engine id.
func TestHistoryFollowsAMessage(t *testing.T) {
	e := startWithHistory(t)
	conn, ch := e.dial()
	connName := conn.LocalAddr().String() + " -> " + conn.RemoteAddr().String()
	if _, err := ch.QueueDeclare("orders.dlq", true, false, false, false, amqp091.Table{"x-history": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("orders", true, false, false, false, amqp091.Table{
		"x-history": true, "x-retry-initial-delay": 1,
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq",
	}); err != nil {
		t.Fatal(err)
	}
	publish(t, ch, "orders", nil, "o-1") // message_id m-o-1
	ds, err := ch.Consume("orders", "worker-1", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := next(t, ds)
	if err := d.Nack(false, true); err != nil { // retried after the backoff
		t.Fatal(err)
	}
	d = next(t, ds)
	if !d.Redelivered {
		t.Fatal("second delivery not marked redelivered")
	}
	if err := d.Reject(false); err != nil { // dead-lettered to orders.dlq
		t.Fatal(err)
	}
	// cancel-ok comes after the server has handled the reject (one
	// channel's frames are handled in order); Flush then runs the
	// worker pass that moves the dead letter.
	if err := ch.Cancel("worker-1", false); err != nil {
		t.Fatal(err)
	}
	if err := e.broker.Flush("/", "orders"); err != nil {
		t.Fatal(err)
	}
	if n := ready(e, "orders.dlq"); n != 1 {
		t.Fatalf("orders.dlq holds %d ready messages, want 1", n)
	}

	task := e.do("POST", "/api/ferry/queues/%2F/orders.dlq/redrive", map[string]any{}).obj(t, http.StatusAccepted)
	if done := e.do("GET", "/api/ferry/redrives/"+task["id"].(string)+"?wait=true", nil).obj(t, http.StatusOK); done["state"] != "done" {
		t.Fatalf("redrive = %v", done)
	}
	ds, err = ch.Consume("orders", "worker-2", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	d = next(t, ds)
	if err := d.Ack(false); err != nil {
		t.Fatal(err)
	}
	if err := ch.Cancel("worker-2", false); err != nil { // after the ack, as above
		t.Fatal(err)
	}

	var a historyAnswer
	e.do("GET", "/api/ferry/history/%2F/m-o-1", nil).want(t, http.StatusOK, &a)
	if a.VHost != "/" || a.MessageID != "m-o-1" || a.Truncated {
		t.Errorf("answer = %+v", a)
	}
	type step struct{ event, queue, consumer, reason string }
	want := []step{
		{"published", "orders", "", ""},
		{"delivered", "orders", "worker-1", ""},
		{"nacked", "orders", "worker-1", "requeue"},
		{"retry_scheduled", "orders", "worker-1", ""},
		{"delivered", "orders", "worker-1", ""},
		{"nacked", "orders", "worker-1", "rejected"},
		{"dead_lettered", "orders", "", "rejected"},
		{"published", "orders.dlq", "", ""},
		{"redriven", "orders.dlq", "", ""},
		{"published", "orders", "", ""},
		{"delivered", "orders", "worker-2", ""},
		{"acked", "orders", "worker-2", ""},
	}
	if len(a.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(a.Events), len(want), a.Events)
	}
	for i, w := range want {
		ev := a.Events[i]
		if ev.Event != w.event || ev.Queue != w.queue || ev.Consumer != w.consumer || ev.Reason != w.reason {
			t.Errorf("event %d = %+v, want %+v", i, ev, w)
		}
		if ev.ID == 0 || ev.At.IsZero() {
			t.Errorf("event %d has no id or time: %+v", i, ev)
		}
		if i > 0 && ev.At.Before(a.Events[i-1].At) && ev.Queue != a.Events[i-1].Queue {
			t.Errorf("event %d (%s) is before event %d across queues", i, ev.At, i-1)
		}
	}
	// Who: the publisher's and the consumer's connection, as admin lists it.
	for _, i := range []int{0, 1, 4, 10, 11} {
		if a.Events[i].Connection != connName {
			t.Errorf("event %d (%s) connection = %q, want %q", i, a.Events[i].Event, a.Events[i].Connection, connName)
		}
	}
	if ev := a.Events[4]; ev.Deliveries != 2 {
		t.Errorf("second delivery count = %d", ev.Deliveries)
	}
	if ev := a.Events[6]; ev.Detail != "to queue 'orders.dlq'" {
		t.Errorf("dead_lettered detail = %q", ev.Detail)
	}
	if ev := a.Events[8]; ev.Detail != "to queue 'orders'" {
		t.Errorf("redriven detail = %q", ev.Detail)
	}
	if ev := a.Events[9]; !strings.Contains(ev.Detail, "redriven from queue 'orders.dlq'") || ev.ID == a.Events[0].ID {
		t.Errorf("published again = %+v (first id %d)", ev, a.Events[0].ID)
	}

	// By engine id: one queue's part.
	var q historyAnswer
	e.do("GET", "/api/ferry/queues/%2F/orders/messages/"+itoa(a.Events[0].ID)+"/history", nil).want(t, http.StatusOK, &q)
	if q.MessageID != "m-o-1" || len(q.Events) != 7 || q.Events[6].Event != "dead_lettered" {
		t.Errorf("first stay in orders = %+v", q)
	}
	e.do("GET", "/api/ferry/queues/%2F/orders.dlq/messages/"+itoa(a.Events[7].ID)+"/history", nil).want(t, http.StatusOK, &q)
	if len(q.Events) != 2 || q.Events[0].Event != "published" || q.Events[1].Event != "redriven" {
		t.Errorf("stay in orders.dlq = %+v", q)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func ready(e *env, name string) int {
	qi, err := e.broker.QueueInfo("/", name)
	if err != nil {
		return -1
	}
	return qi.Stats.Ready
}

func TestHistoryBadInput(t *testing.T) {
	e := startWithHistory(t)
	_, ch := e.dial()
	if _, err := ch.QueueDeclare("plain", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("kept", true, false, false, false, amqp091.Table{"x-history": true}); err != nil {
		t.Fatal(err)
	}
	publish(t, ch, "plain", nil, "p-1")

	for _, id := range []string{"abc", "0", "-1", "1.5", "18446744073709551616"} {
		e.do("GET", "/api/ferry/queues/%2F/kept/messages/"+id+"/history", nil).
			wantError(t, http.StatusBadRequest, "bad_request", "message id must be a positive integer")
	}
	e.do("GET", "/api/ferry/history/%2F/"+strings.Repeat("x", 256), nil).
		wantError(t, http.StatusBadRequest, "bad_request", "at most 255 bytes")
	e.do("GET", "/api/ferry/history/%2F/%FF", nil).
		wantError(t, http.StatusBadRequest, "bad_request", "UTF-8")

	e.do("GET", "/api/ferry/queues/%2F/plain/messages/1/history", nil).
		wantError(t, http.StatusNotFound, "not_found", "message history is off for queue 'plain'")
	e.do("GET", "/api/ferry/queues/%2F/kept/messages/99/history", nil).
		wantError(t, http.StatusNotFound, "not_found", "no history of message 99 in queue 'kept'")
	e.do("GET", "/api/ferry/queues/%2F/nope/messages/1/history", nil).
		wantError(t, http.StatusNotFound, "not_found", "no queue 'nope'")
	e.do("GET", "/api/ferry/history/%2F/m-p-1", nil). // published to a queue without history
								wantError(t, http.StatusNotFound, "not_found", "no history of a message with message_id 'm-p-1'")
	e.do("GET", "/api/ferry/history/nohost/m-p-1", nil).
		wantError(t, http.StatusNotFound, "not_found", "no vhost 'nohost'")
	e.doAs("guest", "wrong", "GET", "/api/ferry/history/%2F/m-p-1", nil).want(t, http.StatusUnauthorized, nil)
}

// TestHistoryByPolicy turns history on with a policy's history key, and
// checks a purge and a delete end a history.
func TestHistoryByPolicy(t *testing.T) {
	e := startWithHistory(t)
	e.do("PUT", "/api/policies/%2F/keep", map[string]any{"pattern": "^audit\\.", "apply-to": "queues",
		"definition": map[string]any{"history": true}}).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/policies/%2F/bad", map[string]any{"pattern": "^x", "definition": map[string]any{"history": "yes"}}).
		wantError(t, http.StatusBadRequest, "bad_request", "history")
	_, ch := e.dial()
	if _, err := ch.QueueDeclare("audit.log", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("other", true, false, false, false, amqp091.Table{"x-history": "yes"}); err == nil {
		t.Fatal("x-history: \"yes\" accepted")
	} else if !strings.Contains(err.Error(), "x-history") {
		t.Fatalf("refusal = %v; want it to name x-history", err)
	}
	_, ch = e.dial()
	publish(t, ch, "audit.log", nil, "a-1", "a-2")
	e.do("DELETE", "/api/ferry/queues/%2F/audit.log/messages/1", nil).want(t, http.StatusNoContent, nil)
	e.do("DELETE", "/api/queues/%2F/audit.log/contents", nil).want(t, http.StatusNoContent, nil)
	for id, last := range map[string]string{"m-a-1": "deleted", "m-a-2": "purged"} {
		var a historyAnswer
		e.do("GET", "/api/ferry/history/%2F/"+id, nil).want(t, http.StatusOK, &a)
		if len(a.Events) != 2 || a.Events[0].Event != "published" || a.Events[1].Event != last {
			t.Errorf("%s: events %+v, want published, %s", id, a.Events, last)
		}
	}
}
