package queue

import "errors"

// Errors a queue returns, wrapped with the queue's name and the operation.
// Match them with errors.Is; the broker maps them to protocol errors.
var (
	// ErrUnknownDelivery means the message is not leased to the owner that
	// acked or nacked it: never delivered, already settled, or leased to
	// another owner. Nothing changed.
	ErrUnknownDelivery = errors.New("queue: unknown delivery")
	// ErrClosed means the queue was closed.
	ErrClosed = errors.New("queue: closed")
	// ErrTooLarge means a message body is larger than 4 GiB - 1.
	ErrTooLarge = errors.New("queue: message too large")
	// ErrRejected means a full queue refused a publish (overflow
	// reject-publish or reject-publish-dlx). Nothing was enqueued.
	ErrRejected = errors.New("queue: publish rejected: queue full")
	// ErrNotFound means the queue holds no message with that ID.
	ErrNotFound = errors.New("queue: no such message")
	// ErrInvalid means the caller passed options that make no sense.
	ErrInvalid = errors.New("queue: invalid argument")
)
