// Package wire is AMQP 0-9-1 on the wire: frames, the protocol header,
// every method's arguments, and content headers. It owns bytes and nothing
// else; connections, channels and what a method means belong to the AMQP
// front end above it. It imports only the standard library and the leaf
// package message, whose field tables and properties it decodes into, so
// that headers reach the broker without a second conversion.
//
// # Generated code
//
// The method codec (methods_gen.go), the content properties codec
// (properties_gen.go) and the constants (constants_gen.go) are generated
// by ./gen from RabbitMQ's amqp-rabbitmq-0.9.1.json in shared/specs, and
// committed. That file, rather than the spec XML, because it is what
// RabbitMQ generates its own server from, so the method set is exactly the
// one RabbitMQ speaks (it keeps access.request, which old clients still
// send, and connection.update-secret); because its "synchronous" flag marks
// exactly the requests that await a reply (the XML also marks replies, and
// the documented XML drops it from basic.recover); and because it names
// the reserved fields by their old meaning (ticket, nowait, cluster-id),
// as message.Properties does. The XML has the prose, which the JSON lacks:
// read amqp0-9-1.extended.xml for what a method or field means. The
// generator cross-checks the JSON against the stripped XML (ids, content
// flags, and the wire type of every argument and property, in order) and
// fails if they disagree. Regenerate with `go generate` in this folder.
//
// # Errors
//
// A peer's protocol breach comes back as an *Error whose Code is the reply
// code to close the connection with: FRAME_ERROR (501) when a frame is
// malformed (bad frame-end, over frame-max, unknown type, heartbeat off
// channel 0), SYNTAX_ERROR (502) when a payload does not decode (truncated,
// trailing bytes, a bad field table, property flags naming no property),
// NOT_IMPLEMENTED (540) for an unknown class or method id. A method's
// unused bits, and a content header's weight, are ignored on decode as
// RabbitMQ ignores them; everything else re-encodes to the bytes it came
// from.
//
// # Buffers
//
// Reader reuses one buffer for every frame: a Frame's Payload is valid
// until the next ReadFrame. Decoded methods and properties never alias it.
// Writer appends frames to one reused buffer and writes them with Flush;
// encoding a publish or a delivery allocates nothing. Neither is safe for
// concurrent use: each connection has one reader and one writer goroutine.
package wire

//go:generate go run ./gen -spec ../../../../shared/specs/amqp-rabbitmq-0.9.1.json -check ../../../../shared/specs/amqp0-9-1.stripped.extended.xml
