// Package e2e tests the real ferry binary from the outside, the way users
// meet it: built once, started as a process on a temp data folder, and
// spoken to only through its protocols by client libraries that are not
// ours (amqp091-go in Go, pika in Python). Crash tests kill it with
// SIGKILL and start it again on the same folder.
//
// The package holds tests only. Every wait is on an event: a log line of
// the node (ferrytest.WaitFor), a confirm, a delivery or a closed channel;
// nothing here sleeps or measures time.
package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/ferrymq/ferry/internal/ferrytest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ferryBin is the binary built by TestMain (with -race when the tests
// are), shared by every test.
var ferryBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ferry-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ferryBin, err = ferrytest.Build(dir, "")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build ferry: %v\n", err)
		return 1
	}
	return m.Run()
}

// node is one running ferry process.
type node struct {
	proc *ferrytest.Proc
	addr string // the AMQP listener's bound address, from its log line
}

// startNode runs `ferry serve` on dataDir with every listener on a free
// loopback port (so tests may run in parallel, and with each other's
// packages) and JSON logs, and returns once the node logged "ready".
// extra flags go last, so they win.
func startNode(t *testing.T, dataDir string, extra ...string) *node {
	t.Helper()
	args := append([]string{"serve",
		"--data-dir", dataDir,
		"--amqp-listen", "127.0.0.1:0",
		"--sqs-listen", "127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0",
		"--log-format", "json",
	}, extra...)
	p := ferrytest.Start(t, ferryBin, args, ferrytest.Env())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ferry (pid %d) output:\n%s", p.Pid(), p.Output())
		}
	})
	n := &node{proc: p}
	p.WaitFor("the AMQP listening line", func(line string) bool {
		var rec struct{ Msg, Component, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			return false
		}
		if rec.Msg == "listening" && rec.Component == "amqp" && rec.Addr != "" {
			n.addr = rec.Addr
			return true
		}
		return false
	})
	p.WaitFor("ready", func(line string) bool {
		var rec struct{ Msg string }
		return json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "ready"
	})
	return n
}

// url is the node's AMQP URL for the default user and vhost.
func (n *node) url() string { return "amqp://guest:guest@" + n.addr + "/" }

// dial opens an amqp091-go connection to the node, closed when the test
// ends (a no-op if the node is gone by then).
func (n *node) dial(t *testing.T) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(n.url())
	if err != nil {
		t.Fatalf("dial %s: %v", n.addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// kill9 sends SIGKILL and waits until the process is gone, so that the
// next node on the same folder finds the LOCK free. The node must still
// have been running: one that died on its own fails the test.
func (n *node) kill9(t *testing.T) {
	t.Helper()
	n.proc.Signal(os.Kill)
	if code := n.proc.Wait(); code != -1 {
		t.Fatalf("ferry after SIGKILL: exit code %d, want -1 (killed by a signal)", code)
	}
}

// stop asks the node to shut down cleanly and checks it exits 0.
func (n *node) stop(t *testing.T) {
	t.Helper()
	n.proc.Signal(os.Interrupt)
	if code := n.proc.Wait(); code != 0 {
		t.Fatalf("ferry after SIGINT: exit code %d, want 0", code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
