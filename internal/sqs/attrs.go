package sqs

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrymq/ferry/internal/broker"
)

// Queue attributes live in the queue's arguments, so an SQS queue is an
// ordinary queue of the default vhost that AMQP clients see too.
// Attributes the engine acts on map to its arguments:
//
//	VisibilityTimeout       x-visibility-timeout (ms; 0 is kept as x-sqs-VisibilityTimeout)
//	DelaySeconds            x-delay (ms)
//	MessageRetentionPeriod  x-message-ttl (ms)
//	FifoQueue               x-fifo
//	RedrivePolicy           x-dead-letter-exchange "" + x-dead-letter-routing-key <target>
//	                        + x-delivery-limit maxReceiveCount-1 (the engine then
//	                        allows maxReceiveCount deliveries); the policy itself is
//	                        kept as x-sqs-RedrivePolicy
//
// The others are SQS's own and kept as x-sqs-<Name> strings; tags as
// x-sqs-tags, permissions as x-sqs-permissions, the timestamps as
// x-sqs-created and x-sqs-modified (Unix seconds). The broker ignores
// x-sqs-* arguments.

const (
	argPrefix      = "x-sqs-"
	argTags        = "x-sqs-tags"
	argPermissions = "x-sqs-permissions"
	argCreated     = "x-sqs-created"
	argModified    = "x-sqs-modified"
)

// attrDefaults are what GetQueueAttributes says of attributes never set.
var attrDefaults = map[string]string{
	"VisibilityTimeout":             "30",
	"DelaySeconds":                  "0",
	"MessageRetentionPeriod":        "345600",
	"MaximumMessageSize":            strconv.Itoa(defaultMaxMsgSize),
	"ReceiveMessageWaitTimeSeconds": "0",
	"SqsManagedSseEnabled":          "false",
}

// fifoAttrs are attributes only FIFO queues have.
var fifoAttrs = []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

// settable are the attributes Create/SetQueueAttributes take: SQS's,
// and Ferry's retry backoff (ferryRetry).
var settable = []string{
	"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "Policy", "ReceiveMessageWaitTimeSeconds",
	"VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
	"SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
	"FerryRetryInitialDelay", "FerryRetryMaxDelay", "FerryRetryMultiplier", "FerryRetryJitter",
}

// ferryRetry are Ferry's extra queue attributes: the engine's retry
// backoff, so that a message whose visibility ran out (a failed receive)
// waits before it is visible again, longer after each failure. Values
// are those of the x-retry-* queue arguments they map to (README,
// "Delivery rules"): delays in milliseconds, the multiplier a number
// from 1 to 1000, the jitter none, full or equal.
var ferryRetry = map[string]string{
	"FerryRetryInitialDelay": "x-retry-initial-delay",
	"FerryRetryMaxDelay":     "x-retry-max-delay",
	"FerryRetryMultiplier":   "x-retry-multiplier",
	"FerryRetryJitter":       "x-retry-jitter",
}

// readOnly are the attributes only GetQueueAttributes gives.
var readOnly = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
}

