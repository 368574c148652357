package broker

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

// msgOptions are the per-message delivery options a publisher gives in
// the message itself.
type msgOptions struct {
	delay    time.Duration // header x-delay (ms), as the delayed-message exchange plugin reads it
	hasDelay bool
	ttl      time.Duration // property expiration (ms, as text)
	hasTTL   bool
	dedupID  string // header x-deduplication-id, or the message-id property where the queue says so
	group    string // header x-group-id

	// Not read from the message: for observers (observe.go).
	publisher string // RouteOptions.Publisher
	from      string // the queue a dead letter or a redriven message comes from
	detail    string // how it came, in words
}

// readMsgOptions reads m's options. Only an invalid expiration is an
// error (PreconditionFailed, RabbitMQ's check_expiration_header text: a
// channel error on publish); an x-delay that is not an integer is
// ignored, as the delayed-message plugin ignores it.
func readMsgOptions(m *message.Message) (msgOptions, error) {
	var o msgOptions
	p := &m.Properties
	if p.Has(message.FlagExpiration) {
		ttl, err := parseExpiration(p.Expiration)
		if err != "" {
			return o, newError(PreconditionFailed, "invalid expiration '%s': %s", p.Expiration, err)
		}
		o.ttl, o.hasTTL = ttl, true
	}
	if len(p.Headers) == 0 {
		return o, nil
	}
	if v, ok := p.Headers.Get("x-delay"); ok {
		if n, ok := anyInt(v); ok {
			o.delay, o.hasDelay = max(0, time.Duration(n)*time.Millisecond), true
		}
	}
	if v, ok := p.Headers.Get("x-deduplication-id"); ok {
		o.dedupID = anyString(v)
	}
	if v, ok := p.Headers.Get("x-group-id"); ok {
		o.group = anyString(v)
	}
	return o, nil
}

// parseExpiration is RabbitMQ's rabbit_basic:parse_expiration: a
// non-negative integer of milliseconds up to 2^32-1, written in decimal;
// the error terms are RabbitMQ's.
func parseExpiration(s string) (time.Duration, string) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, "no_integer"
	}
	if j < len(s) {
		return 0, fmt.Sprintf("{leftover_string,%q}", s[j:])
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	switch {
	case err != nil:
		// Beyond int64, where Erlang's integers go on: printed as Erlang
		// prints the integer (no plus sign, no leading zeros).
		digits := strings.TrimLeft(s[i:], "0")
		if s[0] == '-' {
			return 0, fmt.Sprintf("{value_negative,-%s}", digits)
		}
		return 0, fmt.Sprintf("{value_too_large,%s}", digits)
	case n < 0:
		return 0, fmt.Sprintf("{value_negative,%d}", n)
	case n > maxExpiry:
		return 0, fmt.Sprintf("{value_too_large,%d}", n)
	}
	return time.Duration(n) * time.Millisecond, ""
}

// anyInt reads an integer header of any width, or a decimal string (as
// the delayed-message plugin accepts x-delay).
func anyInt(v any) (int64, bool) {
	if s, ok := v.(string); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return message.Int64(v)
}

func anyString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
