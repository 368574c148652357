// Package segment owns Ferry's append-only, segmented log: a directory of
// numbered segment files with one writer, records framed with a length and a
// CRC-32C, group commit, torn-tail detection, and a file-system seam (FS) that
// tests use to simulate crashes and power loss (CrashFS).
//
// Payloads are opaque bytes. The package knows nothing of queues or messages,
// so that the durable queue store (store/diskstore) and a future Raft log
// store can both sit on it, as pebble keeps record/ apart from wal/.
//
// # On-disk format
//
// A log is a directory. Each segment is a file named for its sequence
// number, printed as 16 lower-case hex digits:
//
//	0000000000000001.seg, 0000000000000002.seg, ...
//
// Numbers start at 1 (so the zero Pos is never valid) and only grow; a
// removed segment's number is not reused while a higher one exists. Files
// whose names do not match this pattern are ignored.
//
// Every segment starts with a 32-byte header. All integers are little-endian.
//
//	 0       4         8                 16                24         28        32
//	+-------+---------+-----------------+-----------------+----------+---------+
//	| magic | version |       Seq       |      Base       | reserved | hdr CRC |
//	| "FRYS"| u32=1,2 |       u64       |       u64       |  u32=0   |   u32   |
//	+-------+---------+-----------------+-----------------+----------+---------+
//
// Seq repeats the number in the file name (a copied or renamed file is
// caught). Base is a value the caller supplies through Options.Base when the
// segment is created (diskstore stores the first message ID it may hold);
// the log only keeps it. hdr CRC is CRC-32C (Castagnoli) over bytes [0, 28).
//
// After the header come records, back to back, each a frame:
//
//	+-------------+-------------+---------------------------+
//	| length  u32 | CRC-32C u32 | payload (length bytes)    |
//	+-------------+-------------+---------------------------+
//	  \___ covered by the CRC __/ \_________ covered _______/
//
// The CRC-32C is computed over the four length bytes followed by the
// payload, so a damaged length is caught as surely as a damaged payload.
// In version 2 the stored value is that CRC XOR a salt made from the
// segment's number (uint32(Seq) * 0x9e3779b1, header.salt); version 1,
// which Ferry wrote before it reused files, stores the CRC itself and is
// still read and appended to. New segments are written in version 2. A
// Pos names a record by segment number and the offset of its frame in the
// file (Pos.Off >= 32). An empty payload is a valid record. A payload may be
// at most MaxRecordSize (64 MiB) bytes; Append refuses larger ones with
// ErrTooLarge, and a reader treats a larger length as corruption.
//
// Records carry no segment number of their own; the salt stands in for
// one. With Options.Preallocate the file of a removed segment is reused
// for a later one (recycle.go), so the bytes of its older life lie after
// the new records; salted, none of them checks out in the new segment,
// whose data ends at the first of them as at a torn tail (pebble's
// "recyclable" WAL records carry the log number for the same reason).
//
// # Where valid data ends
//
// A segment is read frame by frame from offset 32. Its valid data ends at
// the first frame that is not whole and intact:
//
//   - the file ends exactly here: the normal, clean end;
//   - fewer than 8 bytes remain (a torn frame header);
//   - the length is over MaxRecordSize, or runs past the end of the file
//     (a torn payload, or a damaged length);
//   - the CRC does not match. Zero-filled space (length 0 and CRC 0, as a file
//     system leaves when a file grew but its data never reached the disk)
//     falls here too: the CRC-32C of an empty record is 0x48674bc7, not 0.
//
// What happens next depends on where the damage is:
//
//   - In the last segment (the one appends continue into) it is a torn tail
//     from a crash: the file is truncated at the end of the last good record
//     and fsynced, and a WARN is logged with the segment, the offset and the
//     number of bytes cut. Nothing confirmed under SyncAlways can be there:
//     it was fsynced before it was confirmed. The one exception: when every
//     byte after the last good record is zero, that is a preallocated
//     segment's unused space (Options.Preallocate, prealloc.go), and it is
//     kept for the appends to come. When the first frame cut checks out
//     under the salt of an earlier segment, the tail is the older life of
//     a reused file (recycle.go): it is cut with a DEBUG entry, not a WARN.
//   - In a sealed segment (any but the last) nothing should be torn, because
//     a segment is fsynced before the next one is created. Reading that
//     segment stops at the damage, an ERROR is logged, the bytes are kept on
//     disk for forensics, and reading goes on with the next segment.
//
// A header is checked when the log is opened. If the last segment is
// shorter than a header or its header is all zeros, the file was created
// but never synced (a torn creation): it is removed with a WARN, and the one
// before it becomes the last. Any other bad header (wrong magic, version,
// CRC, or a Seq that disagrees with the file name) is logged at ERROR, the
// file is kept and left out of the log (Segments does not list it), and new
// segments are numbered above it.
//
// # Writing and durability
//
// One flusher goroutine does all writing (group commit, as in pebble's
// record.LogWriter): Append frames the record into a pending buffer under a
// mutex and returns its Pos; the flusher swaps that buffer for a spare one,
// write(2)s it, fsyncs once (fdatasync on Linux), and then calls every done
// callback that the fsync covered, in append order, while new appends fill
// the other buffer. Before the next round it lets the appenders it just
// woke append again (letAppendersIn), so that batches do not alternate
// between a few records and all the rest. Records not yet written are
// served to ReadAt from these buffers. When a record does not fit in the
// active segment,
// Append starts a new one; the flusher fsyncs the old segment before it
// creates the new file, fsyncs the directory after creating it, and only
// then writes records into it. So a crash can tear at most the last segment.
// With Options.Preallocate the new file is a removed segment's (its header
// zeroed and fsynced, recycle.go) or one a goroutine of its own wrote in
// full with zeros and fsynced beforehand (prealloc.go), renamed into
// place; records are written over the old bytes with WriteAt, so their
// fsyncs need not write a new file size (but for the records that run
// past the end of a reused file shorter than SegmentSize), and the old
// segment is cut to its last record before the fsync that seals it.
//
// A failed write or fsync is sticky: the log stops doing I/O, every waiting
// and later done callback and every later Append gets that error, and the
// fsync is never retried. After a failed fsync Linux may have dropped the
// dirty pages and marked them clean, so a retry could report success for
// data that is gone (the "fsyncgate" problem; see pebble's LogWriter and the
// werr of nats-server's filestore).
//
// # Locking
//
// Lock order: Log.scanMu, then Log.mu. Log.recycleMu (the file kept for
// reuse) is never held with either, and a Remove does its I/O without it
// (the flusher takes it after every group commit). No lock is held while
// calling user code (Scan's fn, done callbacks) except Options.Base,
// which runs under Log.mu and so must not call into the Log. Fields say
// which lock guards them; fields owned by the flusher goroutine say so,
// and functions that need Log.mu held end in Locked.
package segment
