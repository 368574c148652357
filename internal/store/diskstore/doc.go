// Package diskstore is the durable store engine: one segmented,
// append-only log per queue (package segment does the files, framing,
// checksums and group commit), an in-memory index rebuilt from it at open,
// and a background worker per log that deletes and compacts segments.
//
// # Records
//
// Each store.Record is one segment record whose payload is
//
//	kind u8 | uvarint id | uvarint deliveries | [meta] | data
//
// The low three bits of the kind byte are store.Kind (1 Enqueue, 2 Ack,
// 3 Requeue, 4 DeadLetter, 5 Dedup); the high bits say which fields of
// store.Meta follow the delivery count, in this order:
//
//	bit 4 (0x10)  Due      varint (zig-zag), Unix ns
//	bit 5 (0x20)  Expires  varint (zig-zag), Unix ns
//	bit 6 (0x40)  Key      uvarint length | bytes
//
// Bits 3 and 7 are reserved and must be 0. A field is written only when
// it is not zero, and a set bit with a zero value (or an empty key) does
// not decode, so every record has exactly one encoding. Enqueue and Dedup
// may carry all three fields; Requeue only Due (the end of its retry
// backoff, which replaces the message's Due); Ack and DeadLetter none.
// data is the message for Enqueue, the reason (possibly empty) for
// DeadLetter, and empty otherwise. The segment layer's length and CRC-32C
// frame around the payload is what detects a torn or corrupt record; a
// payload that frames correctly but does not decode is reported as
// corruption, never served.
//
// So the common plain message (no delay, no TTL, no group) costs exactly
// what it did before metadata existed, and a message with a delay and a
// TTL about 18 bytes more.
//
// Format version. This is the second record format; the first had no
// metadata bits and no Dedup kind. Rather than a version number, the
// flag bits are the version: every first-format payload has them clear
// and a kind from 1 to 4, and decodes in this format to exactly the
// record it meant, so a directory written before metadata existed is read
// correctly, with no conversion (TestReadsFirstFormat holds this). The
// reverse is not supported: a build that predates this format does not
// decode records with metadata or Dedup records, logs them as corrupt
// and skips them, which would lose those messages. No such build was
// released, so no downgrade path exists.
//
// # Layout
//
//	<dir>/q<escaped name>         marker: the queue exists (empty file)
//	<dir>/h<sha-256 of name>      marker for a name too long to escape;
//	                              it holds the name itself
//	<dir>/log/<marker name>/      that queue's segment files (package segment)
//
// A log exists exactly while its marker does. Creating a log syncs its
// directory, then writes and syncs the marker and its directory; removing
// one deletes the marker (synced) first and its segment files after. So a
// crash halfway leaves at most unreferenced files, which the next creation
// of that log or the next Open of the store deletes, never a half-removed
// log whose acks are gone while its enqueues remain. Markers are files
// because segment.FS lists only files (CrashFS does not model directories).
//
// Queue names are arbitrary UTF-8 (up to 255 bytes, empty allowed). The
// escape keeps a-z, 0-9, '-', '_' and '.' and writes every other byte as
// %xx in lower-case hex, so the file name is valid and unique on every
// file system, case-insensitive ones included, and Names can turn it back
// into the queue name. An escaped name longer than 200 bytes falls back to
// the hashed form. Locking the data directory against a second process is
// the caller's job (cmd/ferry does it).
//
// # Index
//
// Bodies stay on disk; the index holds only what delivery needs. Per
// segment it keeps a slice of 24-byte entries {id, offset, size,
// deliveries, dead} sorted by id, with a short unsorted tail for ids that
// arrive out of order (compaction copies, dead-letter targets) that is
// merged in when it grows. There is no per-message map or pointer, so a
// million queued messages cost about 25 MB. Read(id) checks each
// segment's id range, binary-searches the candidates and does one ReadAt.
// Each segment also counts its live messages and their bytes, and records
// the lowest segment that its Ack, DeadLetter and Requeue records (and its
// compaction copies) refer to. Dead entries are dropped from a segment's
// slice once they are half of it.
//
// # Recovery
//
// Open scans every segment once (segment.Log.Scan cuts a torn or corrupt
// tail and logs it) and applies records in log order: Enqueue adds (a
// later Enqueue of the same id, such as a compaction copy, replaces the
// earlier location), Ack and DeadLetter remove, Requeue raises deliveries
// to the maximum. lastID is the highest id of any record seen and of any
// segment header's Base; new segments get the current lastID as their
// Base, so it survives even when every message is gone and every old
// segment deleted. Because compaction keeps old segments small, replay
// time follows what is live, not history.
//
// # Deletion and compaction
//
// A sealed segment S may be deleted when nothing in it is live and no
// segment in [ref(S), S) still exists, where ref(S) is the lowest segment
// S refers to. Otherwise deleting S would drop an Ack whose Enqueue is
// still on disk, and replay would resurrect the message.
//
// The oldest sealed segment whose live bytes fall below CompactRatio of
// its size (and that satisfies the same reference rule) is compacted: its
// live entries are read without the lock, then, holding the log's mutex,
// each is re-checked to be still live at the same place and appended again
// as an Enqueue with its current delivery count, and the index is pointed
// at the copy. So an Ack can never reach the log before the copy of the
// message it acks. The copies' segment refers back to S, so it cannot be
// deleted first. Once the last copy is durable (its done), S holds nothing
// live and is deleted like any other.
//
// Compaction runs in one goroutine per log, woken when rotation seals a
// segment or an ack empties or thins one; Compact runs the same pass on
// demand. A segment kept by long-lived messages of an older segment it
// refers to stays until that one goes: the rule trades some disk for never
// resurrecting an acked message.
//
// # Errors
//
// A write or fsync error is sticky in the segment log: the Append that hit
// it, and every later one, get it in done, and Stats().Err reports it.
//
// # Locks
//
// Store.mu guards the set of open logs and the names busy being opened,
// closed or removed (their I/O runs without Store.mu; later callers for
// the same name wait). Log.mu guards the index and is held across
// segment.Log.Append, so that index order is log order; the segment's own
// lock nests inside it, and the segment's Base callback reads lastID
// atomically instead of taking Log.mu. Log.compactMu serialises
// compaction passes and is taken before Log.mu, never inside it. done
// callbacks and Replay's fn never run under Log.mu.
package diskstore
