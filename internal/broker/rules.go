package broker

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ferrymq/ferry/internal/message"
	"github.com/ferrymq/ferry/internal/queue"
)

// Rules are a queue's delivery rules as the broker reads them from its
// arguments and the policy that matches it: what the queue engine needs
// (EnginePolicy turns them into a queue.Policy) and what only the broker
// uses (dead-letter target, queue expiry, where dedup ids come from).
//
// Queue arguments (x-...) and policy definitions (the same keys without
// "x-") are read by the same table, so a value means the same in both.
// Keys Ferry adds to RabbitMQ's:
//
//	x-retry-initial-delay  ms   delay before the first redelivery (0: immediate)
//	x-retry-max-delay      ms   cap of the delay (default: unbounded)
//	x-retry-multiplier     num  growth per attempt (default 2)
//	x-retry-jitter         none | full | equal (default none)
//	x-delay                ms   default delay of every message
//	x-fifo                 bool strict order within a message group (x-group-id)
//	x-deduplication-window ms   how long a dedup id is remembered (default 5 min)
//	x-deduplication-message-id bool  the message-id property is the dedup id
//	x-consumer-timeout     ms   cancel a push consumer holding a message this long
//	x-visibility-timeout   ms   a message taken by basic.get returns by itself
//	                            unless acked within this time (default: never)
//	x-dead-letter-drop     bool at the delivery limit with no dead-letter
//	                            exchange, drop instead of moving to <queue>.dlq
//	x-history              bool keep each message's history (published,
//	                            delivered, acked, dead-lettered...) for the
//	                            history API
//
// FIFO is an argument of its own (x-fifo) rather than an x-queue-type
// value, because RabbitMQ clients and tools know x-queue-type values
// (classic, quorum, stream) and would misread a new one.
type Rules struct {
	MessageTTL    time.Duration // x-message-ttl; valid when HasMessageTTL
	HasMessageTTL bool
	Expires       time.Duration // x-expires; 0: never
	MaxLength     int64         // x-max-length; valid when HasMaxLength
	HasMaxLength  bool
	MaxLenBytes   int64 // x-max-length-bytes; valid when HasMaxLenBytes
	HasMaxBytes   bool
	Overflow      string // x-overflow: "" (drop-head), drop-head, reject-publish, reject-publish-dlx

	DeadLetterExchange string // x-dead-letter-exchange ("" is the default exchange); valid when HasDLX
	HasDLX             bool
	DeadLetterKey      string // x-dead-letter-routing-key; valid when HasDLKey
	HasDLKey           bool
	DeliveryLimit      int64 // x-delivery-limit: returns allowed before dead-lettering; -1: unlimited
	DropOnLimit        bool  // x-dead-letter-drop

	RetryInitial    time.Duration
	RetryMax        time.Duration
	RetryMultiplier float64
	RetryJitter     string // none, full, equal

	Delay           time.Duration // x-delay
	FIFO            bool          // x-fifo
	DedupWindow     time.Duration // x-deduplication-window; 0: default
	DedupMessageID  bool          // x-deduplication-message-id
	ConsumerTimeout time.Duration // x-consumer-timeout
	Visibility      time.Duration // x-visibility-timeout
	History         bool          // x-history: keep each message's events (package history)
}

// EnginePolicy is the part of r the queue engine applies.
func (r *Rules) EnginePolicy() queue.Policy {
	p := queue.Policy{
		Retry:      queue.Backoff{Initial: r.RetryInitial, Max: r.RetryMax, Multiplier: r.RetryMultiplier},
		MessageTTL: r.MessageTTL, HasMessageTTL: r.HasMessageTTL,
		Delay:     r.Delay,
		MaxLength: r.MaxLength, HasMaxLength: r.HasMaxLength,
		MaxLengthBytes: r.MaxLenBytes, HasMaxLengthBytes: r.HasMaxBytes,
		DedupWindow:     r.DedupWindow,
		FIFO:            r.FIFO,
		LeaseTimeout:    r.Visibility,
		ConsumerTimeout: r.ConsumerTimeout,
	}
	if r.DeliveryLimit >= 0 {
		// x-delivery-limit counts returns; the engine counts deliveries.
		p.MaxDeliveries = uint32(min(r.DeliveryLimit+1, math.MaxUint32))
	}
	switch r.RetryJitter {
	case "full":
		p.Retry.Jitter = queue.JitterFull
	case "equal":
		p.Retry.Jitter = queue.JitterEqual
	}
	switch r.Overflow {
	case "reject-publish":
		p.Overflow = queue.OverflowRejectPublish
	case "reject-publish-dlx":
		p.Overflow = queue.OverflowRejectPublishDLX
	}
	return p
}

// noLimit is DeliveryLimit's "unlimited".
const noLimit = -1