// applyQueueAttrs validates attributes attrs of queue name and writes
// them into args (changed in place). creating allows FifoQueue.
func (s *Server) applyQueueAttrs(name string, attrs map[string]string, args map[string]any, creating bool) error {
	fifo := strings.HasSuffix(name, ".fifo")
	for k, v := range attrs {
		if !slices.Contains(settable, k) {
			if slices.Contains(readOnly, k) {
				return fail(errInvalidAttributeName, "Unknown Attribute %s.", k)
			}
			return fail(errInvalidAttributeName, "Unknown Attribute %s.", k)
		}
		if !fifo && slices.Contains(fifoAttrs, k) && k != "FifoQueue" {
			return fail(errInvalidAttributeName, "Unknown Attribute %s.", k)
		}
		bad := func() error {
			return fail(errInvalidAttributeValue, "Invalid value for the parameter %s.", k)
		}
		num := func(lo, hi int64) (int64, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < lo || n > hi {
				return 0, bad()
			}
			return n, nil
		}
		switch k {
		case "FerryRetryInitialDelay", "FerryRetryMaxDelay":
			n, err := num(0, 1<<32-1)
			if err != nil {
				return err
			}
			args[ferryRetry[k]] = n
		case "FerryRetryMultiplier":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 1 || f > 1000 {
				return bad()
			}
			args[ferryRetry[k]] = f
		case "FerryRetryJitter":
			if v != "none" && v != "full" && v != "equal" {
				return bad()
			}
			args[ferryRetry[k]] = v
		case "VisibilityTimeout":
			n, err := num(0, maxVisibilitySecs)
			if err != nil {
				return err
			}
			delete(args, argPrefix+k)
			delete(args, "x-visibility-timeout")
			if n == 0 {
				args[argPrefix+k] = "0"
			} else {
				args["x-visibility-timeout"] = n * 1000
			}
		case "DelaySeconds":
			n, err := num(0, maxDelaySeconds)
			if err != nil {
				return err
			}
			if n == 0 {
				delete(args, "x-delay")
			} else {
				args["x-delay"] = n * 1000
			}
		case "MessageRetentionPeriod":
			n, err := num(minRetentionSeconds, maxRetentionSeconds)
			if err != nil {
				return err
			}
			args["x-message-ttl"] = n * 1000
		case "MaximumMessageSize":
			if _, err := num(minMaxMsgSize, maxMaxMsgSize); err != nil {
				return err
			}
			args[argPrefix+k] = v
		case "ReceiveMessageWaitTimeSeconds":
			if _, err := num(0, maxWaitSeconds); err != nil {
				return err
			}
			args[argPrefix+k] = v
		case "KmsDataKeyReusePeriodSeconds":
			if _, err := num(60, 86400); err != nil {
				return err
			}
			args[argPrefix+k] = v
		case "SqsManagedSseEnabled", "ContentBasedDeduplication":
			if v != "true" && v != "false" {
				return bad()
			}
			args[argPrefix+k] = v
		case "FifoQueue":
			if v != "true" && v != "false" || !creating {
				return bad()
			}
			if (v == "true") != fifo {
				return invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
			}
			if fifo {
				args["x-fifo"] = true
			}
		case "DeduplicationScope":
			if v != "messageGroup" && v != "queue" {
				return bad()
			}
			args[argPrefix+k] = v
		case "FifoThroughputLimit":
			if v != "perQueue" && v != "perMessageGroupId" {
				return bad()
			}
			args[argPrefix+k] = v
		case "RedrivePolicy":
			if err := s.applyRedrive(name, v, args); err != nil {
				return err
			}
		case "Policy", "RedriveAllowPolicy":
			if v != "" && !json.Valid([]byte(v)) {
				return bad()
			}
			args[argPrefix+k] = v
		default: // KmsMasterKeyId
			args[argPrefix+k] = v
		}
	}
	if fifo && !creating {
		args["x-fifo"] = true
	}
	if fifo && creating && args["x-fifo"] != true {
		return invalid("The name of a FIFO queue must end with .fifo and the queue must be created with FifoQueue=true.")
	}
	return nil
}

