package admin

import (
	"net/http"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// redriveEnv fills queue "dlq" with six messages, three of tenant acme
// (two of them attempt 7), and declares "dst".
func redriveEnv(t *testing.T) *env {
	e := start(t, Config{})
	for _, q := range []string{"dlq", "dst"} {
		e.do("PUT", "/api/queues/%2F/"+q, nil).want(t, http.StatusCreated, nil)
	}
	_, ch := e.dial()
	publish(t, ch, "dlq", amqp091.Table{"tenant": "acme", "attempt": int32(7)}, "a1")
	publish(t, ch, "dlq", amqp091.Table{"tenant": "bolt"}, "b1")
	publish(t, ch, "dlq", amqp091.Table{"tenant": "acme", "attempt": int32(8)}, "a2")
	publish(t, ch, "dlq", nil, "n1")
	publish(t, ch, "dlq", amqp091.Table{"tenant": "acme", "attempt": int32(7)}, "a3")
	publish(t, ch, "dlq", amqp091.Table{"tenant": "bolt"}, "b2")
	return e
}

// bodiesOf browses a queue's message bodies in order.
func (e *env) bodiesOf(t *testing.T, q string) []string {
	t.Helper()
	var page struct {
		Messages []struct {
			Payload string `json:"payload"`
		} `json:"messages"`
	}
	e.do("GET", "/api/ferry/queues/%2F/"+q+"/messages", nil).want(t, http.StatusOK, &page)
	var out []string
	for _, m := range page.Messages {
		out = append(out, m.Payload)
	}
	return out
}

func TestRedriveMatchAPI(t *testing.T) {
	e := redriveEnv(t)
	match := map[string]any{"headers": map[string]any{"tenant": "acme", "attempt": 7}}

	dry := e.do("POST", "/api/ferry/queues/%2F/dlq/redrive", map[string]any{"to": "dst", "dry_run": true, "match": match}).obj(t, http.StatusOK)
	if num(t, dry, "total") != 2 || num(t, dry, "targets", "dst") != 2 || num(t, dry, "no_target") != 0 {
		t.Errorf("dry run = %v, want 2 to dst", dry)
	}
	task := e.do("POST", "/api/ferry/queues/%2F/dlq/redrive", map[string]any{"to": "dst", "match": match}).obj(t, http.StatusAccepted)
	if num(t, task, "total") != 2 {
		t.Errorf("task total = %v, want 2 (the matches)", task["total"])
	}
	id, _ := task["id"].(string)
	done := e.do("GET", "/api/ferry/redrives/"+id+"?wait=true", nil).obj(t, http.StatusOK)
	if done["state"] != "done" || num(t, done, "moved") != 2 {
		t.Errorf("task = %v, want done with 2 moved", done)
	}
	if m, _ := done["match"].(map[string]any); m["tenant"] != "acme" || m["attempt"] != "7" {
		t.Errorf("task match = %v", done["match"])
	}
	if got := e.bodiesOf(t, "dst"); len(got) != 2 || got[0] != "a1" || got[1] != "a3" {
		t.Errorf("dst = %v, want [a1 a3]", got)
	}
	if got := e.bodiesOf(t, "dlq"); len(got) != 4 || got[0] != "b1" || got[1] != "a2" || got[2] != "n1" || got[3] != "b2" {
		t.Errorf("dlq = %v, want [b1 a2 n1 b2] in order", got)
	}
	// A limit caps the matches; dry run counts them alike.
	dry = e.do("POST", "/api/ferry/queues/%2F/dlq/redrive", map[string]any{"to": "dst", "dry_run": true, "limit": 1,
		"match": map[string]any{"headers": map[string]any{"tenant": "bolt"}}}).obj(t, http.StatusOK)
	if num(t, dry, "total") != 1 {
		t.Errorf("limited dry run = %v, want 1", dry)
	}
}

func TestRedriveAPI(t *testing.T) {
	e := redriveEnv(t)
	dry := e.do("POST", "/api/ferry/queues/%2F/dlq/redrive", map[string]any{"dry_run": true}).obj(t, http.StatusOK)
	if num(t, dry, "total") != 6 || num(t, dry, "no_target") != 6 {
		t.Errorf("dry run without to = %v: no message has died, so none has a target", dry)
	}
	task := e.do("POST", "/api/ferry/queues/%2F/dlq/redrive", map[string]any{"to": "dst", "limit": 4}).obj(t, http.StatusAccepted)
	id, _ := task["id"].(string)
	done := e.do("GET", "/api/ferry/redrives/"+id+"?wait=true", nil).obj(t, http.StatusOK)
	if done["state"] != "done" || num(t, done, "moved") != 4 || num(t, done, "total") != 4 {
		t.Errorf("task = %v", done)
	}
	if l := e.do("GET", "/api/ferry/redrives", nil).list(t, http.StatusOK); len(l) != 1 || l[0]["id"] != id {
		t.Errorf("tasks = %v", l)
	}
	if got := e.bodiesOf(t, "dlq"); len(got) != 2 {
		t.Errorf("dlq = %v, want 2 left", got)
	}
}
