// Package history keeps, for the queues that ask for it (queue argument
// x-history: true, or a policy's history: true), each message's events —
// published (by which connection), delivered (to which consumer),
// nacked, requeued, retry scheduled, expired, dead-lettered (why, to
// where), redriven, acked, purged, deleted — and answers "where is my
// message?" by queue and engine id, or by the message's public id
// (AMQP message-id property, SQS MessageId) across every queue it went
// through (dead-letter targets, redrives back).
//
// # Where the events come from
//
// The queue engine reports what happens to each message through one
// observer seam (queue.Observer); the broker adds who published, the
// public id, where dead letters went and what redrives moved, and hands
// the result to its Observers as broker.MessageEvent (broker/observe.go).
// History is one such Observer; trace export (package tracing) is
// another, fed from the same stream. A queue without history has no
// engine observer at all (unless tracing is on), so it pays nothing.
//
// # Bounds
//
//   - Events per message: at most Options.MaxEvents. Past that the first
//     MaxEvents/2 are kept (how it started) and the latest fill the rest
//     (where it is now); the ones in between are counted in Dropped and
//     the answer says truncated.
//   - Messages: at most Options.MaxMessages histories. A history is
//     finished when its message left the queue (acked, dead-lettered,
//     redriven, purged, deleted); finished histories are kept for
//     Options.Retention after that, and when the count bound is reached
//     the oldest finished goes first, then, only if none is finished, the
//     oldest live one (a backlog larger than the bound loses the
//     histories of its oldest messages rather than memory).
//   - Memory: an event costs about 150 bytes in the index, so the
//     defaults (32 events, 100 000 messages) bound history to about
//     500 MB in the worst case; a message that is published, delivered
//     and acked costs about 600 bytes, 60 MB for 100 000 of them.
//   - Retention runs on event time (the broker's clock, as events carry
//     it), never the wall clock, so a fake clock in tests and a replay at
//     start see the same bounds.
//
// # Durability: a log of its own
//
// Events of durable queues are appended to an append-only log under the
// data folder (<data>/history), with the project's framing and group
// commit (package segment: length + CRC-32C, one flusher, fsync per
// batch, torn tails cut at open). At start the log is replayed, in order,
// through the same bounded index, so the same evictions happen again and
// memory stays bounded however long the log.
//
// Why not write events into the queue's own store records: that would
// change the store's record format and its replay for a feature most
// queues do not use, and put per-delivery writes (deliveries are not
// logged by the store) on every queue's log. A log of its own keeps the
// store untouched and costs only the queues with history.
//
// The publish is the event that matters most (a confirmed message must
// have a history), so the broker holds the publisher's confirm until
// both the message's record and its published event are on disk
// (broker.MessageEvent.Hold): after a crash, every confirmed message
// still in a durable queue has its history from its publish on. Later
// events (deliveries, acks) are group-committed as they come and are on
// disk as far as the last fsync before the crash reached, which is
// never behind the message's own records by more than one batch; an ack
// whose record was lost is, like the ack itself (DESIGN.md), as if it
// had not happened. Events of transient queues are kept in memory only:
// their messages do not survive a restart either.
//
// # Space on disk
//
// The log is segmented (8 MiB segments). Each history remembers the
// segments that hold its events; a segment that no kept history refers
// to any more is removed by a background goroutine. A message that
// stays in its queue for a long time pins the segments holding its
// events; the log is never rewritten.
//
// # Locking
//
// History.mu guards the index and the log's refcounts. Observe runs with
// a queue's lock held (broker/observe.go), so it only takes History.mu
// and the segment log's own lock (Append never waits for the disk); lock
// order: a queue's lock, History.mu, the log's locks. Removing segments
// happens on the collector goroutine, without History.mu held.
package history
