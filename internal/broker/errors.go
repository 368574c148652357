package broker

import (
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/queue"
)

// Code classifies what went wrong, in terms every front end can map to
// its protocol in one place: an AMQP reply code, an SQS error code, an
// HTTP status.
type Code uint8

const (
	// Internal: the broker or its storage failed; not the client's fault.
	Internal Code = iota
	// NotFound: no such vhost, queue or delivery target.
	NotFound
	// PreconditionFailed: the request conflicts with existing state, e.g. a
	// redeclare with other properties, deleting a queue in use, acking an
	// unknown delivery.
	PreconditionFailed
	// ResourceLocked: the queue is exclusive to another connection.
	ResourceLocked
	// AccessRefused: the name is reserved or the client may not use it.
	AccessRefused
	// NotAllowed: the operation is never allowed on this object, e.g.
	// deleting the default vhost.
	NotAllowed
	// InvalidArgument: a name or argument is malformed.
	InvalidArgument
	// CommandInvalid: the request names something the broker does not
	// implement, e.g. an unknown exchange type (AMQP 503, as RabbitMQ
	// answers it).
	CommandInvalid
)

var codeNames = [...]string{
	Internal: "internal error", NotFound: "not found", PreconditionFailed: "precondition failed",
	ResourceLocked: "resource locked", AccessRefused: "access refused", NotAllowed: "not allowed",
	InvalidArgument: "invalid argument", CommandInvalid: "command invalid",
}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// Error is the error type the broker returns. Msg is written for the
// client ("no queue 'orders' in vhost '/'"); Err, if set, is the cause.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg == "" && e.Err == nil:
		return e.Code.String()
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return e.Err.Error()
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, broker.ErrNotFound) and the like match any
// *Error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Err == nil && t.Code == e.Code
}

// Sentinels for errors.Is, one per code.
var (
	ErrInternal           = &Error{Code: Internal}
	ErrNotFound           = &Error{Code: NotFound}
	ErrPreconditionFailed = &Error{Code: PreconditionFailed}
	ErrResourceLocked     = &Error{Code: ResourceLocked}
	ErrAccessRefused      = &Error{Code: AccessRefused}
	ErrNotAllowed         = &Error{Code: NotAllowed}
	ErrInvalidArgument    = &Error{Code: InvalidArgument}
	ErrCommandInvalid     = &Error{Code: CommandInvalid}
)

func newError(c Code, format string, a ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, a...)}
}

// CodeOf classifies err: a broker *Error by its code, and the errors of
// the queues the broker hands out (Ack, Nack, Get...) as a front end
// should report them. Anything else is Internal. err must not be nil.
func CodeOf(err error) Code {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, queue.ErrUnknownDelivery):
		return PreconditionFailed // AMQP: "unknown delivery tag" is 406
	case errors.Is(err, queue.ErrClosed):
		return NotFound // the queue was deleted under the caller
	case errors.Is(err, queue.ErrInvalid), errors.Is(err, queue.ErrTooLarge):
		return InvalidArgument
	}
	return Internal
}

// fromQueue wraps an error of a queue in an *Error with its code.
func fromQueue(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: CodeOf(err), Msg: fmt.Sprintf(format, a...), Err: err}
}
