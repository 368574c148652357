package ferrytest

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proc is a running ferry process. Its stdout and stderr are read, line by
// line, into one transcript that tests can wait on.
type Proc struct {
	t   testing.TB
	cmd *exec.Cmd

	mu    sync.Mutex
	cond  *sync.Cond // signalled on each new line and at end of output; uses mu
	lines []string   // guarded by mu; everything printed so far
	eof   bool       // guarded by mu; output closed: the process has exited

	readDone chan struct{} // closed once the reader has seen end of output
	waitOnce sync.Once
	exitCode int   // set in waitOnce
	waitErr  error // set in waitOnce; an error other than a non-zero exit
}

// Start runs bin with args. env is the whole environment of the process:
// pass Env() plus what the test sets, so that the caller's FERRY_*
// variables never leak in. The process is killed, if still running, when
// the test ends.
func Start(t testing.TB, bin string, args, env []string) *Proc {
	t.Helper()
	p := &Proc{t: t, cmd: exec.Command(bin, args...), readDone: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	p.cmd.Env = env
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("ferrytest: %v", err)
	}
	// Same writer for both, so lines from the two streams never interleave
	// mid-line.
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("ferrytest: start %s: %v", bin, err)
	}
	go p.read(out)
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
		}
		p.Wait()
	})
	return p
}

// Env returns the current environment without FERRY_* variables, so a
// developer's own settings do not change what tests see.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FERRY_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func (p *Proc) read(r io.Reader) {
	defer close(p.readDone)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	// Drain whatever follows an over-long line so the child never blocks.
	_, _ = io.Copy(io.Discard, r)
	p.mu.Lock()
	p.eof = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Proc) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eof
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// WaitFor blocks until a line for which match returns true has been
// printed (it may have been printed already) and returns it. If the
// process exits without printing one, WaitFor fails the test with the
// transcript.
func (p *Proc) WaitFor(what string, match func(line string) bool) string {
	p.t.Helper()
	// A hang guard, not a timing assertion: a process that never logs the
	// line is killed, so the test fails with its output instead of
	// hanging until the package timeout.
	guard := time.AfterFunc(WaitForLimit, func() { _ = p.cmd.Process.Kill() })
	defer guard.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; ; i++ {
		for i >= len(p.lines) && !p.eof {
			p.cond.Wait()
		}
		if i >= len(p.lines) {
			p.t.Fatalf("ferrytest: process exited before logging %s; output:\n%s", what, strings.Join(p.lines, "\n"))
		}
		if match(p.lines[i]) {
			return p.lines[i]
		}
	}
}

// WaitForLimit is how long WaitFor waits for a line before it kills the
// process: far beyond any healthy start, short of the test timeout.
var WaitForLimit = 2 * time.Minute

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("ferrytest: signal %v: %v", sig, err)
	}
}

// Wait waits for the process to exit and returns its exit code (-1 if a
// signal killed it). It may be called more than once.
func (p *Proc) Wait() int {
	p.t.Helper()
	p.waitOnce.Do(func() {
		<-p.readDone // Cmd.Wait closes the pipe: read everything first
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			p.exitCode = exit.ExitCode()
		default:
			p.exitCode, p.waitErr = -1, err
		}
	})
	if p.waitErr != nil {
		p.t.Errorf("ferrytest: wait: %v", p.waitErr)
	}
	return p.exitCode
}

// Output returns everything the process has printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}
