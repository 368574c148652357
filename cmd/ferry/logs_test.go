package main

import (
	"path/filepath"
	"syscall"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// TestServeLogsConnections: one line when an AMQP connection opens (who,
// from where, to which vhost) and one when it closes, with the same conn
// attribute.
func TestServeLogsConnections(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "data"), ferrytest.Env())
	line := p.WaitFor("amqp listening", func(line string) bool {
		m := logLine(line)
		return m != nil && m["component"] == "amqp" && m["msg"] == "listening"
	})
	addr, _ := logLine(line)["addr"].(string)
	waitReady(t, p)
	c, err := amqp091.Dial("amqp://guest:guest@" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	opened := logLine(p.WaitFor("connection open", func(line string) bool {
		m := logLine(line)
		return m != nil && m["msg"] == "connection open"
	}))
	if opened["user"] != "guest" || opened["vhost"] != "/" || opened["conn"] == nil || opened["remote"] == nil {
		t.Errorf("open line = %v, want user, vhost, conn and remote", opened)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	closed := logLine(p.WaitFor("connection closed", func(line string) bool {
		m := logLine(line)
		return m != nil && m["msg"] == "connection closed" && m["conn"] == opened["conn"]
	}))
	if closed["reason"] == nil || closed["reason"] == "" {
		t.Errorf("close line = %v, want a reason", closed)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("ferry exited %d; output:\n%s", code, p.Output())
	}
}
