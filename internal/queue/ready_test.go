package queue

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

func TestReadyEntryIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(readyEntry{}); n != 40 {
		t.Fatalf("readyEntry is %d bytes, want 40 (DESIGN: a few dozen bytes a message)", n)
	}
}

func TestFIFOAcrossChunks(t *testing.T) {
	var f fifo
	const n = 3*chunkLen + 7
	for i := range uint64(n) {
		f.push(readyEntry{id: i})
	}
	chunks := 0
	for c := f.head; c != nil; c = c.next {
		chunks++
	}
	if want := (n + chunkLen - 1) / chunkLen; chunks != want {
		t.Fatalf("%d entries in %d chunks, want %d", n, chunks, want)
	}
	for i := range uint64(n) {
		if e := f.pop(); e.id != i {
			t.Fatalf("pop %d = %d", i, e.id)
		}
	}
	if f.n != 0 || f.head != f.tail || f.head.next != nil || f.spare == nil {
		t.Fatalf("drained fifo keeps %d entries, head==tail %v, spare %v", f.n, f.head == f.tail, f.spare != nil)
	}
	// A queue that stays short reuses its chunk and does not allocate.
	if a := testing.AllocsPerRun(1000, func() { f.push(readyEntry{id: 1}); f.pop() }); a != 0 {
		t.Fatalf("short fifo allocates %v times per push/pop", a)
	}
}

func TestReadyQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q readyQueue
	var want []uint64 // what the queue holds, sorted
	next := uint64(1)
	var out []uint64 // popped and not yet returned
	for range 20000 {
		switch n := r.IntN(10); {
		case n < 4:
			q.pushFresh(readyEntry{id: next, size: 1})
			want = append(want, next)
			next++
		case n < 7 && len(want) > 0:
			e, ok := q.pop()
			if !ok || e.id != want[0] {
				t.Fatalf("pop = %d, %v; want %d", e.id, ok, want[0])
			}
			want = want[1:]
			out = append(out, e.id)
		case len(out) > 0:
			i := r.IntN(len(out))
			id := out[i]
			out = slices.Delete(out, i, i+1)
			q.pushReturned(readyEntry{id: id, size: 1})
			j, _ := slices.BinarySearch(want, id)
			want = slices.Insert(want, j, id)
		}
		if q.len() != len(want) || q.bytes != int64(len(want)) {
			t.Fatalf("len %d bytes %d, want %d", q.len(), q.bytes, len(want))
		}
		if e, ok := q.peek(); ok != (len(want) > 0) || ok && e.id != want[0] {
			t.Fatalf("peek = %d, %v; want %v", e.id, ok, want)
		}
	}
	var drained []uint64
	q.drain(func(e readyEntry) { drained = append(drained, e.id) })
	if !slices.Equal(drained, want) {
		t.Fatalf("drain gave %v, want %v", drained, want)
	}
}
