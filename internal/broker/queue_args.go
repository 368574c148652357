package broker

import (
	"slices"
	"sort"
	"strings"
)

// Queue arguments, whichever front end declares the queue (AMQP
// queue.declare, the admin API, SQS attributes), fall in one of these
// kinds. The rule is RabbitMQ's where it has one and otherwise "never
// pretend": an argument that asks for a behaviour Ferry does not have is
// refused, because a queue without the priorities or single consumer its
// declarer asked for would misbehave quietly.
//
//   - rules (ruleKeys in rules.go, with "x-"): honoured by the engine,
//     values checked by ParseRules, compared on redeclare;
//   - x-queue-type: classic or quorum (both are Ferry's one queue kind;
//     quorum brings RabbitMQ's delivery limit of 20 and its demands:
//     durable, not exclusive, not auto-delete); stream is refused;
//   - x-dead-letter-strategy: at-most-once or at-least-once; Ferry's
//     dead-letter moves are at-least-once either way (the message leaves
//     its queue only once its target stored it), more than asked, never
//     less;
//   - hints (queueArgHints) that matter only to RabbitMQ's storage or
//     cluster placement: accepted, stored, no effect on one node;
//   - unsupported (unsupportedQueueArgs): refused with 406;
//   - front-end state ("x-sqs-" keys, the SQS front end's attributes):
//     stored, neither checked nor compared here;
//   - anything else: stored and ignored, as RabbitMQ does (clients and
//     frameworks add keys of their own), and logged when the queue is
//     created, so that a misspelt rule does not go unnoticed.
//
// On a redeclare only the arguments with a meaning are compared (rules,
// type, dead-letter strategy), as RabbitMQ compares only the keys it
// knows; the declare that created the queue decides the rest.

// queueArgHints are RabbitMQ's queue arguments that tune its storage or
// replica placement and change no delivery behaviour.
var queueArgHints = []string{
	"x-queue-mode", "x-queue-version", "x-queue-master-locator", "x-queue-leader-locator",
	"x-quorum-initial-group-size", "x-quorum-target-group-size",
	"x-max-in-memory-length", "x-max-in-memory-bytes",
}

// unsupportedQueueArgs are RabbitMQ's queue arguments for behaviours
// Ferry does not have, with what is missing.
var unsupportedQueueArgs = map[string]string{
	"x-max-priority":                  "priority queues are not supported",
	"x-single-active-consumer":        "single active consumer is not supported",
	"x-max-age":                       "stream queues are not supported",
	"x-stream-max-segment-size-bytes": "stream queues are not supported",
	"x-stream-filter-size-bytes":      "stream queues are not supported",
	"x-initial-cluster-size":          "stream queues are not supported",
}

// frontEndArgPrefix marks arguments a front end keeps its own state in.
const frontEndArgPrefix = "x-sqs-"

// isRuleArg reports whether key is one of the delivery rules' arguments.
func isRuleArg(key string) bool {
	name, ok := strings.CutPrefix(key, "x-")
	return ok && slices.ContainsFunc(ruleKeys, func(r ruleKey) bool { return r.name == name })
}

// checkQueueArgs checks the arguments that are not delivery rules (those
// are ParseRules's) of a queue about to be declared, and returns the
// keys it does not know, sorted, for the caller to log.
func checkQueueArgs(vhostName, name string, durable, exclusive, autoDelete bool, args map[string]any) (unknown []string, err error) {
	invalid := func(key, why string) error {
		return newError(PreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s': %s", key, name, vhostName, why)
	}
	for k, v := range args {
		switch {
		case isRuleArg(k), slices.Contains(queueArgHints, k), strings.HasPrefix(k, frontEndArgPrefix):
		case unsupportedQueueArgs[k] != "":
			return nil, invalid(k, unsupportedQueueArgs[k])
		case k == "x-queue-type":
			s, ok := v.(string)
			if !ok {
				return nil, invalid(k, unacceptable(v))
			}
			switch s {
			case "classic":
			case "quorum":
				// RabbitMQ's rabbit_quorum_queue refuses these properties.
				prop := ""
				switch {
				case !durable:
					prop = "non-durable"
				case exclusive:
					prop = "exclusive-owner"
				case autoDelete:
					prop = "auto-delete"
				}
				if prop != "" {
					return nil, newError(PreconditionFailed, "invalid property '%s' for queue '%s' in vhost '%s'", prop, name, vhostName)
				}
			case "stream":
				return nil, invalid(k, "stream queues are not supported")
			default:
				return nil, invalid(k, "unknown queue type '"+s+"' (classic or quorum)")
			}
		case k == "x-dead-letter-strategy":
			if s, ok := v.(string); !ok || s != "at-most-once" && s != "at-least-once" {
				return nil, invalid(k, "want at-most-once or at-least-once, got "+jsonText(v))
			}
		default:
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown, nil
}

// queueArgDefaults are the values of compared arguments a declare that
// leaves them out means.
var queueArgDefaults = map[string]string{
	"x-queue-type":           `"classic"`,
	"x-dead-letter-strategy": `"at-most-once"`,
}

// queueArgsDiff compares the arguments with a meaning (rules, queue type,
// dead-letter strategy) of a redeclare (got) with the queue's (have),
// both canonical, and returns the first key, in sorted order, whose
// values differ, with both values as text ("none" where absent).
func queueArgsDiff(got, have map[string]any) (key, g, h string, differ bool) {
	keys := make([]string, 0, len(got)+len(have))
	for _, m := range []map[string]any{got, have} {
		for k := range m {
			if isRuleArg(k) || queueArgDefaults[k] != "" {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	text := func(m map[string]any, k string) string {
		if v, ok := m[k]; ok {
			return jsonText(v)
		}
		if d := queueArgDefaults[k]; d != "" {
			return d
		}
		return "none"
	}
	for _, k := range slices.Compact(keys) {
		if g, h := text(got, k), text(have, k); g != h {
			return k, strings.Trim(g, `"`), strings.Trim(h, `"`), true
		}
	}
	return "", "", "", false
}
