package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// The operator CLI, run as the real binary against a real node: each
// test starts "ferry serve" on free ports and a temp data folder, then
// runs "ferry queues ...", "ferry dlq ..." and the rest as a user would,
// with FERRY_ADMIN_URL pointing at the node.

// cliNode is a running node and the addresses its front ends bound.
type cliNode struct {
	t        *testing.T
	proc     *ferrytest.Proc
	adminURL string
	amqpAddr string
}

func startCLINode(t *testing.T) *cliNode {
	t.Helper()
	p := startServe(t, filepath.Join(t.TempDir(), "data"), ferrytest.Env())
	addrOf := func(component string) string {
		line := p.WaitFor(component+" listening", func(line string) bool {
			m := logLine(line)
			return m != nil && m["component"] == component && m["msg"] == "listening"
		})
		addr, _ := logLine(line)["addr"].(string)
		return addr
	}
	n := &cliNode{t: t, proc: p, adminURL: "http://" + addrOf("admin"), amqpAddr: addrOf("amqp")}
	waitReady(t, p)
	return n
}

// cliResult is one run of the ferry command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// ferry runs the binary with args against the node, stdin as its input.
func (n *cliNode) ferry(stdin string, args ...string) cliResult {
	n.t.Helper()
	cmd := exec.Command(ferryBin, args...)
	cmd.Env = ferrytest.Env("FERRY_ADMIN_URL=" + n.adminURL)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		n.t.Fatalf("ferry %q: %v", args, err)
	}
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs args and fails the test unless they exit 0.
func (n *cliNode) ok(args ...string) string {
	n.t.Helper()
	r := n.ferry("", args...)
	if r.code != 0 {
		n.t.Fatalf("ferry %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// jsonOf runs args with --json and decodes stdout into v.
func (n *cliNode) jsonOf(v any, args ...string) {
	n.t.Helper()
	out := n.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		n.t.Fatalf("ferry %q --json: %v\n%s", args, err, out)
	}
}

// row finds the table line whose first cell is first and returns its
// cells (split on runs of two spaces or more, as the tables align).
func row(t *testing.T, table, first string) []string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		cells := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		if len(cells) > 0 && cells[0] == first {
			return cells
		}
	}
	t.Fatalf("no row %q in:\n%s", first, table)
	return nil
}

func (n *cliNode) dial() *amqp091.Connection {
	n.t.Helper()
	c, err := amqp091.Dial("amqp://guest:guest@" + n.amqpAddr + "/")
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { c.Close() })
	return c
}

