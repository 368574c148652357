// Package broker is what the front ends call: vhosts, the registry of
// queues in each, durable definitions, and typed errors that every front
// end maps to its protocol in one file; and each vhost's exchanges and
// bindings, through which Route sends a message to its queues (package
// route holds the matchers).
//
// Every vhost has the default exchange "" (direct; each queue is bound to
// it by its name implicitly, and it takes no other bindings) and the
// durable amq.direct, amq.fanout, amq.topic, amq.headers and amq.match,
// as RabbitMQ has. Durable exchanges are kept in meta, and so are the
// bindings whose two ends are both kept; the rest is gone after a
// restart. Deleting a queue or an exchange removes the bindings to it, and
// an auto-delete exchange goes with its last binding. An exchange whose
// bindings route a message nowhere hands it to its alternate exchange,
// named by argument or policy (alternate.go).
//
// The broker decides where a queue lives: a durable queue's log is in
// Config.Durable and its definition in Config.Meta, so New brings it back
// with its messages; any other queue's log is in Config.Transient and is
// gone after a restart. Exclusive queues are never kept, whatever their
// durable flag, since they die with their connection. A queue has one log,
// so a transient message (delivery mode 1) in a durable queue is written
// to disk too: more durable than asked, never less.
//
// The queues themselves (package queue) take time as an argument; the
// broker reads Config.Clock and passes it on, so tests run on a fake clock.
//
// Config.Observers (observe.go) hear what happens to the messages of the
// queues they watch — the engine's events plus what only the broker
// knows: publisher, public id, trace context, where a dead letter went,
// what a redrive moved. Message history and trace export are built on
// it; a queue nobody watches has no engine observer.
//
// # Locking
//
// Broker.mu guards the registry (vhosts and their queue maps). It is held
// while a declare or delete writes meta (one fsynced bbolt transaction):
// such changes are rare and must be ordered with lookups. It is never
// held while calling into a queue that might deliver.
//
// Each vhost's routeTable has two more: defMu serialises exchange and
// binding changes across their meta writes, and mu (an RWMutex) guards
// the exchanges and their matchers, held for reading by Route and for
// writing only while a change is applied in memory, so a publisher does
// not wait for a binding's fsync. Route takes Broker.mu for reading too
// (it reads the queue map), so it does wait while a queue is declared or
// deleted, and it calls no queue until it has let both locks go. Binding
// changes hold Broker.mu for reading, so the queue they name stays.
//
// Broker.policyMu serializes policy changes (the file's reload, the
// API's puts and deletes) across their meta write and their apply to
// every queue; it is taken before Broker.mu.
//
// Lock order: Broker.policyMu, then Broker.mu, then routeTable.defMu,
// then routeTable.mu; and Broker.mu, then a queue's lock, then a log's
// locks.
package broker
