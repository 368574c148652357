package queue

// LastID returns the highest ID the queue has used so far. Every message
// published later gets a higher one, so an operator's pass over the queue
// (a filtered redrive) can stop at what the queue held when it began,
// whatever the clocks say.
func (q *Queue) LastID() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lastID
}
