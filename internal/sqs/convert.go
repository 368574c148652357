package sqs

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

// Messages and AMQP. An SQS message is stored as an AMQP message to the
// default exchange with the queue's name as routing key, persistent, with
// the SQS MessageId as its message-id property and the send time as its
// timestamp. Message attributes become headers, so AMQP consumers read
// them, and headers become message attributes:
//
//	SQS String (and String.*)  ↔ header long string
//	SQS Number (and Number.*)  → header long string of the number's text (exact)
//	SQS Binary (and Binary.*)  ↔ header byte array
//	header bool                → String "true" / "false"
//	header integer, float,
//	  decimal                  → Number (decimal text)
//	header timestamp           → Number (Unix seconds)
//	header table, array, void  → not shown to SQS
//
// A data type other than plain String or Binary (Number, or a custom
// type such as "String.json") is recorded in the header x-sqs-types, a
// table of attribute name to data type, so the attribute comes back with
// its type and the MD5 the SDK checks matches. Headers whose names begin
// with "x-" are control headers (RabbitMQ's x-death, Ferry's x-delay,
// x-group-id, x-deduplication-id, x-sqs-*) and are never shown as
// attributes; SQS attribute names beginning with "x-" are refused.
// System fields ride in headers too:
//
//	MessageGroupId          x-group-id (the engine's message group)
//	MessageDeduplicationId  x-deduplication-id (the engine's dedup id)
//	DelaySeconds            x-delay (ms)
//	SentTimestamp           x-sqs-sent-timestamp (ms; else the timestamp property)
//	SenderId                x-sqs-sender-id
//	AWSTraceHeader          x-amzn-trace-id (trace context, as AWS X-Ray names it),
//	                        and traceparent made from it (trace.go)

const (
	hdrTypes    = "x-sqs-types"
	hdrSent     = "x-sqs-sent-timestamp"
	hdrSender   = "x-sqs-sender-id"
	hdrGroup    = "x-group-id"
	hdrDedup    = "x-deduplication-id"
	hdrDelay    = "x-delay"
	hdrTrace    = "x-amzn-trace-id"
	hdrFirstDLQ = "x-first-death-queue"
	hdrLastDLQ  = "x-last-death-queue"
)

// outgoing is what SendMessage stores.
type outgoing struct {
	queue  string
	id     string // MessageId
	body   string
	attrs  map[string]attrValue
	trace  string
	group  string
	dedup  string
	delay  time.Duration
	hasDly bool
	sender string
	sentAt time.Time
}

// toMessage builds the stored message of o.
func (o *outgoing) toMessage() *message.Message {
	m := &message.Message{RoutingKey: o.queue, Body: []byte(o.body)}
	p := &m.Properties
	p.Flags = message.FlagDeliveryMode | message.FlagMessageID | message.FlagTimestamp
	p.DeliveryMode = message.Persistent
	p.MessageID = o.id
	p.Timestamp = uint64(o.sentAt.Unix())
	var types message.Table
	for _, name := range sortedKeys(o.attrs) {
		a := o.attrs[name]
		if a.isBinary() {
			p.SetHeader(name, a.BinaryValue)
		} else {
			p.SetHeader(name, a.StringValue)
		}
		if a.DataType != "String" && a.DataType != "Binary" {
			types = append(types, message.Field{Key: name, Value: a.DataType})
		}
	}
	if len(types) > 0 {
		p.SetHeader(hdrTypes, types)
	}
	p.SetHeader(hdrSent, o.sentAt.UnixMilli())
	p.SetHeader(hdrSender, o.sender)
	if o.group != "" {
		p.SetHeader(hdrGroup, o.group)
	}
	if o.dedup != "" {
		p.SetHeader(hdrDedup, o.dedup)
	}
	if o.hasDly {
		p.SetHeader(hdrDelay, o.delay.Milliseconds())
	}
	if o.trace != "" {
		p.SetHeader(hdrTrace, o.trace)
		if _, given := o.attrs[hdrTraceParent]; !given {
			if tp, ok := xrayToTraceparent(o.trace); ok {
				p.SetHeader(hdrTraceParent, tp) // trace.go
			}
		}
	}
	return m
}

// messageAttributes reads the SQS message attributes of m.
func messageAttributes(m *message.Message) map[string]attrValue {
	h := m.Properties.Headers
	if len(h) == 0 {
		return nil
	}
	var types message.Table
	if v, ok := h.Get(hdrTypes); ok {
		types, _ = v.(message.Table)
	}
	out := map[string]attrValue{}
	derived := derivedTraceparent(m) // trace.go: not the sender's attribute
	for _, f := range h {
		if strings.HasPrefix(strings.ToLower(f.Key), "x-") || checkAttrName(f.Key) != nil {
			continue
		}
		if derived != "" && f.Key == hdrTraceParent && f.Value == any(derived) {
			continue
		}
		if _, dup := out[f.Key]; dup {
			continue
		}
		var a attrValue
		switch v := f.Value.(type) {
		case string:
			a = attrValue{DataType: "String", StringValue: v}
		case []byte:
			a = attrValue{DataType: "Binary", BinaryValue: v}
		case bool:
			a = attrValue{DataType: "String", StringValue: strconv.FormatBool(v)}
		case int8, uint8, int16, uint16, int32, uint32, int64:
			n, _ := message.Int64(v)
			a = attrValue{DataType: "Number", StringValue: strconv.FormatInt(n, 10)}
		case float32:
			a = attrValue{DataType: "Number", StringValue: strconv.FormatFloat(float64(v), 'g', -1, 32)}
		case float64:
			a = attrValue{DataType: "Number", StringValue: strconv.FormatFloat(v, 'g', -1, 64)}
		case message.Decimal:
			a = attrValue{DataType: "Number", StringValue: decimalText(v)}
		case time.Time:
			a = attrValue{DataType: "Number", StringValue: strconv.FormatInt(v.Unix(), 10)}
		default:
			continue
		}
		if a.StringValue == "" && !a.isBinary() {
			continue // SQS has no empty string attributes
		}
		if t, ok := types.Get(f.Key); ok {
			ts, _ := t.(string)
			switch bt := baseType(ts); {
			case a.isBinary() && bt == "Binary", !a.isBinary() && (bt == "String" || bt == "Number"):
				a.DataType = ts
			}
		}
		out[f.Key] = a
	}
	return out
}

// decimalText writes an AMQP decimal in plain decimal notation.
func decimalText(d message.Decimal) string {
	s := strconv.FormatInt(int64(d.Value), 10)
	if d.Scale == 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) <= int(d.Scale) {
		s = "0" + s
	}
	s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	if neg {
		s = "-" + s
	}
	return s
}

func headerString(m *message.Message, k string) string {
	v, ok := m.Properties.Headers.Get(k)
	if !ok {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

func headerInt(m *message.Message, k string) (int64, bool) {
	v, ok := m.Properties.Headers.Get(k)
	if !ok {
		return 0, false
	}
	return message.Int64(v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
