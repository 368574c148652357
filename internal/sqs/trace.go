package sqs

import (
	"strings"

	"github.com/ferrymq/ferry/internal/message"
)

// Trace context between SQS and AMQP. W3C trace context travels in the
// AMQP headers traceparent and tracestate, which SQS clients see as the
// message attributes of those names (String) and set the same way, so
// they pass through both ways unchanged. AWS's own trace header, the
// system attribute AWSTraceHeader (X-Ray format), is kept in header
// x-amzn-trace-id and mapped to W3C:
//
//   - SendMessage with AWSTraceHeader and no traceparent attribute also
//     stores a traceparent header made from it, so AMQP consumers (and
//     Ferry's own spans) continue the trace;
//   - ReceiveMessage of a message without x-amzn-trace-id (one published
//     over AMQP) answers AWSTraceHeader made from its traceparent;
//   - a traceparent that was made from AWSTraceHeader is not shown to SQS
//     receivers as a message attribute (they get AWSTraceHeader), so a
//     message sent and received over SQS keeps exactly its attributes.
//
// The two formats carry the same three things:
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//	00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01
//
// the 128-bit trace id (X-Ray writes its first 32 bits, the epoch time,
// apart), the parent span id, and the sampled flag (X-Ray's Sampled=0
// or a missing or deferred "?" decision is flags 00). An X-Ray header
// without a Parent has no W3C form (traceparent needs a parent id) and
// is passed on as x-amzn-trace-id alone; other X-Ray fields (Lineage,
// Self) are not mapped.

const (
	hdrTraceParent = "traceparent"
	hdrTraceState  = "tracestate"
)

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func allZero(s string) bool { return strings.Trim(s, "0") == "" }

// xrayToTraceparent converts an X-Ray trace header to a W3C traceparent.
func xrayToTraceparent(h string) (string, bool) {
	var root, parent, sampled string
	for _, f := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			continue
		}
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	// Root=1-8hex-24hex
	if len(root) != 35 || root[:2] != "1-" || root[10] != '-' {
		return "", false
	}
	tid := strings.ToLower(root[2:10] + root[11:])
	parent = strings.ToLower(parent)
	if !allHex(tid) || allZero(tid) || len(parent) != 16 || !allHex(parent) || allZero(parent) {
		return "", false
	}
	flags := "00"
	if sampled == "1" {
		flags = "01"
	}
	return "00-" + tid + "-" + parent + "-" + flags, true
}

// traceparentToXRay converts a W3C traceparent to an X-Ray trace header.
func traceparentToXRay(tp string) (string, bool) {
	parts := strings.Split(strings.TrimSpace(tp), "-")
	if len(parts) < 4 {
		return "", false
	}
	ver, tid, pid, flags := parts[0], strings.ToLower(parts[1]), strings.ToLower(parts[2]), parts[3]
	switch {
	case len(ver) != 2 || !allHex(ver) || strings.EqualFold(ver, "ff"), ver == "00" && len(parts) != 4,
		len(tid) != 32 || !allHex(tid) || allZero(tid), len(pid) != 16 || !allHex(pid) || allZero(pid),
		len(flags) != 2 || !allHex(flags):
		return "", false
	}
	sampled := "0"
	if c := flags[1]; c == '1' || c == '3' || c == '5' || c == '7' || c == '9' || c == 'b' || c == 'B' ||
		c == 'd' || c == 'D' || c == 'f' || c == 'F' {
		sampled = "1"
	}
	return "Root=1-" + tid[:8] + "-" + tid[8:] + ";Parent=" + pid + ";Sampled=" + sampled, true
}

// awsTraceHeader is m's AWSTraceHeader: the one it was sent with, else
// one made from its traceparent header; "" if neither.
func awsTraceHeader(m *message.Message) string {
	if t := headerString(m, hdrTrace); t != "" {
		return t
	}
	if x, ok := traceparentToXRay(headerString(m, hdrTraceParent)); ok {
		return x
	}
	return ""
}

// derivedTraceparent is m's traceparent header if Ferry made it from its
// x-amzn-trace-id, else "".
func derivedTraceparent(m *message.Message) string {
	x := headerString(m, hdrTrace)
	if x == "" {
		return ""
	}
	tp, ok := xrayToTraceparent(x)
	if !ok || headerString(m, hdrTraceParent) != tp {
		return ""
	}
	return tp
}
