package wire

import (
	"fmt"

	"github.com/ferrymq/ferry/internal/message"
)

// ReadProperties decodes the property flags and property list of a basic
// content header from src, which must hold nothing else. The codec is
// package message's (the store keeps messages in the same form); this
// wrapper turns its errors into SYNTAX_ERROR and refuses trailing bytes.
// The spec's property order and bits are checked against message's flag
// constants by a generated test (propertyBits).
func ReadProperties(src []byte, p *message.Properties) error {
	n, err := message.ReadProperties(src, p)
	if err != nil {
		return syntaxError("basic properties: %w", err)
	}
	if n != len(src) {
		return syntaxError("basic properties: %d bytes after the last property: %w", len(src)-n, ErrTrailingBytes)
	}
	return nil
}

// AppendProperties appends p's property flags and each property they mark
// present, in spec order, to dst. On error dst is returned as it was.
func AppendProperties(dst []byte, p *message.Properties) ([]byte, error) {
	out, err := message.AppendProperties(dst, p)
	if err != nil {
		return dst, fmt.Errorf("encode basic properties: %w", err)
	}
	return out, nil
}
