package wire

import (
	"errors"
	"fmt"

	"github.com/ferrymq/ferry/internal/message"
)

// Error is a breach of the protocol by the peer: a frame or payload that
// cannot be decoded. Code is the reply code of the connection exception a
// server answers it with (spec 1.5.2.x constants, see doc.go for which
// error gets which code); Err says what was wrong and wraps one of the
// sentinel errors below, or one of message's table errors.
//
// Errors from the underlying connection (io.EOF, io.ErrUnexpectedEOF, a
// reset) are returned as they are: there is no one left to answer.
type Error struct {
	Code uint16
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("amqp %s (%d): %v", ReplyName(e.Code), e.Code, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinel errors, wrapped in an *Error (test with errors.Is).
var (
	// Frame errors: the frame itself is wrong (FRAME_ERROR, 501).
	ErrFrameEnd      = errors.New("frame does not end with the frame-end octet 0xCE")
	ErrFrameTooLarge = errors.New("frame larger than the negotiated frame-max")
	ErrFrameType     = errors.New("unknown frame type")
	ErrHeartbeat     = errors.New("heartbeat frame on a channel other than 0")

	// Syntax errors: the payload does not decode (SYNTAX_ERROR, 502).
	ErrTruncated      = message.ErrTruncated // arguments end early
	ErrTrailingBytes  = errors.New("bytes left over after the last argument")
	ErrPropertyFlags  = message.ErrPropertyFlags
	ErrNoContentClass = errors.New("content header for a class that has no content")

	// ErrUnknownMethod is a method frame naming a class and method this
	// codec does not know (NOT_IMPLEMENTED, 540).
	ErrUnknownMethod = errors.New("unknown class or method id")

	// ErrProtocolHeader is a connection that did not open with
	// "AMQP\x00\x00\x09\x01". The server answers it by sending its own
	// protocol header and closing, not with a reply code (spec 4.2.2).
	ErrProtocolHeader = errors.New("not an AMQP 0-9-1 protocol header")
)

// ReplyCode returns the reply code with which a server should close the
// connection over err, and whether err is a protocol error at all.
func ReplyCode(err error) (uint16, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code, true
	}
	return 0, false
}

func frameError(format string, args ...any) error {
	return &Error{Code: FrameError, Err: fmt.Errorf(format, args...)}
}

func syntaxError(format string, args ...any) error {
	return &Error{Code: SyntaxError, Err: fmt.Errorf(format, args...)}
}
