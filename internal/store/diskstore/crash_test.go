package diskstore_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// The kill -9 test: TestCrashKill9 runs this test binary again as a child
// (TestCrashChild, told by crashDirEnv where to work), which appends and
// acks with sync=always and prints what was confirmed; the parent kills it
// at a random point, reopens the store and checks every confirmation.

var crashRounds = flag.Int("crash.rounds", 20, "rounds of TestCrashKill9 (env FERRY_CRASH_ROUNDS overrides)")

const (
	crashDirEnv  = "FERRY_DISKSTORE_CRASH_DIR"
	crashSeedEnv = "FERRY_DISKSTORE_CRASH_SEED"
	crashQueue   = "crash/queue" // a name that needs escaping
	crashWorkers = 8
	crashMaxOps  = 4000 // per worker: the child stops by itself
)

// crashPayload is the only valid body of message id: its id, then a
// pattern, at a length that depends on the id.
func crashPayload(id uint64) []byte {
	b := make([]byte, 8+int(id*7919%1500))
	binary.BigEndian.PutUint64(b, id)
	for i := 8; i < len(b); i++ {
		b[i] = byte(id>>3) ^ byte(i*13)
	}
	return b
}

func crashOptions() diskstore.Options {
	// Small segments, so that rounds rotate, delete and compact, and
	// preallocated ones (the default of ferry serve), so that a kill can
	// land while a prepared file is written, renamed into place or
	// written over.
	return diskstore.Options{SegmentSize: 64 << 10, Preallocate: true, Logger: quiet}
}

// TestCrashChild is the child side of TestCrashKill9; on its own it skips.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrashKill9")
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	s, err := diskstore.Open(dir, crashOptions())
	if err != nil {
		t.Fatalf("child: Open: %v", err)
	}
	l, err := s.Open(crashQueue)
	if err != nil {
		t.Fatalf("child: Open log: %v", err)
	}
	var old []uint64
	last, err := l.Replay(func(e store.Entry) error { old = append(old, e.ID); return nil })
	if err != nil {
		t.Fatalf("child: Replay: %v", err)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		// One write per line, unbuffered: what is printed is confirmed.
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	say("R %d", last)
	wait := func(r store.Record) error {
		if r.Kind == store.Ack {
			say("a %d", r.ID) // this ack may reach the disk from now on
		}
		ch := make(chan error, 1)
		l.Append(r, func(err error) { ch <- err })
		return <-ch
	}
	var next atomic.Uint64
	next.Store(last)
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			// Worker 0 first acks about half of what earlier rounds left.
			for _, id := range old {
				if w == 0 && rng.IntN(2) == 0 {
					if err := wait(store.Record{Kind: store.Ack, ID: id}); err != nil {
						say("E ack %d: %v", id, err)
						return
					}
					say("A %d", id)
				}
			}
			for range crashMaxOps {
				id := next.Add(1)
				if err := wait(store.Record{Kind: store.Enqueue, ID: id, Data: crashPayload(id)}); err != nil {
					say("E enqueue %d: %v", id, err)
					return
				}
				say("C %d", id)
				if rng.IntN(10) < 6 {
					if err := wait(store.Record{Kind: store.Ack, ID: id}); err != nil {
						say("E ack %d: %v", id, err)
						return
					}
					say("A %d", id)
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("child: Close: %v", err)
	}
}

// crashState is what the parent knows was confirmed.
type crashState struct {
	live   map[uint64]bool // confirmed enqueues with no ack sent
	acking map[uint64]bool // confirmed enqueues with an ack sent, not confirmed
	acked  map[uint64]bool // confirmed acks
	maxID  uint64          // highest confirmed id
	checks int             // confirmations checked after crashes
}

func (st *crashState) line(t *testing.T, line string) {
	kind, arg, _ := strings.Cut(line, " ")
	switch kind {
	case "C", "a", "A":
		id, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			t.Fatalf("child said %q", line)
		}
		switch kind {
		case "C":
			st.live[id] = true
			st.maxID = max(st.maxID, id)
		case "a":
			delete(st.live, id)
			st.acking[id] = true
		case "A":
			delete(st.acking, id)
			st.acked[id] = true
		}
	case "R":
		last, err := strconv.ParseUint(arg, 10, 64)
		if err != nil || last < st.maxID {
			t.Fatalf("child replayed lastID %q, but %d was confirmed before", arg, st.maxID)
		}
	case "E":
		t.Fatalf("child failed: %s", line)
	}
}

// verify reopens the store after a crash and checks it against st.
func (st *crashState) verify(t *testing.T, dir string, round int) {
	t.Helper()
	s, err := diskstore.Open(dir, crashOptions())
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer s.Close()
	l, err := s.Open(crashQueue)
	if err != nil {
		t.Fatalf("round %d: reopen log: %v", round, err)
	}
	seen := map[uint64]bool{}
	last, err := l.Replay(func(e store.Entry) error {
		if seen[e.ID] {
			return fmt.Errorf("id %d replayed twice", e.ID)
		}
		seen[e.ID] = true
		data, err := l.Read(e.ID)
		if err != nil {
			return fmt.Errorf("Read(%d): %w", e.ID, err)
		}
		if !bytes.Equal(data, crashPayload(e.ID)) || e.Size != len(data) {
			return fmt.Errorf("id %d: %d bytes (entry says %d) are not its payload", e.ID, len(data), e.Size)
		}
		if st.acked[e.ID] {
			return fmt.Errorf("id %d is live, but its ack was confirmed", e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if last < st.maxID {
		t.Fatalf("round %d: lastID %d below confirmed id %d", round, last, st.maxID)
	}
	for id := range st.live {
		if !seen[id] {
			t.Fatalf("round %d: confirmed id %d is lost", round, id)
		}
	}
	// An ack that was sent but not confirmed may or may not have landed;
	// the next round sees the message again only if it did not.
	for id := range st.acking {
		if seen[id] {
			st.live[id] = true
		}
	}
	clear(st.acking)
	st.checks += len(st.live) + len(st.acked)
}

// TestCrashKill9 kills a child that appends with sync=always at a random
// point, over and over on the same directory, and checks that every
// confirmed enqueue is there exactly once with its payload, no confirmed
// ack came undone, and nothing else live is garbage.
func TestCrashKill9(t *testing.T) {
	rounds := *crashRounds
	if v := os.Getenv("FERRY_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("FERRY_CRASH_ROUNDS=%q: %v", v, err)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	st := &crashState{live: map[uint64]bool{}, acking: map[uint64]bool{}, acked: map[uint64]bool{}}
	var kills int
	for round := range rounds {
		killAfter := rng.IntN(1500)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("%s=%d", crashSeedEnv, rng.Uint64()))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n, killed := 0, false
		for sc.Scan() {
			// Lines read after the kill were written before it, so they
			// are confirmations too.
			st.line(t, sc.Text())
			if n++; n == killAfter && !killed {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatalf("kill: %v", err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		if killed {
			kills++
		} else if err != nil {
			t.Fatalf("round %d: child failed: %v\n%s", round, err, stderr.Bytes())
		}
		st.verify(t, dir, round)
	}
	t.Logf("%d rounds (%d killed), %d confirmations checked, %d ids live at the end",
		rounds, kills, st.checks, len(st.live))
}
