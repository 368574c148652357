package wire

import (
	"encoding/binary"
	"fmt"
)

// Method is the decoded arguments of one AMQP method: one of the generated
// structs in methods_gen.go, always as a pointer (*BasicPublish).
type Method interface {
	// ID returns the method's class and method ids.
	ID() (classID, methodID uint16)
	// Name returns the spec's name, "class.method" ("basic.publish").
	Name() string
	// HasContent reports whether a content header and body frames follow
	// the method frame (basic.publish, basic.deliver, ...).
	HasContent() bool
	// Synchronous reports whether the method is a request its peer answers
	// with a reply method (RabbitMQ's spec marks requests only).
	Synchronous() bool
	// Read decodes the arguments from args, which must hold nothing else;
	// every field is overwritten, so a Method may be reused. Decoded
	// values never alias args.
	Read(args []byte) error
	// Append appends the arguments, as Read expects them, to dst. On
	// error dst is returned as it was.
	Append(dst []byte) ([]byte, error)
}

// ReadMethod decodes the arguments of the method with the given ids into a
// new Method. An unknown pair of ids is an *Error with NOT_IMPLEMENTED;
// arguments that do not decode, one with SYNTAX_ERROR.
func ReadMethod(classID, methodID uint16, args []byte) (Method, error) {
	m := newMethod(classID, methodID)
	if m == nil {
		return nil, &Error{Code: NotImplemented, Err: fmt.Errorf("class %d method %d: %w", classID, methodID, ErrUnknownMethod)}
	}
	if err := m.Read(args); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadMethodFrame decodes the payload of a method frame.
//
// 4.2.4 Method Payloads: "Method frame bodies consist of an invariant list
// of data fields, called "arguments". All method bodies start with
// identifier numbers for the class and method:
//
//	0          2           4
//	+----------+-----------+-------------- - -
//	| class-id | method-id | arguments...
//	+----------+-----------+-------------- - -
//	   short      short    ..."
func ReadMethodFrame(payload []byte) (Method, error) {
	if len(payload) < 4 {
		return nil, syntaxError("method frame of %d bytes, shorter than its class and method ids: %w", len(payload), ErrTruncated)
	}
	return ReadMethod(binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]), payload[4:])
}

// AppendMethodFrame appends the payload of a method frame for m (class id,
// method id, arguments) to dst. On error dst is returned as it was.
func AppendMethodFrame(dst []byte, m Method) ([]byte, error) {
	classID, methodID := m.ID()
	out := binary.BigEndian.AppendUint16(dst, classID)
	out = binary.BigEndian.AppendUint16(out, methodID)
	out, err := m.Append(out)
	if err != nil {
		return dst, err
	}
	return out, nil
}
