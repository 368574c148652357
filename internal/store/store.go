// Package store defines what the queue engine needs from storage, and
// nothing more: a Store holds one Log per queue, and a Log is an ordered
// record of that queue's messages and of what became of them.
//
// Two engines implement it and run the same conformance suite
// (store/storetest): memstore, for transient queues and tests, and
// diskstore, a segmented append-only log for durable queues.
//
// Payloads are opaque here. The store knows record kinds, a message ID, a
// delivery count and bytes; what the bytes mean belongs to package message.
// That keeps protocol details out of the files on disk and lets a future
// Raft log reuse the same engines.
package store

import "errors"

// Kind is the type of a log record.
type Kind uint8

const (
	// Enqueue adds message ID with Data as its stored form.
	Enqueue Kind = 1
	// Ack removes message ID for good: acknowledged, dropped or expired.
	Ack Kind = 2
	// Requeue returns message ID to the queue; Deliveries is how often it
	// has been delivered so far, so the count survives a restart.
	Requeue Kind = 3
	// DeadLetter removes message ID because it was moved to a dead-letter
	// target; Data may hold the reason. The target queue's log gets its own
	// Enqueue first, so a crash between the two duplicates, never loses.
	DeadLetter Kind = 4
	// Dedup remembers a deduplication id (Meta.Key) until Meta.Expires, so
	// that a queue's exactly-once window survives a restart. It takes an ID
	// from the queue's sequence, like a message, has no Data, and stays
	// live until an Ack of that ID.
	Dedup Kind = 5
)

// Meta is what the queue engine needs to know about a message besides its
// bytes, kept by the store so that it survives a restart. The zero Meta
// is a plain message: deliverable at once, never expiring, in no group.
type Meta struct {
	// Due is when the message may first be delivered, in Unix
	// nanoseconds; 0 means at once. An Enqueue's Due is its delay; a
	// Requeue's Due, the end of its retry backoff, replaces it.
	Due int64
	// Expires is when an Enqueue's message expires (its TTL), in Unix
	// nanoseconds; 0 means never. For a Dedup record, when the
	// deduplication id may be forgotten.
	Expires int64
	// Key is an Enqueue's message group ("" for none) or a Dedup
	// record's deduplication id.
	Key string
}

// Record is one entry appended to a Log.
type Record struct {
	Kind       Kind
	ID         uint64
	Deliveries uint32
	Data       []byte
	// Meta is kept for Enqueue and Dedup; of a Requeue's Meta only Due
	// counts, and it replaces the message's Due. Other kinds ignore it.
	Meta Meta
}

// Entry is a message (Kind Enqueue) or a deduplication id (Kind Dedup)
// that was live when its Log was opened.
type Entry struct {
	Kind       Kind
	ID         uint64
	Deliveries uint32
	Size       int // length of the stored Data
	Meta       Meta
}

// Log is one queue's durable (or, for memstore, transient) history.
// All methods are safe for concurrent use.
type Log interface {
	// Append adds r to the log and returns at once. done, if not nil, runs
	// exactly once: with nil when r is as durable as the log promises (for
	// a disk log with sync=always: fsynced), or with the error that stopped
	// it. Records are durable in the order they were appended. After a write
	// or sync error every later Append fails with that error (it is sticky).
	// done may run on the log's writer goroutine: it must not block, and
	// must not call Close.
	// The log may keep r.Data: the caller must not modify it afterwards.
	Append(r Record, done func(error))

	// Read returns the Data of live message id, or ErrNotFound. The result
	// must not be modified.
	Read(id uint64) ([]byte, error)

	// Replay calls fn for each message and each Dedup record that was
	// live when the log was opened, in ID order, and returns the highest ID the log has ever
	// held (0 if none), so that new IDs never reuse old ones. It is called
	// once, before the first Append.
	Replay(fn func(Entry) error) (lastID uint64, err error)

	// Err returns the sticky error after which the log refuses writes, or
	// nil. It is cheap: callers check it on every publish.
	Err() error

	// Stats reports the log's size and its sticky error, if any.
	Stats() Stats

	// Close flushes and syncs what was appended and releases the log.
	Close() error
}

// Store holds the logs of many queues.
type Store interface {
	// Open opens the log called name, creating it if needed. A log that is
	// already open is returned as is.
	Open(name string) (Log, error)
	// Remove closes and deletes the log called name.
	Remove(name string) error
	// Names lists the logs the store holds.
	Names() ([]string, error)
	// Close closes every open log.
	Close() error
}

// Stats describes a Log.
type Stats struct {
	Messages  int   // live messages
	Bytes     int64 // their Data, in bytes
	Segments  int   // files on disk (0 for memory)
	DiskBytes int64 // bytes on disk, live or not, spare and preallocated space included
	Err       error // the sticky error, if the log has failed
}

var (
	// ErrNotFound means the message is not live in this log.
	ErrNotFound = errors.New("store: message not found")
	// ErrClosed means the log or store was closed.
	ErrClosed = errors.New("store: closed")
)
