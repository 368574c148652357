// Package sqs is Ferry's Amazon SQS front end: an HTTP server that
// speaks both wire protocols of the SQS API (2012-11-05) so that the AWS
// SDKs and CLI work unchanged, on the queues of the default vhost "/" —
// the same queues AMQP clients use.
//
// # Wire protocols
//
// The JSON protocol (X-Amz-Target: AmazonSQS.<Action>, json.go) and the
// query protocol (form Action=<Action>, XML answers, query.go) are both
// decoded into one parameter map in the JSON protocol's shape, so each
// action (actions_*.go) is written once. Errors carry the API model's
// error shape (JSON __type), the legacy query code (x-amzn-query-error,
// <Code>) and its HTTP status (errors.go, the one place where broker
// errors become SQS errors). Queue URLs are
// http://<Host header>/<account>/<name>; a queue is named by the
// QueueUrl parameter or, failing it, the request's path. Account id and
// region (for ARNs) come from Config.
//
// # Queues
//
// A queue's attributes are its arguments (attrs.go): VisibilityTimeout,
// DelaySeconds, MessageRetentionPeriod, FifoQueue and RedrivePolicy map to
// the engine's x-visibility-timeout, x-delay, x-message-ttl, x-fifo and
// dead-lettering arguments (maxReceiveCount N is x-delivery-limit N-1,
// so the engine allows N deliveries); the rest are kept as x-sqs-<Name>.
// Ferry's retry backoff is offered as extra attributes
// FerryRetryInitialDelay, FerryRetryMaxDelay, FerryRetryMultiplier and
// FerryRetryJitter (the x-retry-* arguments).
// SetQueueAttributes and TagQueue change the arguments in place
// (broker.SetQueueArgs). SQS queues are durable. Without
// MessageRetentionPeriod set, messages do not expire (GetQueueAttributes
// reports SQS's default, 345600). PurgeQueue removes waiting messages;
// messages in flight stay until deleted or visible again.
//
// # Messages
//
// SendMessage stores an AMQP message to the default exchange with the
// queue's name as routing key; convert.go documents how message
// attributes map to headers and back. MD5OfMessageBody and
// MD5OfMessageAttributes are computed as SQS computes them (md5.go). FIFO
// queues use the engine's message groups (MessageGroupId) and dedup ids
// (MessageDeduplicationId, or the SHA-256 of the body with
// ContentBasedDeduplication; with DeduplicationScope messageGroup the id
// is scoped to the group); SequenceNumber is the engine's message id. A
// duplicate answers with a fresh MessageId rather than the first one's.
// The engine hands out one message of a FIFO group at a time, so a
// receive gets at most one message per group.
//
// ReceiveMessage leases messages with the visibility timeout
// (queue.GetLeased); with nothing ready and a wait, it registers a push
// consumer for the wait (long polling), which the engine hands the first
// message that becomes ready, published, due after a delay, or back from
// a lease. Receipt handles (receipt.go) name the lease; delete and
// visibility changes act on it, and stale handles behave as in SQS. A
// delete is answered once the engine has applied it and the ack is in
// the log, not after the log's fsync, as an AMQP ack is never waited on:
// after a crash an acked message may come back once (startDelete).
// ApproximateFirstReceiveTimestamp is kept in memory while a message is
// in flight: after a restart it restarts.
//
// # Also
//
// Message move tasks run broker.Redrive (actions_move.go). AddPermission
// and RemovePermission are recorded in the queue's arguments and grant
// nothing. Requests are checked against SigV4 signatures when access
// keys are configured (sigv4.go); with none, any credentials are
// accepted, as local emulators do, and the server logs so at start.
package sqs
