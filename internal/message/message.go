package message

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message is what a publisher handed the broker: where it was sent, its
// properties and its body. Front ends translate their wire forms to and
// from it; the queue engine stores it encoded and never looks inside.
type Message struct {
	Exchange   string // exchange it was published to ("" for the default exchange)
	RoutingKey string
	Properties Properties
	Body       []byte
}

// Property flags, as bits of the AMQP 0-9-1 basic content header
// (spec 4.2.6.1: bit 15 is the first property). Keeping AMQP's own bits
// means a content header converts to Properties and back without loss.
const (
	FlagContentType     uint16 = 1 << 15
	FlagContentEncoding uint16 = 1 << 14
	FlagHeaders         uint16 = 1 << 13
	FlagDeliveryMode    uint16 = 1 << 12
	FlagPriority        uint16 = 1 << 11
	FlagCorrelationID   uint16 = 1 << 10
	FlagReplyTo         uint16 = 1 << 9
	FlagExpiration      uint16 = 1 << 8
	FlagMessageID       uint16 = 1 << 7
	FlagTimestamp       uint16 = 1 << 6
	FlagType            uint16 = 1 << 5
	FlagUserID          uint16 = 1 << 4
	FlagAppID           uint16 = 1 << 3
	FlagClusterID       uint16 = 1 << 2
)

// DeliveryMode values.
const (
	Transient  uint8 = 1
	Persistent uint8 = 2
)

// Properties are a message's metadata, with AMQP's basic properties as
// the common vocabulary (SQS attributes map onto Headers). Flags records
// which properties were present, so an empty value sent on purpose stays
// distinct from one never sent; the Set* helpers keep Flags right.
type Properties struct {
	Flags           uint16
	ContentType     string
	ContentEncoding string
	Headers         Table
	DeliveryMode    uint8
	Priority        uint8
	CorrelationID   string
	ReplyTo         string
	Expiration      string
	MessageID       string
	Timestamp       uint64 // seconds since the Unix epoch
	Type            string
	UserID          string
	AppID           string
	ClusterID       string
}

// Has reports whether every property in flag is present.
func (p *Properties) Has(flag uint16) bool { return p.Flags&flag == flag }

// Persistent reports whether the publisher asked for the message to
// survive a restart (delivery mode 2).
func (p *Properties) Persistent() bool {
	return p.Has(FlagDeliveryMode) && p.DeliveryMode == Persistent
}

// SetHeader sets one header and marks headers present.
func (p *Properties) SetHeader(key string, v any) {
	p.Headers.Set(key, v)
	p.Flags |= FlagHeaders
}

// flagsUnused are the flag bits that name no basic property. Bit 0 would
// announce a further flags word (4.2.6.1), which 14 properties do not
// need; a peer that sets either sent a malformed header.
const flagsUnused uint16 = 0x0003

// ErrPropertyFlags means a property flags word set bits that name no
// property.
var ErrPropertyFlags = errors.New("property flags set bits that name no basic property")

// AppendProperties appends p in the AMQP 0-9-1 basic content header
// property form (spec 4.2.6.1): "The property flags are an array of bits
// that indicate the presence or absence of each property value in
// sequence. The bits are ordered from most high to low - bit 15 indicates
// the first property." Then each present property, in that order. This
// is the one codec of basic properties: the store keeps messages in it and
// the AMQP front end sends and receives it. On error dst is returned as
// it was.
func AppendProperties(dst []byte, p *Properties) ([]byte, error) {
	flags := p.Flags
	if flags&flagsUnused != 0 {
		return dst, fmt.Errorf("message: encode properties: flags %#04x: %w", flags, ErrPropertyFlags)
	}
	orig := dst
	dst = binary.BigEndian.AppendUint16(dst, flags)
	var err error
	str := func(flag uint16, s, name string) {
		if err != nil || flags&flag == 0 {
			return
		}
		if len(s) > 255 {
			err = fmt.Errorf("message: property %s is %d bytes, more than a short string's 255", name, len(s))
			return
		}
		dst = append(dst, byte(len(s)))
		dst = append(dst, s...)
	}
	str(FlagContentType, p.ContentType, "content-type")
	str(FlagContentEncoding, p.ContentEncoding, "content-encoding")
	if err == nil && flags&FlagHeaders != 0 {
		dst, err = AppendTable(dst, p.Headers)
	}
	if flags&FlagDeliveryMode != 0 {
		dst = append(dst, p.DeliveryMode)
	}
	if flags&FlagPriority != 0 {
		dst = append(dst, p.Priority)
	}
	str(FlagCorrelationID, p.CorrelationID, "correlation-id")
	str(FlagReplyTo, p.ReplyTo, "reply-to")
	str(FlagExpiration, p.Expiration, "expiration")
	str(FlagMessageID, p.MessageID, "message-id")
	if flags&FlagTimestamp != 0 {
		dst = binary.BigEndian.AppendUint64(dst, p.Timestamp)
	}
	str(FlagType, p.Type, "type")
	str(FlagUserID, p.UserID, "user-id")
	str(FlagAppID, p.AppID, "app-id")
	str(FlagClusterID, p.ClusterID, "cluster-id")
	if err != nil {
		return orig, err
	}
	return dst, nil
}

// ReadProperties decodes properties written by AppendProperties (or sent
// by an AMQP client in a content header) and returns the bytes consumed.
func ReadProperties(src []byte, p *Properties) (int, error) {
	if len(src) < 2 {
		return 0, ErrTruncated
	}
	*p = Properties{Flags: binary.BigEndian.Uint16(src)}
	if p.Flags&flagsUnused != 0 {
		return 0, fmt.Errorf("message: properties: flags %#04x: %w", p.Flags, ErrPropertyFlags)
	}
	n := 2
	var err error
	str := func(flag uint16, s *string) {
		if err != nil || p.Flags&flag == 0 {
			return
		}
		if n >= len(src) || n+1+int(src[n]) > len(src) {
			err = fmt.Errorf("message: property at byte %d: %w", n, ErrTruncated)
			return
		}
		l := int(src[n])
		*s = string(src[n+1 : n+1+l])
		n += 1 + l
	}
	octet := func(flag uint16, b *uint8) {
		if err != nil || p.Flags&flag == 0 {
			return
		}
		if n >= len(src) {
			err = fmt.Errorf("message: property at byte %d: %w", n, ErrTruncated)
			return
		}
		*b = src[n]
		n++
	}
	str(FlagContentType, &p.ContentType)
	str(FlagContentEncoding, &p.ContentEncoding)
	if err == nil && p.Flags&FlagHeaders != 0 {
		t, m, terr := ReadTable(src[n:])
		if terr != nil {
			return 0, fmt.Errorf("message: headers: %w", terr)
		}
		p.Headers, n = t, n+m
	}
	octet(FlagDeliveryMode, &p.DeliveryMode)
	octet(FlagPriority, &p.Priority)
	str(FlagCorrelationID, &p.CorrelationID)
	str(FlagReplyTo, &p.ReplyTo)
	str(FlagExpiration, &p.Expiration)
	str(FlagMessageID, &p.MessageID)
	if err == nil && p.Flags&FlagTimestamp != 0 {
		if n+8 > len(src) {
			err = fmt.Errorf("message: timestamp at byte %d: %w", n, ErrTruncated)
		} else {
			p.Timestamp = binary.BigEndian.Uint64(src[n:])
			n += 8
		}
	}
	str(FlagType, &p.Type)
	str(FlagUserID, &p.UserID)
	str(FlagAppID, &p.AppID)
	str(FlagClusterID, &p.ClusterID)
	if err != nil {
		return 0, err
	}
	return n, nil
}