// quorumDeliveryLimit is RabbitMQ 4's default x-delivery-limit of quorum
// queues.
const quorumDeliveryLimit = 20

// maxExpiry is RabbitMQ's largest TTL or expiry (?MAX_EXPIRY_TIMER):
// values above it are refused as value_too_large.
const maxExpiry = 4294967295

// ruleKey is one argument: how to read its value into Rules. check
// returns RabbitMQ's error term ("{value_negative,-1}") for a bad value.
type ruleKey struct {
	name string // without "x-"
	set  func(r *Rules, v any) string
}

var ruleKeys = []ruleKey{
	{"message-ttl", func(r *Rules, v any) string {
		n, e := expiryArg(v)
		r.MessageTTL, r.HasMessageTTL = ms(n), e == ""
		return e
	}},
	{"expires", func(r *Rules, v any) string {
		n, e := expiryArg(v)
		if e == "" && n == 0 {
			return fmt.Sprintf("{value_zero,%d}", n)
		}
		r.Expires = ms(n)
		return e
	}},
	{"max-length", func(r *Rules, v any) (e string) {
		r.MaxLength, e = nonNegInt(v)
		r.HasMaxLength = e == ""
		return e
	}},
	{"max-length-bytes", func(r *Rules, v any) (e string) {
		r.MaxLenBytes, e = nonNegInt(v)
		r.HasMaxBytes = e == ""
		return e
	}},
	{"overflow", func(r *Rules, v any) string {
		s, ok := v.(string)
		if !ok {
			return unacceptable(v)
		}
		if !slices.Contains([]string{"drop-head", "reject-publish", "reject-publish-dlx"}, s) {
			return "invalid_overflow"
		}
		r.Overflow = s
		return ""
	}},
	{"dead-letter-exchange", func(r *Rules, v any) string {
		s, ok := v.(string)
		if !ok {
			return unacceptable(v)
		}
		r.DeadLetterExchange, r.HasDLX = s, true
		return ""
	}},
	{"dead-letter-routing-key", func(r *Rules, v any) string {
		s, ok := v.(string)
		if !ok {
			return unacceptable(v)
		}
		r.DeadLetterKey, r.HasDLKey = s, true
		return ""
	}},
	{"delivery-limit", func(r *Rules, v any) (e string) {
		r.DeliveryLimit, e = nonNegInt(v)
		if e != "" {
			r.DeliveryLimit = noLimit
		}
		return e
	}},
	{"dead-letter-drop", func(r *Rules, v any) (e string) { r.DropOnLimit, e = boolArg(v); return e }},
	{"retry-initial-delay", func(r *Rules, v any) string { n, e := nonNegInt(v); r.RetryInitial = ms(n); return e }},
	{"retry-max-delay", func(r *Rules, v any) string { n, e := nonNegInt(v); r.RetryMax = ms(n); return e }},
	{"retry-multiplier", func(r *Rules, v any) string {
		f, e := number(v)
		if e == "" && (f < 1 || f > 1000) {
			return fmt.Sprintf("{value_out_of_range,%s,1,1000}", jsonText(v))
		}
		r.RetryMultiplier = f
		return e
	}},
	{"retry-jitter", func(r *Rules, v any) string {
		s, ok := v.(string)
		if !ok {
			return unacceptable(v)
		}
		if !slices.Contains([]string{"none", "full", "equal"}, s) {
			return "invalid_retry_jitter"
		}
		r.RetryJitter = s
		return ""
	}},
	{"delay", func(r *Rules, v any) string { n, e := expiryArg(v); r.Delay = ms(n); return e }},
	{"fifo", func(r *Rules, v any) (e string) { r.FIFO, e = boolArg(v); return e }},
	{"deduplication-window", func(r *Rules, v any) string {
		n, e := expiryArg(v)
		if e == "" && n == 0 {
			return fmt.Sprintf("{value_zero,%d}", n)
		}
		r.DedupWindow = ms(n)
		return e
	}},
	{"deduplication-message-id", func(r *Rules, v any) (e string) { r.DedupMessageID, e = boolArg(v); return e }},
	{"consumer-timeout", func(r *Rules, v any) string { n, e := expiryArg(v); r.ConsumerTimeout = ms(n); return e }},
	{"visibility-timeout", func(r *Rules, v any) string { n, e := expiryArg(v); r.Visibility = ms(n); return e }},
	{"history", func(r *Rules, v any) (e string) { r.History, e = boolArg(v); return e }},
}

