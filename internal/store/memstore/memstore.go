// Package memstore is the transient store engine: logs live in memory and
// vanish with the process. It serves transient queues, whose messages a
// restart may lose by definition, and it is the reference the disk engine
// is checked against in store/storetest.
//
// A log stays in its Store after Close, so reopening it within one process
// finds what was left, as reopening a disk log would.
package memstore

import (
	"slices"
	"sync"

	"github.com/ferrymq/ferry/internal/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu     sync.Mutex
	logs   map[string]*Log // guarded by mu
	closed bool            // guarded by mu
}

// New returns an empty Store.
func New() *Store { return &Store{logs: make(map[string]*Log)} }

// Open returns the log called name, creating it if needed.
func (s *Store) Open(name string) (store.Log, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	l := s.logs[name]
	if l == nil {
		l = &Log{msgs: make(map[uint64]entry)}
		s.logs[name] = l
	}
	l.mu.Lock()
	l.closed = false
	l.mu.Unlock()
	return l, nil
}

// Remove deletes the log called name.
func (s *Store) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[name]; l != nil {
		l.Close()
		delete(s.logs, name)
	}
	return nil
}

// Names lists the logs in the store, sorted.
func (s *Store) Names() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.logs))
	for n := range s.logs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// Close closes every log. Their contents are kept until the Store is
// garbage, but it can no longer be opened.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, l := range s.logs {
		l.Close()
	}
	return nil
}

// entry is a live message or Dedup record.
type entry struct {
	kind       store.Kind // store.Enqueue or store.Dedup
	data       []byte
	deliveries uint32
	meta       store.Meta
}

// Log is an in-memory store.Log.
type Log struct {
	mu     sync.Mutex
	msgs   map[uint64]entry // live messages and Dedup records. Guarded by mu.
	count  int              // live messages (not Dedup records). Guarded by mu.
	bytes  int64            // their data. Guarded by mu.
	lastID uint64           // guarded by mu
	closed bool             // guarded by mu
}

// Append applies r at once; done runs before Append returns.
func (l *Log) Append(r store.Record, done func(error)) {
	err := l.apply(r)
	if done != nil {
		done(err)
	}
}

func (l *Log) apply(r store.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return store.ErrClosed
	}
	l.lastID = max(l.lastID, r.ID)
	switch r.Kind {
	case store.Enqueue, store.Dedup:
		l.remove(r.ID)
		e := entry{kind: r.Kind, data: r.Data, deliveries: r.Deliveries, meta: r.Meta}
		if r.Kind == store.Enqueue { // a Dedup record is not a message
			l.count++
			l.bytes += int64(len(r.Data))
		}
		l.msgs[r.ID] = e
	case store.Ack, store.DeadLetter:
		l.remove(r.ID)
	case store.Requeue:
		if e, ok := l.msgs[r.ID]; ok && e.kind == store.Enqueue {
			e.deliveries = max(e.deliveries, r.Deliveries)
			e.meta.Due = r.Meta.Due
			l.msgs[r.ID] = e
		}
	}
	return nil
}

// remove forgets live id, if any. l.mu must be held.
func (l *Log) remove(id uint64) {
	e, ok := l.msgs[id]
	if !ok {
		return
	}
	if e.kind == store.Enqueue {
		l.count--
		l.bytes -= int64(len(e.data))
	}
	delete(l.msgs, id)
}

// Read returns the data of live message id.
func (l *Log) Read(id uint64) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, store.ErrClosed
	}
	e, ok := l.msgs[id]
	if !ok || e.kind != store.Enqueue {
		return nil, store.ErrNotFound
	}
	return e.data, nil
}

// Replay reports the live messages and Dedup records in ID order.
func (l *Log) Replay(fn func(store.Entry) error) (uint64, error) {
	l.mu.Lock()
	entries := make([]store.Entry, 0, len(l.msgs))
	for id, e := range l.msgs {
		entries = append(entries, store.Entry{Kind: e.kind, ID: id, Deliveries: e.deliveries, Size: len(e.data), Meta: e.meta})
	}
	last := l.lastID
	l.mu.Unlock()
	slices.SortFunc(entries, func(a, b store.Entry) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for _, e := range entries {
		if err := fn(e); err != nil {
			return last, err
		}
	}
	return last, nil
}

// Stats reports the number and size of live messages.
func (l *Log) Stats() store.Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return store.Stats{Messages: l.count, Bytes: l.bytes}
}

// Err reports the log's sticky error, which a memory log never has. It
// lets the queue check for one on every publish without building Stats.
func (l *Log) Err() error { return nil }

// Close marks the log closed; its contents stay for a later Open.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}
