package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// adminAddr waits for the admin listener's log line and returns its
// address.
func adminAddr(t *testing.T, p *ferrytest.Proc) string {
	t.Helper()
	line := p.WaitFor("admin listening", func(line string) bool {
		m := logLine(line)
		return m != nil && m["component"] == "admin" && m["msg"] == "listening"
	})
	addr, _ := logLine(line)["addr"].(string)
	return addr
}

// httpGet answers status and body of GET url, as guest if auth.
func httpGet(t *testing.T, url string, auth bool) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth {
		req.SetBasicAuth("guest", "guest")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServeHealthAndStore: a started node is ready once it logs
// "ready", and shows its disk store in /api/overview and /metrics; a
// message sent with the AWS SDK is one confirm timed, one segment and at
// least one fsync of one record.
func TestServeHealthAndStore(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "data"), ferrytest.Env())
	base := "http://" + adminAddr(t, p)
	sqsLine := p.WaitFor("sqs listening", func(line string) bool {
		m := logLine(line)
		return m != nil && m["component"] == "sqs" && m["msg"] == "listening"
	})
	sqsAddr, _ := logLine(sqsLine)["addr"].(string)
	waitReady(t, p)
	if code, body := httpGet(t, base+"/healthz", false); code != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := httpGet(t, base+"/readyz", false)
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &ready); err != nil || code != 200 || ready.Status != "ready" || ready.Checks["listeners"] != "ok" || ready.Checks["disk"] != "ok" {
		t.Errorf("/readyz: %d %s (%v)", code, body, err)
	}
	code, body = httpGet(t, base+"/api/overview", true)
	var ov struct {
		Store struct {
			Bytes    *int64  `json:"bytes"`
			Segments *int    `json:"segments"`
			Free     *uint64 `json:"data_dir_free_bytes"`
		} `json:"ferry_store"`
	}
	if err := json.Unmarshal(body, &ov); err != nil || code != 200 || ov.Store.Bytes == nil || ov.Store.Segments == nil || ov.Store.Free == nil || *ov.Store.Free == 0 {
		t.Errorf("overview ferry_store: %d %s (%v)", code, body, err)
	}
	code, body = httpGet(t, base+"/metrics", false)
	for _, name := range []string{"ferry_store_segments 0", "ferry_store_bytes 0", "ferry_store_fsync_seconds_count 0", "ferry_publish_confirm_seconds_count 0"} {
		if code != 200 || !strings.Contains(string(body), "\n"+name+"\n") {
			t.Errorf("/metrics lacks %q", name)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + sqsAddr),
		Credentials: credentials.NewStaticCredentialsProvider("id", "secret", ""), RetryMaxAttempts: 1})
	q, err := sc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("measured")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	_, body = httpGet(t, base+"/metrics", false)
	for _, name := range []string{"ferry_publish_confirm_seconds_count 1", "ferry_store_segments 1"} {
		if !strings.Contains(string(body), "\n"+name+"\n") {
			t.Errorf("/metrics after one SendMessage lacks %q", name)
		}
	}
	if strings.Contains(string(body), "\nferry_store_fsync_batch_records_count 0\n") {
		t.Errorf("no fsync counted after a durable send")
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("ferry exited %d; output:\n%s", code, p.Output())
	}
}
