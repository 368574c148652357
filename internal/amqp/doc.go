// Package amqp is Ferry's AMQP 0-9-1 front end: it accepts connections,
// runs the connection and channel state machines of the spec as RabbitMQ
// does, and turns methods into calls on the broker. It decides nothing
// about messages: routing, storage and delivery order belong to the
// broker and the queue engine; this package translates (DESIGN.md, "Front
// ends"). Frames and method arguments are package wire's.
//
// # Goroutines and queues
//
// Each connection has one reader goroutine and one writer goroutine
// (STYLE lesson 7). The reader decodes frames and runs every method to
// completion, calling the broker itself; it owns the connection's and its
// channels' protocol state, so most of that state needs no lock. The
// writer owns the socket's write side and a wire.Writer, and sends what
// the others queue:
//
//   - replies the reader makes go to their channel's outbound list; the
//     reader stops reading frames while more than maxBacklog bytes of
//     them wait, so a client that does not read its socket is slowed
//     down instead of growing the server's memory;
//   - deliveries come from queue.Consumer Deliver callbacks, which run
//     under the queue's lock and must never block: they append to the
//     channel's list under the channel's own mutex. The queue's prefetch
//     bounds them; with prefetch 0 the list simply grows, as RabbitMQ's
//     process mailbox does, and the engine is never stalled by a socket;
//   - publisher confirms come from the store's durability callbacks and
//     are appended the same way.
//
// One list per channel keeps a channel's frames in the order they were
// made (consume-ok before the first delivery, basic.return before the
// confirm of the same message). The writer takes whole lists, writes them
// with one flush, and holds back deliveries a channel may not send yet
// (channel.flow off) while still sending the channel's method replies.
//
// # Locking
//
// Lock order: queue.Queue's lock, then channel.mu, then outbox.mu; a
// queue's lock, then the channel's queue.Limiter (whose Release and
// SetLimit run with no queue or channel lock held); and
// Server.mu and Server.regMu are never held while taking any of those.
// The reader never calls into a queue or the broker while holding
// channel.mu. Fields say which lock guards them; functions that expect a
// lock held end in Locked.
//
// # Behaviour worth knowing
//
//   - basic.qos global=true is a per-channel limit across the channel's
//     consumers in every queue, as in RabbitMQ 3.3+ (global=false is per
//     consumer, and both apply when both are set): the channel's
//     queue.Limiter, from which a queue takes a credit before it hands a
//     message to one of the channel's consumers, so what the queues lease
//     to the channel never exceeds it, and a changed limit applies at once.
//   - Consumer priorities (x-priority) order the consumers of a queue; see
//     consume.go for the consumer arguments accepted and refused. Queue
//     arguments are the broker's to check (broker/queue_args.go).
//   - An auto-delete queue is deleted when its last consumer on this
//     server is cancelled; a consumer whose queue is deleted through this
//     server gets basic.cancel if its client announced
//     consumer_cancel_notify.
package amqp