// ParseRules reads a queue's rules from its canonical arguments (args)
// and the definition of the policy that applies to it (def, keys without
// "x-"; nil if none). Per key, the argument wins over the policy: a
// declarer who wrote a value meant it, and RabbitMQ's mix of "lower wins"
// and "argument wins" per key is not worth its surprises. A bad argument
// is a PreconditionFailed error worded as RabbitMQ words it ("invalid arg
// 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}"); a bad
// policy value too, naming the policy key.
func ParseRules(vhostName, queueName string, args, def map[string]any) (Rules, error) {
	r := Rules{DeliveryLimit: noLimit}
	for _, k := range ruleKeys {
		v, fromArg := args["x-"+k.name]
		if !fromArg {
			var ok bool
			if v, ok = def[k.name]; !ok {
				continue
			}
		}
		if e := k.set(&r, v); e != "" {
			key := k.name
			if fromArg {
				key = "x-" + k.name
			}
			return Rules{}, newError(PreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s': %s", key, queueName, vhostName, e)
		}
	}
	// RabbitMQ 4 gives quorum queues a delivery limit of 20 unless one is
	// set; a client that declares one expects that.
	if args["x-queue-type"] == "quorum" && r.DeliveryLimit == noLimit {
		if _, set := args["x-delivery-limit"]; !set {
			if _, set := def["delivery-limit"]; !set {
				r.DeliveryLimit = quorumDeliveryLimit
			}
		}
	}
	// As RabbitMQ's check_dlxrk_arg: a routing key argument needs an
	// exchange argument (a policy may give both).
	if _, ok := args["x-dead-letter-routing-key"]; ok {
		if _, ok := args["x-dead-letter-exchange"]; !ok {
			return Rules{}, newError(PreconditionFailed, "invalid arg 'x-dead-letter-routing-key' for queue '%s' in vhost '%s': routing_key_but_no_dlx_defined", queueName, vhostName)
		}
	}
	return r, nil
}

// CheckPolicyDefinition checks a policy definition's values with the
// same table as queue arguments. Unknown keys are refused: a typo in a
// policy would otherwise silently do nothing.
func CheckPolicyDefinition(def map[string]any) error {
	for k, v := range def {
		if k == alternateKey {
			// An exchange's key (alternate.go), not a queue rule.
			if name, ok := message.String(v); !ok || name == "" {
				return fmt.Errorf("invalid policy value for '%s': want an exchange name", k)
			}
			continue
		}
		i := slices.IndexFunc(ruleKeys, func(r ruleKey) bool { return r.name == k })
		if i < 0 {
			return fmt.Errorf("unknown policy key %q", k)
		}
		var r Rules
		if e := ruleKeys[i].set(&r, canonicalValue(v)); e != "" {
			return fmt.Errorf("invalid policy value for '%s': %s", k, e)
		}
	}
	return nil
}

// canonicalValue turns a float64 that holds an integer (JSON decoded
// without UseNumber) into a json.Number, as canonicalArgs would give.
func canonicalValue(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return v
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// intArg reads an integer argument. Arguments are canonical (canonicalArgs):
// numbers are json.Number.
func intArg(v any) (int64, string) {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return 0, "{unacceptable_type,double}"
		}
		return n, ""
	case int64:
		return v, ""
	case int:
		return int64(v), ""
	}
	return 0, unacceptable(v)
}

func nonNegInt(v any) (int64, string) {
	n, e := intArg(v)
	if e == "" && n < 0 {
		return 0, fmt.Sprintf("{value_negative,%d}", n)
	}
	return n, e
}

// expiryArg is RabbitMQ's check_expiry: 0..2^32-1 milliseconds.
func expiryArg(v any) (int64, string) {
	n, e := nonNegInt(v)
	if e == "" && n > maxExpiry {
		return 0, fmt.Sprintf("{value_too_large,%d}", n)
	}
	return n, e
}

func number(v any) (float64, string) {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return 0, unacceptable(v)
		}
		return f, ""
	case float64:
		return v, ""
	case int64:
		return float64(v), ""
	}
	return 0, unacceptable(v)
}

func boolArg(v any) (bool, string) {
	b, ok := v.(bool)
	if !ok {
		return false, unacceptable(v)
	}
	return b, ""
}

// unacceptable is RabbitMQ's {unacceptable_type,T} with T the AMQP type
// name RabbitMQ would print for the value: a table value of an
// exchange's arguments, or a canonical (JSON) value of a queue's.
func unacceptable(v any) string {
	return "{unacceptable_type," + amqpTypeName(v) + "}"
}

// amqpTypeName is RabbitMQ's name for the AMQP field type of v: a table
// value (message.TypeName), or a canonical (JSON) one of a queue's
// arguments.
func amqpTypeName(v any) string {
	switch v := v.(type) {
	case json.Number:
		if _, err := v.Int64(); err != nil {
			return "double"
		}
		return "long"
	case int:
		return "long"
	case map[string]any:
		return "table"
	}
	return message.TypeName(v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
