package queue

// ordered is an element of a heap: before says whether it comes out
// first.
type ordered[T any] interface {
	before(T) bool
}

// heap is a binary min-heap by before. It is written out rather than
// built on container/heap, whose Push(any) would allocate for every
// element; the queue keeps four (returned messages by ID, delayed ones by
// due time, lease timers, deduplication ids by expiry).
type heap[T ordered[T]] []T

func (h *heap[T]) push(x T) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// pop removes and returns the first element; h must not be empty.
func (h *heap[T]) pop() T {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	var zero T
	s[last] = zero // let go of what it points to
	s = s[:last]
	s.down(0)
	if len(s) == 0 && cap(s) > 1024 {
		s = nil // a burst is over: give its memory back
	}
	*h = s
	return top
}

// removeAt removes and returns element i.
func (h *heap[T]) removeAt(i int) T {
	s := *h
	x := s[i]
	last := len(s) - 1
	s[i] = s[last]
	var zero T
	s[last] = zero
	*h = s[:last]
	h.init()
	return x
}

// init restores the heap order after an arbitrary change.
func (h heap[T]) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h heap[T]) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
