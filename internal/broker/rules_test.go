package broker

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func num(s string) json.Number { return json.Number(s) }

// TestParseRulesGoodValues reads each rule key from a queue argument and
// checks the field it sets.
func TestParseRulesGoodValues(t *testing.T) {
	base := Rules{DeliveryLimit: noLimit}
	with := func(f func(r *Rules)) Rules { r := base; f(&r); return r }
	tests := []struct {
		key  string
		v    any
		want Rules
	}{
		{"x-message-ttl", num("0"), with(func(r *Rules) { r.HasMessageTTL = true })},
		{"x-message-ttl", num("60000"), with(func(r *Rules) { r.MessageTTL, r.HasMessageTTL = time.Minute, true })},
		{"x-message-ttl", num("4294967295"), with(func(r *Rules) { r.MessageTTL, r.HasMessageTTL = 4294967295*time.Millisecond, true })},
		{"x-message-ttl", int64(5), with(func(r *Rules) { r.MessageTTL, r.HasMessageTTL = 5*time.Millisecond, true })},
		{"x-expires", num("1000"), with(func(r *Rules) { r.Expires = time.Second })},
		{"x-max-length", num("0"), with(func(r *Rules) { r.HasMaxLength = true })},
		{"x-max-length", num("10"), with(func(r *Rules) { r.MaxLength, r.HasMaxLength = 10, true })},
		{"x-max-length", 7, with(func(r *Rules) { r.MaxLength, r.HasMaxLength = 7, true })},
		{"x-max-length-bytes", num("1048576"), with(func(r *Rules) { r.MaxLenBytes, r.HasMaxBytes = 1<<20, true })},
		{"x-overflow", "drop-head", with(func(r *Rules) { r.Overflow = "drop-head" })},
		{"x-overflow", "reject-publish", with(func(r *Rules) { r.Overflow = "reject-publish" })},
		{"x-overflow", "reject-publish-dlx", with(func(r *Rules) { r.Overflow = "reject-publish-dlx" })},
		{"x-dead-letter-exchange", "", with(func(r *Rules) { r.HasDLX = true })},
		{"x-dead-letter-exchange", "dlx", with(func(r *Rules) { r.DeadLetterExchange, r.HasDLX = "dlx", true })},
		{"x-delivery-limit", num("0"), with(func(r *Rules) { r.DeliveryLimit = 0 })},
		{"x-delivery-limit", num("3"), with(func(r *Rules) { r.DeliveryLimit = 3 })},
		{"x-dead-letter-drop", true, with(func(r *Rules) { r.DropOnLimit = true })},
		{"x-dead-letter-drop", false, base},
		{"x-retry-initial-delay", num("250"), with(func(r *Rules) { r.RetryInitial = 250 * time.Millisecond })},
		{"x-retry-max-delay", num("30000"), with(func(r *Rules) { r.RetryMax = 30 * time.Second })},
		{"x-retry-multiplier", num("1"), with(func(r *Rules) { r.RetryMultiplier = 1 })},
		{"x-retry-multiplier", num("1.5"), with(func(r *Rules) { r.RetryMultiplier = 1.5 })},
		{"x-retry-multiplier", num("1000"), with(func(r *Rules) { r.RetryMultiplier = 1000 })},
		{"x-retry-multiplier", 2.5, with(func(r *Rules) { r.RetryMultiplier = 2.5 })},
		{"x-retry-jitter", "none", with(func(r *Rules) { r.RetryJitter = "none" })},
		{"x-retry-jitter", "full", with(func(r *Rules) { r.RetryJitter = "full" })},
		{"x-retry-jitter", "equal", with(func(r *Rules) { r.RetryJitter = "equal" })},
		{"x-delay", num("0"), base},
		{"x-delay", num("1500"), with(func(r *Rules) { r.Delay = 1500 * time.Millisecond })},
		{"x-fifo", true, with(func(r *Rules) { r.FIFO = true })},
		{"x-deduplication-window", num("60000"), with(func(r *Rules) { r.DedupWindow = time.Minute })},
		{"x-deduplication-message-id", true, with(func(r *Rules) { r.DedupMessageID = true })},
		{"x-consumer-timeout", num("1800000"), with(func(r *Rules) { r.ConsumerTimeout = 30 * time.Minute })},
		{"x-unknown-key", "ignored", base},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+jsonText(tt.v), func(t *testing.T) {
			got, err := ParseRules("/", "q", map[string]any{tt.key: tt.v}, nil)
			if err != nil {
				t.Fatalf("ParseRules: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("rules = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
}

// TestParseRulesBadValues checks the RabbitMQ-worded error of each bad
// value, as a queue argument and as a policy value.
func TestParseRulesBadValues(t *testing.T) {
	tests := []struct {
		key  string // without "x-"
		v    any
		term string
	}{
		{"message-ttl", num("-1"), "{value_negative,-1}"},
		{"message-ttl", num("4294967296"), "{value_too_large,4294967296}"},
		{"message-ttl", "10", "{unacceptable_type,longstr}"},
		{"message-ttl", num("1.5"), "{unacceptable_type,double}"},
		{"message-ttl", true, "{unacceptable_type,bool}"},
		{"expires", num("0"), "{value_zero,0}"},
		{"expires", num("-5"), "{value_negative,-5}"},
		{"expires", num("4294967296"), "{value_too_large,4294967296}"},
		{"expires", "x", "{unacceptable_type,longstr}"},
		{"max-length", num("-1"), "{value_negative,-1}"},
		{"max-length", "10", "{unacceptable_type,longstr}"},
		{"max-length", 1.5, "{unacceptable_type,double}"},
		{"max-length", nil, "{unacceptable_type,void}"},
		{"max-length", map[string]any{}, "{unacceptable_type,table}"},
		{"max-length", []any{}, "{unacceptable_type,array}"},
		{"max-length-bytes", num("-2"), "{value_negative,-2}"},
		{"max-length-bytes", false, "{unacceptable_type,bool}"},
		{"overflow", "drop-tail", "invalid_overflow"},
		{"overflow", num("1"), "{unacceptable_type,long}"},
		{"dead-letter-exchange", num("1"), "{unacceptable_type,long}"},
		{"dead-letter-exchange", true, "{unacceptable_type,bool}"},
		{"dead-letter-routing-key", int64(1), "{unacceptable_type,long}"},
		{"delivery-limit", num("-1"), "{value_negative,-1}"},
		{"delivery-limit", "5", "{unacceptable_type,longstr}"},
		{"dead-letter-drop", "true", "{unacceptable_type,longstr}"},
		{"dead-letter-drop", num("1"), "{unacceptable_type,long}"},
		{"retry-initial-delay", num("-1"), "{value_negative,-1}"},
		{"retry-initial-delay", "1s", "{unacceptable_type,longstr}"},
		{"retry-max-delay", num("-10"), "{value_negative,-10}"},
		{"retry-multiplier", num("0.5"), "{value_out_of_range,0.5,1,1000}"},
		{"retry-multiplier", num("1001"), "{value_out_of_range,1001,1,1000}"},
		{"retry-multiplier", num("0"), "{value_out_of_range,0,1,1000}"},
		{"retry-multiplier", "2", "{unacceptable_type,longstr}"},
		{"retry-jitter", "random", "invalid_retry_jitter"},
		{"retry-jitter", true, "{unacceptable_type,bool}"},
		{"delay", num("-1"), "{value_negative,-1}"},
		{"delay", num("4294967296"), "{value_too_large,4294967296}"},
		{"fifo", "yes", "{unacceptable_type,longstr}"},
		{"deduplication-window", num("0"), "{value_zero,0}"},
		{"deduplication-window", num("-1"), "{value_negative,-1}"},
		{"deduplication-window", num("4294967296"), "{value_too_large,4294967296}"},
		{"deduplication-message-id", num("1"), "{unacceptable_type,long}"},
		{"consumer-timeout", num("-1"), "{value_negative,-1}"},
		{"consumer-timeout", num("4294967296"), "{value_too_large,4294967296}"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+jsonText(tt.v), func(t *testing.T) {
			_, err := ParseRules("v1", "orders", map[string]any{"x-" + tt.key: tt.v}, nil)
			wantCode(t, "argument", err, PreconditionFailed)
			want := "invalid arg 'x-" + tt.key + "' for queue 'orders' in vhost 'v1': " + tt.term
			if err.Error() != want {
				t.Fatalf("argument error = %q\nwant              %q", err, want)
			}

			_, err = ParseRules("v1", "orders", nil, map[string]any{tt.key: tt.v})
			wantCode(t, "policy", err, PreconditionFailed)
			want = "invalid arg '" + tt.key + "' for queue 'orders' in vhost 'v1': " + tt.term
			if err.Error() != want {
				t.Fatalf("policy error = %q\nwant            %q", err, want)
			}

			err = CheckPolicyDefinition(map[string]any{tt.key: tt.v})
			want = "invalid policy value for '" + tt.key + "': " + tt.term
			if err == nil || err.Error() != want {
				t.Fatalf("CheckPolicyDefinition = %v, want %q", err, want)
			}
		})
	}
}

// TestParseRulesArgumentBeatsPolicy: per key, the argument wins; the
// policy fills the keys the arguments leave out.
func TestParseRulesArgumentBeatsPolicy(t *testing.T) {
	args := map[string]any{"x-max-length": num("100"), "x-message-ttl": num("5000")}
	def := map[string]any{"max-length": num("10"), "message-ttl": num("1"), "delivery-limit": num("4"), "dead-letter-exchange": "dlx"}
	r, err := ParseRules("/", "q", args, def)
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxLength != 100 || !r.HasMaxLength || r.MessageTTL != 5*time.Second || !r.HasMessageTTL {
		t.Fatalf("argument did not win: %+v", r)
	}
	if r.DeliveryLimit != 4 || r.DeadLetterExchange != "dlx" || !r.HasDLX {
		t.Fatalf("policy did not fill in: %+v", r)
	}

	// A bad policy value is not read where the argument wins.
	if _, err := ParseRules("/", "q", map[string]any{"x-max-length": num("1")}, map[string]any{"max-length": num("-1")}); err != nil {
		t.Fatalf("bad policy value under a good argument: %v", err)
	}
	// A bad argument fails even under a good policy value.
	_, err = ParseRules("/", "q", map[string]any{"x-max-length": num("-1")}, map[string]any{"max-length": num("1")})
	if err == nil || !strings.Contains(err.Error(), "'x-max-length'") {
		t.Fatalf("bad argument under a good policy: %v", err)
	}

	// No arguments, no policy: the defaults.
	r, err = ParseRules("/", "q", nil, nil)
	if err != nil || !reflect.DeepEqual(r, Rules{DeliveryLimit: noLimit}) {
		t.Fatalf("defaults = %+v, %v", r, err)
	}
}

// TestParseRulesRoutingKeyNeedsDLX is RabbitMQ's check_dlxrk_arg.
func TestParseRulesRoutingKeyNeedsDLX(t *testing.T) {
	tests := []struct {
		name    string
		args    map[string]any
		def     map[string]any
		wantErr string
		wantKey string
	}{
		{"key without exchange", map[string]any{"x-dead-letter-routing-key": "k"}, nil,
			"invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': routing_key_but_no_dlx_defined", ""},
		{"key argument, exchange in policy", map[string]any{"x-dead-letter-routing-key": "k"}, map[string]any{"dead-letter-exchange": "dlx"},
			"invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': routing_key_but_no_dlx_defined", ""},
		{"key and exchange arguments", map[string]any{"x-dead-letter-routing-key": "k", "x-dead-letter-exchange": ""}, nil, "", "k"},
		{"both in policy", nil, map[string]any{"dead-letter-routing-key": "k", "dead-letter-exchange": "dlx"}, "", "k"},
		{"key in policy only", nil, map[string]any{"dead-letter-routing-key": "k"}, "", "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRules("/", "q", tt.args, tt.def)
			if tt.wantErr != "" {
				wantCode(t, "ParseRules", err, PreconditionFailed)
				if err.Error() != tt.wantErr {
					t.Fatalf("error = %q, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.DeadLetterKey != tt.wantKey || !r.HasDLKey {
				t.Fatalf("rules = %+v, want key %q", r, tt.wantKey)
			}
		})
	}
}

func TestCheckPolicyDefinition(t *testing.T) {
	tests := []struct {
		name string
		def  map[string]any
		want string // "" for no error
	}{
		{"empty", nil, ""},
		{"JSON numbers as float64", map[string]any{"max-length": 10.0, "message-ttl": 60000.0, "delivery-limit": 3.0}, ""},
		{"fractional multiplier", map[string]any{"retry-multiplier": 1.5}, ""},
		{"every kind", map[string]any{"overflow": "reject-publish", "dead-letter-exchange": "dlx", "fifo": true, "retry-jitter": "full"}, ""},
		{"unknown key", map[string]any{"max-lenght": 10.0}, `unknown policy key "max-lenght"`},
		{"x- prefix is not a policy key", map[string]any{"x-max-length": 10.0}, `unknown policy key "x-max-length"`},
		{"fractional length", map[string]any{"max-length": 1.5}, "invalid policy value for 'max-length': {unacceptable_type,double}"},
		{"negative from JSON", map[string]any{"max-length": -1.0}, "invalid policy value for 'max-length': {value_negative,-1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPolicyDefinition(tt.def)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