func TestCLIQueues(t *testing.T) {
	n := startCLINode(t)
	if out := n.ok("queues", "create", "orders", "--arg", "x-max-length=100", "--arg", "x-fifo=false", "--arg", `x-note="42"`); !strings.Contains(out, "queue orders declared") {
		t.Errorf("create said %q", out)
	}
	n.ok("queues", "create", "scratch", "--durable=false")

	// Typed arguments reach the API as JSON numbers, booleans, text.
	var qs []map[string]any
	n.jsonOf(&qs, "queues", "list")
	if len(qs) != 2 {
		t.Fatalf("queues list --json: %d queues, want 2: %v", len(qs), qs)
	}
	args, _ := qs[0]["arguments"].(map[string]any)
	if qs[0]["name"] != "orders" || args["x-max-length"] != float64(100) || args["x-fifo"] != false || args["x-note"] != "42" {
		t.Errorf("orders as listed: %v", qs[0])
	}

	// Publish with --body, with stdin, and through an exchange.
	if out := n.ok("publish", "orders", "--body", "hello", "--header", "tenant=acme", "--property", "message_id=m-1"); !strings.Contains(out, `published 5 B to exchange (default) with routing key "orders"`) {
		t.Errorf("publish said %q", out)
	}
	if r := n.ferry("line one\nline two", "publish", "orders", "--property", "content_type=text/plain"); r.code != 0 {
		t.Fatalf("publish from stdin: %+v", r)
	}
	list := n.ok("queues", "list")
	if cells := row(t, list, "orders"); strings.Join(cells[1:5], " ") != "classic yes 2 0" || !strings.HasSuffix(cells[len(cells)-1], " B") {
		t.Errorf("orders row %q in:\n%s", cells, list)
	}
	if cells := row(t, list, "scratch"); cells[2] != "no" {
		t.Errorf("scratch row %q: durable should be no", cells)
	}
	if !strings.HasPrefix(list, "NAME") || !strings.Contains(list, "PUBLISH/S") || !strings.Contains(list, "/s") {
		t.Errorf("queues list header/rates:\n%s", list)
	}

	// Browse shows both without taking them; the newline is escaped.
	browse := n.ok("queues", "browse", "orders")
	if cells := row(t, browse, "1"); cells[1] != "ready" || cells[2] != "0" || !strings.HasSuffix(cells[3], "ago") || cells[4] != "tenant=acme" || cells[5] != "hello" {
		t.Errorf("browse row 1 %q in:\n%s", cells, browse)
	}
	if cells := row(t, browse, "2"); cells[5] != `line one\nline two` {
		t.Errorf("browse row 2 %q", cells)
	}
	if out := n.ok("queues", "browse", "orders", "--from", "2", "--base64"); strings.Contains(out, "hello") || !strings.Contains(out, "base64:bGluZSBvbmUKbGluZSB0d28=") {
		t.Errorf("browse --from 2 --base64:\n%s", out)
	}
	var page struct {
		Messages []map[string]any `json:"messages"`
	}
	n.jsonOf(&page, "queues", "browse", "orders", "--limit", "1")
	if len(page.Messages) != 1 || page.Messages[0]["payload"] != "hello" {
		t.Errorf("browse --json: %v", page)
	}

	// consume --requeue peeks (the message comes back redelivered);
	// consume acks.
	peek := n.ok("consume", "orders", "--requeue")
	if cells := row(t, peek, "1"); cells[3] != "no" || cells[4] != "1" || !strings.Contains(cells[5], "message_id=m-1") || cells[7] != "hello" {
		t.Errorf("consume --requeue row %q in:\n%s", cells, peek)
	}
	var got []map[string]any
	n.jsonOf(&got, "consume", "orders", "--count", "5")
	if len(got) != 2 || got[0]["payload"] != "hello" || got[0]["redelivered"] != true || got[1]["payload"] != "line one\nline two" {
		t.Fatalf("consume --json: %v", got)
	}
	if r := n.ferry("", "consume", "orders"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no messages ready in orders") {
		t.Errorf("consume of an empty queue: %+v", r)
	}

	// Purge, then delete: --if-empty refuses while a message is there.
	n.ok("publish", "orders", "--body", "x")
	if r := n.ferry("", "queues", "delete", "orders", "--if-empty"); r.code != 1 || !strings.Contains(r.stderr, "orders") {
		t.Errorf("delete --if-empty of a non-empty queue: %+v", r)
	}
	if out := n.ok("queues", "purge", "orders"); !strings.Contains(out, "queue orders purged (1 message waiting)") {
		t.Errorf("purge said %q", out)
	}
	n.ok("queues", "delete", "orders", "--if-empty")
	n.jsonOf(&qs, "queues", "list")
	if len(qs) != 1 || qs[0]["name"] != "scratch" {
		t.Errorf("after delete: %v", qs)
	}
}

