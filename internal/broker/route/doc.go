// Package route decides which destinations a published message goes to:
// the four AMQP 0-9-1 exchange types as RabbitMQ implements them.
//
//   - direct: the routing key equals the binding key.
//   - fanout: every binding, whatever the key.
//   - topic: binding keys are patterns of dot-separated words where "*"
//     stands for exactly one word and "#" for zero or more (spec 3.1.3.3);
//     matched with a trie, so the cost grows with the key's words, not the
//     number of bindings.
//   - headers: the binding's arguments are compared with the message
//     headers; "x-match" = "all" (the default) needs every argument to
//     match, "any" needs one; "all-with-x" and "any-with-x" also compare
//     arguments whose names start with "x-", which "all" and "any" skip,
//     as RabbitMQ does. An argument with a void value matches on the
//     header's presence alone.
//
// A destination is an opaque string (the broker uses it for queues and,
// with exchange-to-exchange bindings, exchanges). Matching is pure: no
// locks, no I/O; the broker guards a Matcher with its own lock. Each
// destination is reported once per message, however many of its
// bindings match.
package route
