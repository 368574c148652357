package main

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// TestServeSQS starts a node and talks to its SQS listener in the query
// protocol: the front end is wired, says at start that it accepts any
// credentials, and creates a queue of the default vhost.
func TestServeSQS(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "data"), ferrytest.Env(), "--sqs-account-id=123456789012")
	line := p.WaitFor("sqs listening", func(line string) bool {
		m := logLine(line)
		return m != nil && m["component"] == "sqs" && m["msg"] == "listening"
	})
	addr, _ := logLine(line)["addr"].(string)
	waitReady(t, p)
	if !strings.Contains(p.Output(), "accepting any credentials") {
		t.Errorf("no start-up line about credentials:\n%s", p.Output())
	}
	resp, err := http.PostForm("http://"+addr+"/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"wired"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/123456789012/wired</QueueUrl>") {
		t.Fatalf("CreateQueue: %d %s", resp.StatusCode, body)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("ferry exited %d; output:\n%s", code, p.Output())
	}
}