func TestCLIBadInput(t *testing.T) {
	n := startCLINode(t)
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"queues", "delete", "nope"}, 1, "ferry queues delete: no queue 'nope' in vhost '/' (HTTP 404"},
		{[]string{"queues", "browse", "nope"}, 1, "no queue 'nope'"},
		{[]string{"consume", "nope"}, 1, "no queue 'nope'"},
		{[]string{"dlq", "redrive", "nope"}, 1, "no queue 'nope'"},
		{[]string{"queues", "list", "--vhost", "nope"}, 1, "no vhost 'nope'"},
		{[]string{"queues", "create", "q", "--arg", "x-max-length=lots"}, 1, "x-max-length"},
		{[]string{"publish", "--exchange", "amq.direct", "--routing-key", "none", "--body", "x"}, 1, "the message was not routed to any queue"},
		{[]string{"publish", "--exchange", "nope", "--routing-key", "k", "--body", "x"}, 1, "nope"},
		{[]string{"connections", "close", "nobody"}, 1, "no connection 'nobody'"},
		{[]string{"status", "--password", "wrong"}, 1, "HTTP 401"},
		{[]string{"queues", "list", "--bogus"}, 2, "unknown flag --bogus"},
		{[]string{"queues", "create"}, 2, "missing NAME"},
		{[]string{"consume", "q", "--count", "0"}, 2, "--count must be 1 to 1000"},
		{[]string{"queues", "frob"}, 2, `unknown command "frob"`},
	} {
		r := n.ferry("", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("ferry %q: exit %d, stderr %q; want exit %d and %q", c.args, r.code, r.stderr, c.code, c.stderr)
		}
		if c.code == 2 && !strings.Contains(r.stderr, "Usage: ferry ") {
			t.Errorf("ferry %q: a usage error without the usage:\n%s", c.args, r.stderr)
		}
	}
	if out := n.ok("help", "dlq", "redrive"); !strings.Contains(out, "Usage: ferry dlq redrive QUEUE") {
		t.Errorf("help dlq redrive:\n%s", out)
	}
	if out := n.ok("help"); !strings.Contains(out, "ferry connections close NAME") {
		t.Errorf("help lacks the CLI:\n%s", out)
	}
}

