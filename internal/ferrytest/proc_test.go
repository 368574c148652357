package ferrytest

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestProcWaitForAndExitCode(t *testing.T) {
	p := Start(t, "/bin/sh", []string{"-c", "echo one; echo two >&2; echo ready; exit 3"}, Env())
	if got := p.WaitFor("ready", func(l string) bool { return strings.HasPrefix(l, "rea") }); got != "ready" {
		t.Errorf("WaitFor = %q, want ready", got)
	}
	// Lines printed before the wait began are still found.
	if got := p.WaitFor("two", func(l string) bool { return l == "two" }); got != "two" {
		t.Errorf("WaitFor = %q, want two (from stderr)", got)
	}
	if code := p.Wait(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	if out := p.Output(); out != "one\ntwo\nready" {
		t.Errorf("Output = %q", out)
	}
}

func TestProcSignal(t *testing.T) {
	p := Start(t, "/bin/sh", []string{"-c", "sleep 600 >/dev/null 2>&1 & trap 'kill $!; echo got term; exit 0' TERM; echo ready; wait"}, Env())
	p.WaitFor("ready", func(l string) bool { return l == "ready" })
	p.Signal(syscall.SIGTERM)
	p.WaitFor("trap output", func(l string) bool { return l == "got term" })
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

func TestEnvDropsFerryVariables(t *testing.T) {
	t.Setenv("FERRY_SYNC", "none")
	env := Env("FERRY_LOG_FORMAT=json")
	joined := "\n" + strings.Join(env, "\n") + "\n"
	if strings.Contains(joined, "\nFERRY_SYNC=") || !strings.Contains(joined, "\nFERRY_LOG_FORMAT=json\n") {
		t.Errorf("Env() = %q: want FERRY_SYNC dropped and the extra kept", env)
	}
	if len(env) < len(os.Environ())-1 {
		t.Errorf("Env() dropped more than FERRY_* variables")
	}
}