// applyRedrive sets the dead-letter arguments of a RedrivePolicy.
func (s *Server) applyRedrive(name, v string, args map[string]any) error {
	for _, k := range []string{"x-dead-letter-exchange", "x-dead-letter-routing-key", "x-delivery-limit", argPrefix + "RedrivePolicy"} {
		delete(args, k)
	}
	if v == "" || v == "{}" {
		return nil
	}
	bad := func(reason string) error {
		return invalid("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	var p map[string]any
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return bad("Redrive policy is not a valid JSON map.")
	}
	arn, _ := p["deadLetterTargetArn"].(string)
	if arn == "" {
		return bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	var n int64
	switch c := p["maxReceiveCount"].(type) {
	case json.Number:
		n, _ = c.Int64()
	case string:
		n, _ = strconv.ParseInt(c, 10, 64)
	case nil:
		return bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	if n < 1 || n > 1000 {
		return bad("Invalid value for maxReceiveCount: " + jsonString(p["maxReceiveCount"]) + ", valid values are from 1 to 1000 both inclusive.")
	}
	target, ok := s.nameFromArn(arn)
	if !ok {
		return bad("Invalid value for deadLetterTargetArn.")
	}
	if _, err := s.b.QueueInfo(broker.DefaultVHost, target); err != nil {
		return bad("Dead letter target does not exist.")
	}
	if strings.HasSuffix(target, ".fifo") != strings.HasSuffix(name, ".fifo") {
		return bad("Dead-letter queue must be same type of queue as the source.")
	}
	args["x-dead-letter-exchange"] = ""
	args["x-dead-letter-routing-key"] = target
	args["x-delivery-limit"] = n - 1
	norm, _ := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": n})
	args[argPrefix+"RedrivePolicy"] = string(norm)
	return nil
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// argInt reads a numeric argument (args are canonical: json.Number).
func argInt(args map[string]any, k string) (int64, bool) {
	switch v := args[k].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), true
	}
	return 0, false
}

func argStr(args map[string]any, k string) (string, bool) {
	v, ok := args[k].(string)
	return v, ok
}

// queueAttributes returns every attribute of queue qi.
func (s *Server) queueAttributes(qi broker.QueueInfo) map[string]string {
	a := maps.Clone(attrDefaults)
	args := qi.Args
	for k, v := range args {
		if name, ok := strings.CutPrefix(k, argPrefix); ok && slices.Contains(settable, name) {
			if str, ok := v.(string); ok {
				a[name] = str
			}
		}
	}
	if n, ok := argInt(args, "x-visibility-timeout"); ok {
		a["VisibilityTimeout"] = strconv.FormatInt(n/1000, 10)
	}
	if n, ok := argInt(args, "x-delay"); ok {
		a["DelaySeconds"] = strconv.FormatInt(n/1000, 10)
	}
	if n, ok := argInt(args, "x-message-ttl"); ok {
		a["MessageRetentionPeriod"] = strconv.FormatInt(n/1000, 10)
	}
	if strings.HasSuffix(qi.Name, ".fifo") {
		a["FifoQueue"] = "true"
		for k, d := range map[string]string{"ContentBasedDeduplication": "false", "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"} {
			if _, ok := a[k]; !ok {
				a[k] = d
			}
		}
	}
	for name, arg := range ferryRetry {
		switch v := args[arg].(type) {
		case json.Number:
			a[name] = v.String()
		case string:
			a[name] = v
		}
	}
	st := qi.Stats
	a["ApproximateNumberOfMessages"] = strconv.Itoa(st.Ready)
	a["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(st.Unacked)
	a["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(st.Delayed)
	created, _ := argStr(args, argCreated)
	if created == "" {
		created = "0"
	}
	a["CreatedTimestamp"] = created
	modified, _ := argStr(args, argModified)
	if modified == "" {
		modified = created
	}
	a["LastModifiedTimestamp"] = modified
	a["QueueArn"] = s.queueArn(qi.Name)
	return a
}

// receiveWait is the queue's ReceiveMessageWaitTimeSeconds.
func receiveWait(args map[string]any) int64 {
	s, _ := argStr(args, argPrefix+"ReceiveMessageWaitTimeSeconds")
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// maxMessageSize is the queue's MaximumMessageSize.
func maxMessageSize(args map[string]any) int {
	s, _ := argStr(args, argPrefix+"MaximumMessageSize")
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return defaultMaxMsgSize
}

// visibility is the queue's VisibilityTimeout in seconds.
func visibility(args map[string]any) int64 {
	if s, ok := argStr(args, argPrefix+"VisibilityTimeout"); ok {
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	if n, ok := argInt(args, "x-visibility-timeout"); ok {
		return n / 1000
	}
	return 30
}

// contentDedup reports whether the queue has ContentBasedDeduplication.
func contentDedup(args map[string]any) bool {
	s, _ := argStr(args, argPrefix+"ContentBasedDeduplication")
	return s == "true"
}
