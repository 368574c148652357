package admin

import (
	"net/http"
	"strconv"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// deadLetters makes three messages die in "work" (nacked without
// requeue) into "work.dlq", and leaves them ready there.
func deadLetters(t *testing.T, e *env) {
	t.Helper()
	e.do("PUT", "/api/queues/%2F/work.dlq", nil).want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/work", map[string]any{"arguments": map[string]any{
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "work.dlq"}}).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "work", amqp091.Table{"tenant": "acme"}, "one", "two", "three")
	dels, err := ch.Consume("work", "", false, false, false, false, nil)
	must(t, err)
	for range 3 {
		d := <-dels
		must(t, d.Nack(false, false))
	}
	// Wait for the three in the DLQ by consuming them, then give them
	// back: closing the channel requeues them, before close-ok.
	_, dch := e.dial()
	dd, err := dch.Consume("work.dlq", "", false, false, false, false, nil)
	must(t, err)
	for range 3 {
		<-dd
	}
	must(t, dch.Close())
}

func TestBrowseAndRedrive(t *testing.T) {
	e := start(t, Config{})
	deadLetters(t, e)

	var page struct {
		Messages []map[string]any `json:"messages"`
		Next     float64          `json:"next"`
	}
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages?limit=2", nil).want(t, http.StatusOK, &page)
	if len(page.Messages) != 2 || page.Next == 0 {
		t.Fatalf("page 1 = %+v", page)
	}
	m := page.Messages[0]
	if m["state"] != "ready" || m["payload"] != "one" || m["payload_encoding"] != "string" || m["payload_bytes"] != float64(3) ||
		m["routing_key"] != "work.dlq" || m["deliveries"] != float64(1) {
		t.Errorf("message = %v", m)
	}
	props := m["properties"].(map[string]any)
	hdrs := props["headers"].(map[string]any)
	if props["content_type"] != "text/plain" || props["message_id"] != "m-one" || hdrs["tenant"] != "acme" || hdrs["x-first-death-queue"] != "work" {
		t.Errorf("properties = %v", props)
	}
	xd := m["x_death"].([]any)
	if len(xd) != 1 {
		t.Fatalf("x_death = %v", xd)
	}
	d := xd[0].(map[string]any)
	if d["queue"] != "work" || d["reason"] != "rejected" || d["count"] != float64(1) || d["exchange"] != "" {
		t.Errorf("x-death = %v", d)
	}
	var page2 struct {
		Messages []map[string]any `json:"messages"`
		Next     float64          `json:"next"`
	}
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages?encoding=base64&after="+ftoa(page.Next), nil).want(t, http.StatusOK, &page2)
	if len(page2.Messages) != 1 || page2.Next != 0 || page2.Messages[0]["payload"] != "dGhyZWU=" || page2.Messages[0]["payload_encoding"] != "base64" {
		t.Errorf("page 2 = %+v", page2)
	}
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages?limit=0", nil).wantError(t, http.StatusBadRequest, "bad_request", "limit must be")
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages?after=x", nil).wantError(t, http.StatusBadRequest, "bad_request", "after must be")
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages?encoding=hex", nil).wantError(t, http.StatusBadRequest, "bad_request", "encoding")

	// One by id, and delete it.
	id := ftoa(page2.Messages[0]["id"].(float64))
	one := e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages/"+id, nil).obj(t, http.StatusOK)
	if one["payload"] != "three" {
		t.Errorf("message %s = %v", id, one)
	}
	e.do("DELETE", "/api/ferry/queues/%2F/work.dlq/messages/"+id, nil).want(t, http.StatusNoContent, nil)
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages/"+id, nil).wantError(t, http.StatusNotFound, "Object Not Found", "no message")
	e.do("DELETE", "/api/ferry/queues/%2F/work.dlq/messages/"+id, nil).wantError(t, http.StatusNotFound, "Object Not Found", "no message")
	e.do("GET", "/api/ferry/queues/%2F/work.dlq/messages/abc", nil).wantError(t, http.StatusBadRequest, "bad_request", "positive integer")

	// Dry run: two would go back to work; nothing moves.
	dry := e.do("POST", "/api/ferry/queues/%2F/work.dlq/redrive", map[string]any{"dry_run": true}).obj(t, http.StatusOK)
	if dry["total"] != float64(2) || dry["targets"].(map[string]any)["work"] != float64(2) || dry["no_target"] != float64(0) {
		t.Errorf("dry run = %v", dry)
	}
	if q := e.do("GET", "/api/queues/%2F/work.dlq", nil).obj(t, http.StatusOK); q["messages_ready"] != float64(2) {
		t.Errorf("after dry run: %v ready", q["messages_ready"])
	}
	e.do("POST", "/api/ferry/queues/%2F/work.dlq/redrive", map[string]any{"to": "nope"}).wantError(t, http.StatusNotFound, "Object Not Found", "no queue 'nope'")
	e.do("POST", "/api/ferry/queues/%2F/work.dlq/redrive", map[string]any{"limit": -1}).wantError(t, http.StatusBadRequest, "bad_request", "negative")

	// The real thing, awaited with wait=true.
	task := e.do("POST", "/api/ferry/queues/%2F/work.dlq/redrive", map[string]any{}).obj(t, http.StatusAccepted)
	if task["id"] != "redrive-1" || task["total"] != float64(2) || task["queue"] != "work.dlq" {
		t.Errorf("task = %v", task)
	}
	done := e.do("GET", "/api/ferry/redrives/redrive-1?wait=true", nil).obj(t, http.StatusOK)
	if done["state"] != "done" || done["moved"] != float64(2) || done["total"] != float64(2) || done["finished_at"] == nil {
		t.Errorf("task after wait = %v", done)
	}
	// work's consumer (left open by deadLetters) may hold them already.
	if q := e.do("GET", "/api/queues/%2F/work", nil).obj(t, http.StatusOK); q["messages"] != float64(2) {
		t.Errorf("work after redrive: %v messages", q["messages"])
	}
	if q := e.do("GET", "/api/queues/%2F/work.dlq", nil).obj(t, http.StatusOK); q["messages_ready"] != float64(0) {
		t.Errorf("dlq after redrive: %v ready", q["messages_ready"])
	}
	if ts := e.do("GET", "/api/ferry/redrives", nil).list(t, http.StatusOK); len(ts) != 1 || ts[0]["state"] != "done" {
		t.Errorf("redrives = %v", ts)
	}
	e.do("GET", "/api/ferry/redrives/redrive-9", nil).wantError(t, http.StatusNotFound, "Object Not Found", "no redrive")
}

func ftoa(f float64) string { return strconv.FormatUint(uint64(f), 10) }
