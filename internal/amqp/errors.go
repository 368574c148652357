package amqp

import (
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/broker"
)

// This file is the one place where errors become AMQP exceptions: the
// broker's typed codes, the codec's protocol errors, and the front end's
// own checks. A soft error (4xx, 3xx) closes the channel it happened on;
// a hard error (5xx, 320, 402) closes the connection (spec 1.5.2.x).

// amqpError is an exception to raise: the reply code and text of the
// channel.close or connection.close, and the method that caused it.
type amqpError struct {
	code     uint16
	text     string // without the "NOT_FOUND - " prefix
	classID  uint16 // of the failing method; 0 if none
	methodID uint16
	cause    error // for the log; may be nil
}

func (e *amqpError) Error() string {
	if e.cause != nil {
		return replyText(e.code, e.text) + ": " + e.cause.Error()
	}
	return replyText(e.code, e.text)
}

func (e *amqpError) Unwrap() error { return e.cause }

// hard reports whether e closes the whole connection.
func (e *amqpError) hard() bool { return !wire.IsSoftError(e.code) }

// replyText formats a reply text as RabbitMQ does ("NOT_FOUND - no queue
// 'q' in vhost '/'"), cut to fit a short string.
func replyText(code uint16, text string) string {
	s := text
	if name := wire.ReplyName(code); name != "" {
		s = name + " - " + text
	}
	if len(s) > 255 {
		s = s[:252] + "..."
	}
	return s
}

// newErr makes an exception with a formatted reply text.
func newErr(code uint16, format string, a ...any) *amqpError {
	return &amqpError{code: code, text: fmt.Sprintf(format, a...)}
}

// withMethod records the method an exception is about, unless set.
func (e *amqpError) withMethod(m wire.Method) *amqpError {
	if e.classID == 0 && m != nil {
		e.classID, e.methodID = m.ID()
	}
	return e
}

// fromBroker maps an error of the broker (or of a queue it handed out)
// to the exception RabbitMQ raises for the same condition. The broker
// writes its messages for clients, so they become the reply text as is.
func fromBroker(err error) *amqpError {
	var code uint16
	switch broker.CodeOf(err) {
	case broker.NotFound:
		code = wire.NotFound // 404, channel
	case broker.PreconditionFailed, broker.InvalidArgument:
		code = wire.PreconditionFailed // 406, channel
	case broker.ResourceLocked:
		code = wire.ResourceLocked // 405, channel
	case broker.AccessRefused:
		code = wire.AccessRefused // 403, channel
	case broker.NotAllowed:
		code = wire.NotAllowed // 530, connection
	case broker.CommandInvalid:
		code = wire.CommandInvalid // 503, connection
	default:
		code = wire.InternalError // 541, connection: the broker or its storage failed
	}
	text := err.Error()
	var be *broker.Error
	if errors.As(err, &be) && be.Msg != "" {
		text = be.Msg
	}
	return &amqpError{code: code, text: text, cause: err}
}

// fromWire maps a codec error (a malformed frame or payload) to the
// connection exception its code names.
func fromWire(err error) *amqpError {
	code, ok := wire.ReplyCode(err)
	if !ok {
		code = wire.InternalError
	}
	return &amqpError{code: code, text: err.Error(), cause: err}
}

// asAMQP turns any error from a handler into an exception; errors that
// are neither ours nor the broker's are internal.
func asAMQP(err error) *amqpError {
	var ae *amqpError
	if errors.As(err, &ae) {
		return ae
	}
	if _, ok := wire.ReplyCode(err); ok {
		return fromWire(err)
	}
	return fromBroker(err)
}

// Exceptions the front end raises itself, named as RabbitMQ words them.

func errUnknownDeliveryTag(tag uint64) *amqpError {
	return newErr(wire.PreconditionFailed, "unknown delivery tag %d", tag)
}

func errUnexpectedFrame(format string, a ...any) *amqpError {
	return newErr(wire.UnexpectedFrame, format, a...)
}

func errChannel(format string, a ...any) *amqpError {
	return newErr(wire.ChannelError, format, a...)
}

func errCommandInvalid(format string, a ...any) *amqpError {
	return newErr(wire.CommandInvalid, format, a...)
}

func errNotImplemented(format string, a ...any) *amqpError {
	return newErr(wire.NotImplemented, format, a...)
}

func errPrecondition(format string, a ...any) *amqpError {
	return newErr(wire.PreconditionFailed, format, a...)
}