// deadLetter makes messages die in work (rejected through amqp091-go)
// into work.dlq, and returns once work.dlq holds them all.
func (n *cliNode) deadLetter(bodies ...string) {
	n.t.Helper()
	t := n.t
	n.ok("queues", "create", "work.dlq")
	n.ok("queues", "create", "work", "--arg", "x-dead-letter-exchange=", "--arg", "x-dead-letter-routing-key=work.dlq")
	ch, err := n.dial().Channel()
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bodies {
		tenant := "acme"
		if i%2 == 1 {
			tenant = "globex"
		}
		n.ok("publish", "work", "--body", b, "--header", "tenant="+tenant, "--property", "message_id=id-"+b)
	}
	dels, err := ch.Consume("work", "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range bodies {
		d := <-dels
		if err := d.Reject(false); err != nil {
			t.Fatal(err)
		}
	}
	// Await the dead letters by consuming them from work.dlq, then give
	// them back: closing the channel requeues them before close-ok.
	dch, err := n.dial().Channel()
	if err != nil {
		t.Fatal(err)
	}
	dd, err := dch.Consume("work.dlq", "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range bodies {
		<-dd
	}
	if err := dch.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCLIDeadLetters(t *testing.T) {
	n := startCLINode(t)
	n.deadLetter("one", "two", "three")

	list := n.ok("dlq", "list")
	if cells := row(t, list, "work.dlq"); strings.Join(cells[1:5], " ") != "3 work rejected work" || !strings.HasSuffix(cells[5], "ago") {
		t.Errorf("dlq list row %q in:\n%s", cells, list)
	}
	if strings.Contains(list, "\nwork ") {
		t.Errorf("dlq list shows the source queue as a DLQ:\n%s", list)
	}
	var dl []map[string]any
	n.jsonOf(&dl, "dlq", "list")
	if len(dl) != 1 || dl[0]["queue"] != "work.dlq" || dl[0]["messages"] != float64(3) || dl[0]["last_reason"] != "rejected" {
		t.Errorf("dlq list --json: %v", dl)
	}

	show := n.ok("dlq", "show", "work.dlq")
	if cells := row(t, show, "1"); strings.Join(cells[1:5], " ") != "id-one rejected work 1" || cells[6] != "one" {
		t.Errorf("dlq show row %q in:\n%s", cells, show)
	}

	dry := n.ok("dlq", "redrive", "work.dlq", "--dry-run")
	if cells := row(t, dry, "work"); cells[1] != "3" || !strings.Contains(dry, "dry run: 3 messages would move from work.dlq; nothing was moved") {
		t.Errorf("dry run:\n%s", dry)
	}

	// Not a terminal: plain progress lines on stderr, a summary on stdout.
	r := n.ferry("", "dlq", "redrive", "work.dlq", "--limit", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "moved 2 of 2 messages from work.dlq back to the queues they died in") ||
		!strings.HasSuffix(r.stderr, "moved 2/2\n") || strings.Contains(r.stderr, "\r") {
		t.Errorf("redrive --limit 2: %+v", r)
	}
	r = n.ferry("", "dlq", "redrive", "work.dlq", "--to", "work", "--rate", "100")
	if r.code != 0 || !strings.Contains(r.stdout, "moved 1 of 1 message from work.dlq to work") {
		t.Errorf("redrive --to: %+v", r)
	}
	var qs []map[string]any
	n.jsonOf(&qs, "queues", "list")
	for _, q := range qs {
		want := map[string]float64{"work": 3, "work.dlq": 0}[q["name"].(string)]
		if q["messages"] != want {
			t.Errorf("after redrive %s holds %v messages, want %v", q["name"], q["messages"], want)
		}
	}

	// --no-wait returns the task; a redrive that fails exits 1: a
	// message with no x-death has nowhere to go back to.
	n.ok("queues", "create", "plain")
	n.ok("publish", "plain", "--body", "never died")
	var task map[string]any
	n.jsonOf(&task, "dlq", "redrive", "plain", "--no-wait")
	if task["id"] == nil || task["queue"] != "plain" {
		t.Errorf("redrive --no-wait --json: %v", task)
	}
	n.ok("publish", "plain", "--body", "never died either")
	r = n.ferry("", "dlq", "redrive", "plain")
	if r.code != 1 || !strings.Contains(r.stderr, "failed after moving 0") || !strings.Contains(r.stderr, "no x-death") {
		t.Errorf("failing redrive: %+v", r)
	}
}

// TestCLIRedriveMatch needs the redrive filter of the admin API
// (match.headers): only the acme messages move.
func TestCLIRedriveMatch(t *testing.T) {
	n := startCLINode(t)
	n.deadLetter("a1", "g1", "a2", "g2")
	dry := n.ok("dlq", "redrive", "work.dlq", "--match", "tenant=acme", "--dry-run")
	if !strings.Contains(dry, "dry run: 2 messages would move") {
		t.Errorf("dry run with --match:\n%s", dry)
	}
	r := n.ferry("", "dlq", "redrive", "work.dlq", "--match", "tenant=acme")
	if r.code != 0 || !strings.Contains(r.stdout, "moved 2 of 2 messages") {
		t.Fatalf("redrive --match: %+v", r)
	}
	var left []map[string]any
	n.jsonOf(&left, "consume", "work.dlq", "--count", "10")
	if len(left) != 2 || left[0]["payload"] != "g1" || left[1]["payload"] != "g2" {
		t.Errorf("left in work.dlq: %v", left)
	}
	// With --json the ended task is printed, also when the start's answer
	// already shows it done.
	n.deadLetter("a3")
	var task map[string]any
	n.jsonOf(&task, "dlq", "redrive", "work.dlq", "--match", "tenant=acme")
	if task["state"] != "done" || task["moved"] != float64(1) {
		t.Errorf("redrive --json: %v", task)
	}
}

func TestCLIConnections(t *testing.T) {
	n := startCLINode(t)
	conn := n.dial()
	closed := conn.NotifyClose(make(chan *amqp091.Error, 1))

	list := n.ok("connections", "list")
	var cs []map[string]any
	n.jsonOf(&cs, "connections", "list")
	if len(cs) != 1 || cs[0]["user"] != "guest" {
		t.Fatalf("connections list --json: %v", cs)
	}
	name := cs[0]["name"].(string)
	if cells := row(t, list, name); cells[1] != "guest" || cells[2] != "/" || cells[3] != "AMQP 0-9-1" || !strings.HasSuffix(cells[7], "ago") {
		t.Errorf("connections list row %q in:\n%s", cells, list)
	}

	if out := n.ok("connections", "close", name, "--reason", "maintenance window"); !strings.Contains(out, "connection "+name+" closed") {
		t.Errorf("close said %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp091.ConnectionForced || !strings.Contains(e.Reason, "maintenance window") {
			t.Errorf("NotifyClose got %v, want 320 with the reason", e)
		}
	case <-ctx.Done():
		t.Fatal("the connection was not closed")
	}
	if out := n.ok("connections", "list"); !strings.Contains(out, "(no connections)") {
		t.Errorf("after close:\n%s", out)
	}
}

func TestCLIStatus(t *testing.T) {
	n := startCLINode(t)
	n.ok("queues", "create", "a")
	n.ok("publish", "a", "--body", "x")
	n.dial()
	out := n.ok("status")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^version +ferry ` + regexp.QuoteMeta(testVersion)),
		regexp.MustCompile(`(?m)^uptime +\d+(\.\d)?(ms|s|m\d\ds) \(since \d{4}-`),
		regexp.MustCompile(`(?m)^admin API +` + regexp.QuoteMeta(n.adminURL) + `$`),
		regexp.MustCompile(`(?m)^listener +amqp on ` + regexp.QuoteMeta(n.amqpAddr) + `$`),
		regexp.MustCompile(`(?m)^listener +http on ` + regexp.QuoteMeta(strings.TrimPrefix(n.adminURL, "http://")) + `$`),
		regexp.MustCompile(`(?m)^listener +sqs on 127\.0\.0\.1:\d+$`),
		regexp.MustCompile(`(?m)^messages +1 \(ready 1, unacked 0\)$`),
		regexp.MustCompile(`(?m)^rates +publish \d+\.\d/s, deliver \d+\.\d/s, ack \d+\.\d/s$`),
		regexp.MustCompile(`(?m)^queues +1 \(exchanges \d+\)$`),
		regexp.MustCompile(`(?m)^connections +1 \(channels 0, consumers 0\)$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("status lacks %s:\n%s", want, out)
		}
	}
	var o map[string]any
	n.jsonOf(&o, "status")
	if o["product_version"] == nil || o["queue_totals"] == nil {
		t.Errorf("status --json: %v", o)
	}
}

