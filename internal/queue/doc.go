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
// in registration order; Release and Close return leases in ID order. A
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
//   - The log records Enqueue on publish; Ack on ack, nack without requeue,
//     no-ack delivery and purge; Requeue with the delivery count on every
//     return. Deliveries themselves are not logged: after a crash a message
//     comes back with the count of its last return. Close returns every
//     lease first, so a clean restart keeps the counts exactly.
//
// # Memory
//
// A ready message costs 24 bytes (readyEntry: ID, enqueue time, size,
// delivery count) in a chunked FIFO, or in a small min-heap when it was
// returned; its body stays in the log and is read at delivery. A leased
// message costs a pooled lease and a map entry.
//
// # Locking
//
// One mutex, Queue.mu, guards all state; functions that expect it held end
// in Locked. Consumer.Deliver and the log's done callbacks may run with it
// held, so they must not call back into the queue. Lock order: Queue.mu,
// then the log's own locks.
package queue
