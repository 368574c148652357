package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrymq/ferry/internal/store"
)

// testConcurrentAppenders: many goroutines append, ack and read one log at
// once (run with -race); every done comes once, with nil, and the result
// is what each goroutine did.
func testConcurrentAppenders(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	const workers, each = 8, 100
	var calls [workers][each]atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pending sync.WaitGroup
			for i := range each {
				id := uint64(w*1000 + i + 1)
				pending.Add(1)
				l.Append(enq(id, payload(id, 64+i)), func(err error) {
					calls[w][i].Add(1)
					if err != nil {
						errs <- fmt.Errorf("enqueue %d: %w", id, err)
					}
					pending.Done()
				})
				// Every other append waits, the rest are pipelined.
				if i%2 == 0 {
					pending.Wait()
					if got, err := l.Read(id); err != nil || string(got) != string(payload(id, 64+i)) {
						errs <- fmt.Errorf("Read(%d) after done: %d bytes, %v", id, len(got), err)
					}
				}
			}
			pending.Wait()
			for i := 0; i < each; i += 2 {
				if err := appendWait(l, store.Record{Kind: store.Ack, ID: uint64(w*1000 + i + 1)}); err != nil {
					errs <- fmt.Errorf("ack: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range workers {
		for i := range each {
			if n := calls[w][i].Load(); n != 1 {
				t.Fatalf("done of worker %d append %d ran %d times", w, i, n)
			}
		}
	}
	if st := l.Stats(); st.Messages != workers*each/2 {
		t.Fatalf("Stats.Messages = %d, want %d", st.Messages, workers*each/2)
	}
	e.restart()
	l = e.open("q")
	got, last := replayAll(t, l)
	if len(got) != workers*each/2 || last != (workers-1)*1000+each {
		t.Fatalf("Replay gave %d entries, lastID %d; want %d, %d", len(got), last, workers*each/2, (workers-1)*1000+each)
	}
	for _, en := range got {
		i := int(en.ID%1000) - 1
		if i%2 == 0 {
			t.Fatalf("acked id %d replayed", en.ID)
		}
		mustRead(t, l, en.ID, payload(en.ID, 64+i))
	}
}

// testDoneOnce: done runs exactly once per Append, for every kind, when
// the appends are pipelined and the log is closed right after; nil done
// is allowed.
func testDoneOnce(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	const n = 500
	var calls [n]atomic.Int32
	var failed atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		id := uint64(i/2 + 1)
		r := enq(id, payload(id, 50))
		if i%2 == 1 {
			r = store.Record{Kind: []store.Kind{store.Ack, store.Requeue, store.DeadLetter}[i%3], ID: id, Deliveries: 1}
		}
		wg.Add(1)
		l.Append(r, func(err error) {
			if err != nil {
				failed.Add(1)
			}
			calls[i].Add(1)
			wg.Done()
		})
	}
	l.Append(enq(n, []byte("nil done")), nil)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if f := failed.Load(); f != 0 {
		t.Fatalf("%d appends before Close failed", f)
	}
	e.restart()
	l = e.open("q")
	replayAll(t, l)
	mustRead(t, l, n, []byte("nil done"))
	for i := range calls {
		if c := calls[i].Load(); c != 1 {
			t.Fatalf("done of append %d ran %d times", i, c)
		}
	}
}

// testClosed: a closed log or store refuses work with ErrClosed, through
// done for Append, and closing twice is harmless.
func testClosed(t *testing.T, h Harness) {
	e := newEnv(t, h)
	l := e.open("q")
	mustAppend(t, l, enq(1, []byte("x")))
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var calls atomic.Int32
	done := make(chan error, 2)
	l.Append(enq(2, []byte("y")), func(err error) { calls.Add(1); done <- err })
	if err := <-done; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Append after Close: done(%v), want ErrClosed", err)
	}
	if _, err := l.Read(1); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Read after Close: %v, want ErrClosed", err)
	}

	l = e.open("q") // reopening a closed log works
	replayAll(t, l)
	mustRead(t, l, 1, []byte("x"))
	if err := e.s.Close(); err != nil {
		t.Fatalf("store Close: %v", err)
	}
	if err := appendWait(l, enq(3, nil)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Append after store Close: %v, want ErrClosed", err)
	}
	if _, err := e.s.Open("other"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Open after store Close: %v, want ErrClosed", err)
	}
	if c := calls.Load(); c != 1 {
		t.Fatalf("done ran %d times, want 1", c)
	}
	// The env's cleanup closes the store a second time, which must be nil.
}
