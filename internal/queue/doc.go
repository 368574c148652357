// Package queue is one queue's state machine: which messages are ready,
// which are leased to whom, which push consumers may take more, and what
// the log must record about each change. It owns the delivery contract of
// DESIGN.md for a single queue; the broker owns naming, vhosts and
// routing, and the front ends own the wire.
//
// # Determinism
//
// Time is an argument: every method that changes state takes now, and
// the queue never reads a clock. Every change is a command (command.go)
// applied by applyLocked, the only code that mutates the queue, so the
// same command sequence on equal logs gives the same state, the same
// deliveries and the same log records. Consumer selection is round-robin
// in registration order among the consumers of the highest priority that
// can take a message (priority.go); a consumer whose Limiter (a channel's
// global prefetch, limiter.go) has no credit is parked until the Limiter
// resumes it, an opResume command like any other. A Limiter may be
// shared by queues (one channel's consumers in several), so whether a
// hand-out gets a credit depends on state outside the queue, as time
// does: a replicated queue would have to record that answer, or keep
// consumers, which are local to a node, out of the replicated commands.
// Release and Close return leases in ID order. A
// replicated queue can therefore apply the same commands from a Raft log
// (hashicorp/raft's FSM.Apply) on every replica.
//
// # Delivery rules
//
//   - Messages are handed out in ID order. A returned message (nack with
//     requeue, Release, Close) goes back in ID order, ahead of newer ones,
//     as RabbitMQ does.
//   - A leased message belongs to its Owner: an ack or nack by another
//     owner, or of a message not leased, is ErrUnknownDelivery and changes
//     nothing.
//   - A consumer with Prefetch n and n unacked deliveries gets nothing more
//     until one of them is settled or released.
//   - No-ack consumers and no-ack gets remove a message as it is handed out.
//   - The log records Enqueue on publish (with its due time, expiry and
//     group); Ack on ack, no-ack delivery, purge and Delete; Requeue with
//     the delivery count (and the end of its retry delay) on every return;
//     DeadLetter with the reason once a dead message reached its target;
//     Dedup for a deduplication id, acked when its window ends. Deliveries themselves are not logged: after a crash a message
//     comes back with the count of its last return. Close returns every
//     lease first, so a clean restart keeps the counts exactly.
//
// # Memory
//
// A ready message costs 40 bytes (readyEntry: ID, enqueue time, expiry,
// group, size, delivery count) in a chunked FIFO, or in a small min-heap
// when it was returned; its body stays in the log and is read at
// delivery. A delayed message costs 8 bytes more in a heap by due time. A
// leased message costs a pooled lease and a map entry.
//
// # Retries, limits and dead letters
//
// Policy (policy.go) adds retries with backoff, a delivery limit, TTLs,
// delays, length limits, deduplication and FIFO groups; each is a command
// like the rest, and time-driven work (due delays, expiries, lease and
// consumer timeouts, forgetting dedup ids) happens in Tick, which the
// broker calls at NextDeadline. A message that dies goes through two
// steps (dead.go), so that it leaves this log only once its dead-letter
// target has stored it. Nack without requeue is such a death (reason
// rejected).
//
// # Observing
//
// SetObserver (observe.go) installs one function that hears every change
// to a message as an Event — published, delivered (consumer, connection,
// count), acked, nacked, requeued, retry scheduled (due), died (reason),
// purged, deleted — with the command's time, in command order, under the
// lock. It is the single stream that message history and trace export
// are built on (package broker adds vhost, publisher and public ids). A
// queue without an observer pays one nil check per event; with one, the
// events are passed by value and the hot path still does not allocate.
// Who published and who consumed come from the front ends
// (PublishOptions.Note, ConsumerOptions.Connection, GetAs).
//
// # Locking
//
// One mutex, Queue.mu, guards all state; functions that expect it held end
// in Locked. Consumer.Deliver and the log's done callbacks may run with it
// held, so they must not call back into the queue. Lock order: Queue.mu,
// then a Limiter's mu, then the log's own locks; a Limiter never calls a
// queue with its lock held, and Release and SetLimit take queue locks, so
// they are never called with one held.
package queue