// TestCLIHistory needs the message history endpoints (the events
// engineer's): a queue with x-history keeps what happened to a message.
func TestCLIHistory(t *testing.T) {
	n := startCLINode(t)
	n.ok("queues", "create", "tracked", "--arg", "x-history=true")
	n.ok("publish", "tracked", "--body", "follow me", "--property", "message_id=trace-1")
	n.ok("consume", "tracked")
	out := n.ok("history", "trace-1")
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		cells := regexp.MustCompile(`\s{2,}`).Split(line, -1)
		events = append(events, cells[1])
		if cells[2] != "tracked" {
			t.Errorf("event row %q: queue should be tracked", cells)
		}
	}
	if strings.Join(events, " ") != "published delivered acked" {
		t.Errorf("history events %q, want published delivered acked:\n%s", events, out)
	}
	var h struct {
		MessageID string `json:"message_id"`
		Events    []struct {
			Event string `json:"event"`
			ID    uint64 `json:"id"`
		} `json:"events"`
	}
	n.jsonOf(&h, "history", "trace-1")
	if h.MessageID != "trace-1" || len(h.Events) != 3 {
		t.Fatalf("history --json: %+v", h)
	}
	byID := n.ok("history", "--queue", "tracked", "--id", strconv.FormatUint(h.Events[0].ID, 10))
	if !strings.Contains(byID, "published") {
		t.Errorf("history --queue --id:\n%s", byID)
	}
	if r := n.ferry("", "history", "no-such-message"); r.code != 1 || !strings.Contains(r.stderr, "HTTP 404") {
		t.Errorf("history of an unknown message: %+v", r)
	}
}
