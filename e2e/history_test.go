package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	amqp "github.com/rabbitmq/amqp091-go"
)

// listenAddr returns the address the node's component (admin, sqs)
// logged that it listens on.
func (n *node) listenAddr(t *testing.T, component string) string {
	t.Helper()
	var addr string
	n.proc.WaitFor("the "+component+" listening line", func(line string) bool {
		var rec struct{ Msg, Component, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "listening" || rec.Component != component {
			return false
		}
		addr = rec.Addr
		return addr != ""
	})
	return addr
}

type historyEvent struct {
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Queue      string    `json:"queue"`
	ID         uint64    `json:"id"`
	Connection string    `json:"connection"`
	Consumer   string    `json:"consumer"`
	Deliveries uint32    `json:"deliveries"`
	Reason     string    `json:"reason"`
}

type historyDoc struct {
	VHost     string         `json:"vhost"`
	MessageID string         `json:"message_id"`
	Events    []historyEvent `json:"events"`
	Truncated bool           `json:"truncated"`
}

// getHistory reads path from the admin API as guest.
func getHistory(t *testing.T, admin, path string) (int, historyDoc) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+admin+path, nil)
	must(t, err)
	req.SetBasicAuth("guest", "guest")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	var d historyDoc
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode, d
}

func eventNames(d historyDoc) []string {
	var out []string
	for _, e := range d.Events {
		out = append(out, e.Event)
	}
	return out
}

// TestHistorySurvivesKill9: a message's history (publish, deliveries, a
// nack) is still there after the node is killed with SIGKILL and
// started again on the same folder, for the message still in its
// durable queue and for one acked before the kill.
func TestHistorySurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	conn := n.dial(t)
	connName := conn.LocalAddr().String() + " -> " + conn.RemoteAddr().String()
	ch, err := conn.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("audit", true, false, false, false, amqp.Table{"x-history": true})
	must(t, err)
	must(t, ch.Confirm(false))
	pub := func(id string) {
		t.Helper()
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", "audit", false, false,
			amqp.Publishing{DeliveryMode: amqp.Persistent, MessageId: id, Body: []byte(id)})
		must(t, err)
		if !dc.Wait() {
			t.Fatalf("publish %s nacked", id)
		}
	}
	pub("h-1")
	pub("h-2")
	ds, err := ch.Consume("audit", "c1", false, false, false, false, nil)
	must(t, err)
	next := func() amqp.Delivery {
		t.Helper()
		d, ok := <-ds
		if !ok {
			t.Fatal("deliveries closed")
		}
		return d
	}
	d1 := next()
	d2 := next()
	if d1.MessageId != "h-1" || d2.MessageId != "h-2" {
		t.Fatalf("got %s, %s", d1.MessageId, d2.MessageId)
	}
	must(t, d1.Ack(false))
	must(t, d2.Nack(false, true))
	if d := next(); d.MessageId != "h-2" || !d.Redelivered {
		t.Fatalf("redelivery = %s (redelivered %v)", d.MessageId, d.Redelivered)
	}
	// A confirmed publish after these is a barrier: its published event
	// is durable before its confirm, and the history log is written in
	// order, so everything before it is on disk too.
	pub("h-3")
	n.kill9(t)

	n = startNode(t, dir)
	admin := n.listenAddr(t, "admin")
	code, h2 := getHistory(t, admin, "/api/ferry/history/%2F/h-2")
	if code != http.StatusOK {
		t.Fatalf("h-2 after kill -9: status %d", code)
	}
	want := []string{"published", "delivered", "nacked", "requeued", "delivered"}
	if fmt.Sprint(eventNames(h2)) != fmt.Sprint(want) {
		t.Fatalf("h-2 events = %v, want %v", eventNames(h2), want)
	}
	if e := h2.Events[0]; e.Connection != connName || e.Queue != "audit" {
		t.Errorf("published = %+v, want connection %q", e, connName)
	}
	if e := h2.Events[4]; e.Consumer != "c1" || e.Deliveries != 2 || e.Connection != connName {
		t.Errorf("second delivery = %+v", e)
	}
	code, byID := getHistory(t, admin, fmt.Sprintf("/api/ferry/queues/%%2F/audit/messages/%d/history", h2.Events[0].ID))
	if code != http.StatusOK || len(byID.Events) != len(h2.Events) || byID.MessageID != "h-2" {
		t.Errorf("by engine id: %d %+v", code, byID)
	}
	code, h1 := getHistory(t, admin, "/api/ferry/history/%2F/h-1")
	if want := []string{"published", "delivered", "acked"}; code != http.StatusOK || fmt.Sprint(eventNames(h1)) != fmt.Sprint(want) {
		t.Errorf("h-1 after kill -9: %d %v, want %v", code, eventNames(h1), want)
	}
	// h-3 went to c1 at once; that delivery may or may not have reached
	// the disk before the kill, its publish must have.
	if code, h3 := getHistory(t, admin, "/api/ferry/history/%2F/h-3"); code != http.StatusOK || len(h3.Events) == 0 || h3.Events[0].Event != "published" {
		t.Errorf("h-3 (confirmed just before the kill): %d %v", code, eventNames(h3))
	}

	// The restarted node goes on recording: the message comes back
	// redelivered (its lease died with the process).
	conn = n.dial(t)
	ch, err = conn.Channel()
	must(t, err)
	ds, err = ch.Consume("audit", "c2", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 2; i++ {
		d, ok := <-ds
		if !ok {
			t.Fatal("deliveries closed")
		}
		must(t, d.Ack(false))
	}
	must(t, ch.Cancel("c2", false)) // after the acks: one channel's frames are handled in order
	_, h2 = getHistory(t, admin, "/api/ferry/history/%2F/h-2")
	if got := eventNames(h2); len(got) != 7 || got[5] != "delivered" || got[6] != "acked" {
		t.Errorf("h-2 after the restart's ack = %v", got)
	}
	n.stop(t)
}

// TestHistoryOfAnSQSMessage: a queue given history by a policy, used
// over SQS; its history is found by the SQS MessageId, with the sender.
func TestHistoryOfAnSQSMessage(t *testing.T) {
	dir := t.TempDir()
	policies := filepath.Join(dir, "policies.json")
	must(t, os.WriteFile(policies, []byte(`[{"name": "keep", "vhost": "/", "pattern": "^jobs$", "apply-to": "queues",
		"definition": {"history": true}}]`), 0o600))
	n := startNode(t, filepath.Join(dir, "data"), "--policies-file", policies)
	admin, sqsAddr := n.listenAddr(t, "admin"), n.listenAddr(t, "sqs")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + sqsAddr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDJOBS", "secret", ""), RetryMaxAttempts: 1})
	q, err := sc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs")})
	must(t, err)
	sent, err := sc.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("job")})
	must(t, err)
	out, err := sc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSenderId}})
	must(t, err)
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages", len(out.Messages))
	}
	_, err = sc.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle})
	must(t, err)
	sender := out.Messages[0].Attributes["SenderId"]
	code, h := getHistory(t, admin, "/api/ferry/history/%2F/"+*sent.MessageId)
	if want := []string{"published", "delivered", "acked"}; code != http.StatusOK || fmt.Sprint(eventNames(h)) != fmt.Sprint(want) {
		t.Fatalf("history of %s: %d %v, want %v", *sent.MessageId, code, eventNames(h), want)
	}
	if sender == "" || h.Events[0].Connection != sender || h.Events[1].Connection != sender {
		t.Errorf("sender %q; published by %q, delivered to %q", sender, h.Events[0].Connection, h.Events[1].Connection)
	}
	n.stop(t)
}
