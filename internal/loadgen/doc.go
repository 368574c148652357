// Package loadgen is Ferry's load tool: an AMQP 0-9-1 client that drives
// any AMQP broker (Ferry or RabbitMQ) with producers and consumers and
// reports throughput, latency and exactly how many messages were lost or
// duplicated. With Protocol
// sqs-json (the AWS SDK for Go v2) or sqs-query (a small form-POST client
// of its own) it drives an SQS endpoint (Ferry, goaws) the same way: see
// sqs.go for how a run maps onto SendMessageBatch, ReceiveMessage and
// DeleteMessageBatch. It is what
// `ferry bench` runs and what bench/compare.sh uses to put Ferry beside
// RabbitMQ. It owns nothing in the broker and imports none of its packages,
// so it measures Ferry only through the wire, as a user would.
//
// # What a run does
//
// Run declares the queue (or a fresh one, deleted afterwards), starts the
// consumers, then the producers. Each producer and each consumer has its
// own connection, as PerfTest's do, so that one slow socket does not hide
// another. Producers publish for Warmup+Duration or until Count messages
// are out, then wait for their outstanding confirms; then a bounded drain
// phase (DrainTimeout) waits until every message the broker accepted has
// been consumed. What is still missing then is lost.
//
// # Two AMQP clients
//
// The load tool shares the machine's cores with the broker it measures,
// so its own cost per message is part of every figure. Client picks how
// it speaks AMQP:
//
//   - lean (the default, lean_*.go) is the load tool's own client on
//     Ferry's codec, package amqp/wire: exactly what a run needs (PLAIN
//     login, one channel, queue.declare and delete, basic.qos,
//     confirm.select, publish, consume, ack), no more. A producer frames
//     every publish that may go now (room in the confirm window, due by
//     the pacer) into one reused buffer and writes them with one write;
//     its reader goroutine settles a multiple ack in one step and wakes
//     the publisher once per read burst. A consumer is one goroutine that
//     reads frames from a bufio.Reader and sends all the acks of a burst
//     in one write before it next waits. Nothing is allocated per message:
//     the method and content header of a publish are encoded once, and of
//     a delivery only the delivery tag and the 32-byte header are read.
//   - amqp091 is github.com/rabbitmq/amqp091-go, the client most Go
//     programs use: one write per publish and per ack, and a goroutine
//     hand-off per delivery and per confirm. It is kept as the common
//     client to compare with, and for amqps://.
//
// Both count the same way and report the same Result, which names the
// client. Where they differ, lean is the one that is exact: amqp091-go
// turns a nack that arrives ahead of a multiple ack into an ack, and
// without confirms it stops reading returns before the broker has sent
// them all (the lean producer closes its channel first, whose close-ok
// comes after every return).
//
// # The message header
//
// Every body starts with a fixed header, padded with zeros to Size:
//
//	offset  size  field
//	0       4     magic "FRY1"
//	4       8     run id (random per run; other runs' messages are "foreign")
//	12      4     producer id
//	16      8     sequence number, dense from 0 per producer
//	24      8     send time, Unix nanoseconds
//	32      ...   padding
//
// All integers are big-endian, as AMQP's are. SQS bodies must be text, so
// over SQS the 32 bytes travel base64-encoded (44 characters) at the start
// of the body, padded with 'x' to Size.
//
// # Counting lost and duplicated messages exactly
//
// Sequence numbers are dense per producer, so a bitset per producer records
// which ones a consumer saw (see ledger), and another which ones the broker
// accepted: with confirms, those it acked and did not return; without
// confirms, every one sent (at-most-once cannot tell more). Lost is
// |accepted \ seen|; a sequence number seen twice is a duplicate, whichever
// consumers saw it. Both are exact, not sampled.
//
// # Timing
//
// Latencies are recorded in a log-linear histogram (histogram.go) whose
// relative error is below 1/128 (0.8%). End-to-end latency is receive time
// minus the send time in the header: both clocks are this machine's, so
// the broker must run here (it does: loopback only). Only messages sent
// after the warm-up count toward latencies and rates; loss and duplicates
// count every message. Rates pace each producer against absolute deadlines
// (start + n/rate), so the rate does not drift when a send is late; a late
// producer catches up at full speed.
//
// MB/s are decimal megabytes (10^6 bytes) of message body.
package loadgen
