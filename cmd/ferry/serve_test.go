package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// startServe runs "ferry serve" on dataDir with JSON logs and loopback
// front-end addresses on free ports, plus args, under env.
func startServe(t *testing.T, dataDir string, env []string, args ...string) *ferrytest.Proc {
	t.Helper()
	base := []string{"serve", "--data-dir", dataDir, "--log-format=json",
		"--amqp-listen=127.0.0.1:0", "--sqs-listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0"}
	return ferrytest.Start(t, ferryBin, append(base, args...), env)
}

// logLine decodes a JSON log line, or returns nil if line is not one.
func logLine(line string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return nil
	}
	return m
}

// msgIs matches JSON log lines whose message starts with prefix.
func msgIs(prefix string) func(string) bool {
	return func(line string) bool {
		m := logLine(line)
		msg, _ := m["msg"].(string)
		return m != nil && strings.HasPrefix(msg, prefix)
	}
}

func waitReady(t *testing.T, p *ferrytest.Proc) {
	t.Helper()
	p.WaitFor("ready", msgIs("ready"))
}

func TestServeLocksDataDirAndShutsDownOnSIGTERM(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "nested", "data") // created by serve
	first := startServe(t, dataDir, ferrytest.Env())
	waitReady(t, first)

	// A second node on the same folder refuses to start, naming the folder
	// and the pid that holds it.
	second := startServe(t, dataDir, ferrytest.Env())
	if code := second.Wait(); code != exitFailed {
		t.Fatalf("second ferry exited %d, want %d; output:\n%s", code, exitFailed, second.Output())
	}
	out := second.Output()
	for _, want := range []string{dataDir, "pid " + strconv.Itoa(first.Pid()), "is in use by another ferry"} {
		if !strings.Contains(out, want) {
			t.Errorf("second ferry's output lacks %q:\n%s", want, out)
		}
	}

	first.Signal(syscall.SIGTERM)
	if code := first.Wait(); code != exitOK {
		t.Fatalf("ferry exited %d after SIGTERM, want 0; output:\n%s", code, first.Output())
	}
	if !strings.Contains(first.Output(), `"msg":"stopped cleanly"`) {
		t.Errorf("no clean-stop line in output:\n%s", first.Output())
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, "LOCK")); err != nil || len(b) != 0 {
		t.Errorf("LOCK after shutdown = %q, %v; want an empty file", b, err)
	}

	// The lock was released: a third node starts on the same folder.
	third := startServe(t, dataDir, ferrytest.Env())
	waitReady(t, third)
	third.Signal(syscall.SIGTERM)
	if code := third.Wait(); code != exitOK {
		t.Fatalf("third ferry exited %d, want 0; output:\n%s", code, third.Output())
	}
}

func TestServeTextLogsAndSIGINT(t *testing.T) {
	dataDir := t.TempDir()
	p := ferrytest.Start(t, ferryBin, []string{"serve", "--data-dir", dataDir,
		"--amqp-listen=127.0.0.1:0", "--sqs-listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0"}, ferrytest.Env())
	line := p.WaitFor("ready", func(l string) bool { return strings.Contains(l, " msg=ready ") })
	if !strings.Contains(line, "level=INFO") || !strings.Contains(line, "component=server") {
		t.Errorf("ready line is not a text log line with a component: %q", line)
	}
	p.Signal(syscall.SIGINT)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("ferry exited %d after SIGINT, want 0; output:\n%s", code, p.Output())
	}
	if !strings.Contains(p.Output(), `cause="interrupt signal received"`) {
		t.Errorf("shutdown line does not say why:\n%s", p.Output())
	}
}

func TestServeLogsSettingsInForce(t *testing.T) {
	// Each source sets a different key, and one key is set by all three:
	// the line with the settings in force shows who won.
	dir := t.TempDir()
	conf := filepath.Join(dir, "ferry.conf")
	content := "sync = none  # from the file\nsegment-size = 1MiB\nlog-level = warn\n"
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := ferrytest.Env("FERRY_CONFIG="+conf, "FERRY_SYNC=interval", "FERRY_SYNC_INTERVAL=20ms", "FERRY_LOG_LEVEL=info",
		"FERRY_SYNK=none") // a typo: warned about, not fatal
	p := startServe(t, filepath.Join(dir, "data"), env, "--shutdown-timeout=7s")
	warning := logLine(p.WaitFor("unknown variable warning", msgIs("ignoring unknown environment variable")))
	if warning["name"] != "FERRY_SYNK" || warning["level"] != "WARN" {
		t.Errorf("warning line %v, want level WARN naming FERRY_SYNK", warning)
	}
	settings := logLine(p.WaitFor("settings line", msgIs("starting")))
	waitReady(t, p)
	want := map[string]string{
		"sync":             "interval", // env beats file
		"sync-interval":    "20ms",     // env beats default
		"segment-size":     "1MiB",     // file beats default
		"log-level":        "info",     // env beats file
		"shutdown-timeout": "7s",       // flag beats default
		"log-format":       "json",     // flag
		"data-dir":         filepath.Join(dir, "data"),
		"config":           conf,
		"version":          "ferry " + testVersion + " (commit " + testCommit[:12],
	}
	for k, v := range want {
		got, _ := settings[k].(string)
		if k == "version" && strings.HasPrefix(got, v) {
			continue
		}
		if got != v {
			t.Errorf("settings line: %s = %q, want %q", k, got, v)
		}
	}
	if settings["component"] != "server" {
		t.Errorf("settings line has component %v, want server", settings["component"])
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("exit %d, want 0:\n%s", code, p.Output())
	}
}

func TestServeBadSettingsExit2(t *testing.T) {
	dir := t.TempDir()
	p := ferrytest.Start(t, ferryBin, []string{"serve", "--data-dir", dir, "--sync=sometimes"},
		ferrytest.Env("FERRY_SYNC_INTERVAL=soon"))
	if code := p.Wait(); code != exitUsage {
		t.Fatalf("exit %d, want %d:\n%s", code, exitUsage, p.Output())
	}
	out := p.Output()
	for _, want := range []string{"sync (from flag --sync)", "sync-interval (from environment variable FERRY_SYNC_INTERVAL)", "ferry help serve"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); !os.IsNotExist(err) {
		t.Errorf("bad settings still touched the data folder (LOCK: %v)", err)
	}
}

func TestVersionCommand(t *testing.T) {
	p := ferrytest.Start(t, ferryBin, []string{"version"}, ferrytest.Env())
	if code := p.Wait(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, p.Output())
	}
	want := "ferry " + testVersion + " (commit " + testCommit[:12] + ", go"
	if out := p.Output(); !strings.HasPrefix(out, want) {
		t.Errorf("ferry version printed %q, want it to start with %q", out, want)
	}
}
