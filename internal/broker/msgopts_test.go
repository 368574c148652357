package broker

import (
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

// TestParseExpiration follows rabbit_basic:parse_expiration: Erlang's
// string:to_integer, then check_expiry.
func TestParseExpiration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1", time.Millisecond, ""},
		{"60000", time.Minute, ""},
		{"+5", 5 * time.Millisecond, ""},
		{"007", 7 * time.Millisecond, ""},
		{"-0", 0, ""},
		{"4294967295", 4294967295 * time.Millisecond, ""},
		{"", 0, "no_integer"},
		{"-", 0, "no_integer"},
		{"+", 0, "no_integer"},
		{"x1", 0, "no_integer"},
		{" 5", 0, "no_integer"},
		{"-1", 0, "{value_negative,-1}"},
		{"-100", 0, "{value_negative,-100}"},
		{"10x", 0, `{leftover_string,"x"}`},
		{"5 ", 0, `{leftover_string," "}`},
		{"1.5", 0, `{leftover_string,".5"}`},
		{"4294967296", 0, "{value_too_large,4294967296}"},
		{"+4294967296", 0, "{value_too_large,4294967296}"},
		{"9223372036854775807", 0, "{value_too_large,9223372036854775807}"},
		{"99999999999999999999", 0, "{value_too_large,99999999999999999999}"},
		{"+0099999999999999999999", 0, "{value_too_large,99999999999999999999}"},
		{"-99999999999999999999", 0, "{value_negative,-99999999999999999999}"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseExpiration(tt.in)
			if got != tt.want || err != tt.err {
				t.Fatalf("parseExpiration(%q) = %v, %q; want %v, %q", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestReadMsgOptions(t *testing.T) {
	withHeader := func(k string, v any) *message.Message {
		m := &message.Message{}
		m.Properties.SetHeader(k, v)
		return m
	}
	withExpiration := func(s string) *message.Message {
		m := &message.Message{}
		m.Properties.Flags |= message.FlagExpiration
		m.Properties.Expiration = s
		return m
	}
	tests := []struct {
		name string
		m    *message.Message
		want msgOptions
	}{
		{"nothing", &message.Message{}, msgOptions{}},
		{"expiration", withExpiration("1500"), msgOptions{ttl: 1500 * time.Millisecond, hasTTL: true}},
		{"expiration zero", withExpiration("0"), msgOptions{hasTTL: true}},
		{"expiration text without its flag", func() *message.Message {
			m := &message.Message{}
			m.Properties.Expiration = "junk"
			return m
		}(), msgOptions{}},

		{"x-delay int8", withHeader("x-delay", int8(5)), msgOptions{delay: 5 * time.Millisecond, hasDelay: true}},
		{"x-delay uint8", withHeader("x-delay", uint8(6)), msgOptions{delay: 6 * time.Millisecond, hasDelay: true}},
		{"x-delay int16", withHeader("x-delay", int16(700)), msgOptions{delay: 700 * time.Millisecond, hasDelay: true}},
		{"x-delay uint16", withHeader("x-delay", uint16(800)), msgOptions{delay: 800 * time.Millisecond, hasDelay: true}},
		{"x-delay int32", withHeader("x-delay", int32(1000)), msgOptions{delay: time.Second, hasDelay: true}},
		{"x-delay uint32", withHeader("x-delay", uint32(2000)), msgOptions{delay: 2 * time.Second, hasDelay: true}},
		{"x-delay int64", withHeader("x-delay", int64(60000)), msgOptions{delay: time.Minute, hasDelay: true}},
		{"x-delay string", withHeader("x-delay", "250"), msgOptions{delay: 250 * time.Millisecond, hasDelay: true}},
		{"x-delay zero", withHeader("x-delay", int64(0)), msgOptions{hasDelay: true}},
		{"x-delay negative is no delay", withHeader("x-delay", int32(-5000)), msgOptions{hasDelay: true}},
		{"x-delay bad string ignored", withHeader("x-delay", "soon"), msgOptions{}},
		{"x-delay float ignored", withHeader("x-delay", 1.5), msgOptions{}},
		{"x-delay bool ignored", withHeader("x-delay", true), msgOptions{}},
		{"x-delay void ignored", withHeader("x-delay", nil), msgOptions{}},

		{"dedup id string", withHeader("x-deduplication-id", "abc"), msgOptions{dedupID: "abc"}},
		{"dedup id bytes", withHeader("x-deduplication-id", []byte("raw")), msgOptions{dedupID: "raw"}},
		{"dedup id number", withHeader("x-deduplication-id", int64(42)), msgOptions{dedupID: "42"}},
		{"dedup id void", withHeader("x-deduplication-id", nil), msgOptions{}},

		{"group string", withHeader("x-group-id", "g1"), msgOptions{group: "g1"}},
		{"group bytes", withHeader("x-group-id", []byte("g2")), msgOptions{group: "g2"}},
		{"group number", withHeader("x-group-id", int32(7)), msgOptions{group: "7"}},

		{"all together", func() *message.Message {
			m := withExpiration("+100")
			m.Properties.SetHeader("x-delay", int64(10))
			m.Properties.SetHeader("x-deduplication-id", "d")
			m.Properties.SetHeader("x-group-id", "g")
			m.Properties.SetHeader("other", "ignored")
			return m
		}(), msgOptions{delay: 10 * time.Millisecond, hasDelay: true, ttl: 100 * time.Millisecond, hasTTL: true, dedupID: "d", group: "g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readMsgOptions(tt.m)
			if err != nil {
				t.Fatalf("readMsgOptions: %v", err)
			}
			if got != tt.want {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadMsgOptionsBadExpiration(t *testing.T) {
	tests := []struct{ expiration, want string }{
		{"", "invalid expiration '': no_integer"},
		{"-1", "invalid expiration '-1': {value_negative,-1}"},
		{"10x", `invalid expiration '10x': {leftover_string,"x"}`},
		{"4294967296", "invalid expiration '4294967296': {value_too_large,4294967296}"},
	}
	for _, tt := range tests {
		t.Run(tt.expiration, func(t *testing.T) {
			m := &message.Message{}
			m.Properties.Flags |= message.FlagExpiration
			m.Properties.Expiration = tt.expiration
			m.Properties.SetHeader("x-delay", int64(5))
			_, err := readMsgOptions(m)
			wantCode(t, "readMsgOptions", err, PreconditionFailed)
			if err.Error() != tt.want {
				t.Fatalf("error = %q, want %q", err, tt.want)
			}
		})
	}
}
