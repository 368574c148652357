package message

import (
	"errors"
	"fmt"
)

// formatVersion is the first byte of every encoded message.
const formatVersion = 1

// Encode returns the stored form of m (see the package doc).
func Encode(m *Message) ([]byte, error) {
	return AppendEncoded(make([]byte, 0, EncodedSizeHint(m)), m)
}

// EncodedSizeHint is a capacity that usually fits Encode's result.
func EncodedSizeHint(m *Message) int {
	return 64 + len(m.Exchange) + len(m.RoutingKey) + len(m.Body) + 32*len(m.Properties.Headers)
}

// AppendEncoded appends the stored form of m to dst.
func AppendEncoded(dst []byte, m *Message) ([]byte, error) {
	if len(m.Exchange) > 255 {
		return dst, fmt.Errorf("message: exchange name is %d bytes, more than 255", len(m.Exchange))
	}
	if len(m.RoutingKey) > 255 {
		return dst, fmt.Errorf("message: routing key is %d bytes, more than 255", len(m.RoutingKey))
	}
	dst = append(dst, formatVersion, byte(len(m.Exchange)))
	dst = append(dst, m.Exchange...)
	dst = append(dst, byte(len(m.RoutingKey)))
	dst = append(dst, m.RoutingKey...)
	dst, err := AppendProperties(dst, &m.Properties)
	if err != nil {
		return dst, err
	}
	return append(dst, m.Body...), nil
}

// Decode parses the stored form of a message. The returned Body aliases
// b; copy it if b will be reused.
func Decode(b []byte) (*Message, error) {
	m := new(Message)
	if err := DecodeInto(b, m); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeInto is Decode into a caller's Message.
func DecodeInto(b []byte, m *Message) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	if b[0] != formatVersion {
		return fmt.Errorf("message: unknown format version %d", b[0])
	}
	n := 1
	readStr := func() (string, error) {
		if n >= len(b) || n+1+int(b[n]) > len(b) {
			return "", ErrTruncated
		}
		l := int(b[n])
		s := string(b[n+1 : n+1+l])
		n += 1 + l
		return s, nil
	}
	var err error
	if m.Exchange, err = readStr(); err != nil {
		return err
	}
	if m.RoutingKey, err = readStr(); err != nil {
		return err
	}
	pn, err := ReadProperties(b[n:], &m.Properties)
	if err != nil {
		if errors.Is(err, ErrTruncated) {
			return err
		}
		return fmt.Errorf("message: properties: %w", err)
	}
	m.Body = b[n+pn:]
	return nil
}
