package sqs

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits SQS documents ("Amazon SQS quotas").
const (
	maxQueueNameLen     = 80
	defaultMaxMsgSize   = 256 << 10 // MaximumMessageSize default, and the batch limit of queues that keep it
	maxMaxMsgSize       = 1 << 20   // MaximumMessageSize ceiling
	minMaxMsgSize       = 1024
	maxBatchEntries     = 10
	maxBatchIDLen       = 80
	maxMessageAttrs     = 10
	maxAttrNameLen      = 256
	maxReceiveMessages  = 10
	maxWaitSeconds      = 20
	maxVisibilitySecs   = 43200 // 12 hours
	maxDelaySeconds     = 900
	minRetentionSeconds = 60
	maxRetentionSeconds = 1209600 // 14 days
	maxTags             = 50
)

// checkQueueName validates an SQS queue name: 1 to 80 characters of
// letters, digits, hyphens and underscores, a FIFO queue's ending in
// ".fifo".
func checkQueueName(name string) error {
	base := strings.TrimSuffix(name, ".fifo")
	if name == "" || len(name) > maxQueueNameLen || base == "" {
		return invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
		}
	}
	return nil
}

// checkBody refuses characters SQS does not allow in a message: only
// #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF.
func checkBody(body string) error {
	if body == "" {
		return missing("MessageBody")
	}
	if plainText(body) {
		return nil
	}
	if !utf8.ValidString(body) {
		return fail(errInvalidMessage, "Invalid binary character in the message body: not valid UTF-8")
	}
	for _, r := range body {
		if !validBodyRune(r) {
			return fail(errInvalidMessage, "Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r)
		}
	}
	return nil
}

// plainText says whether s is printable ASCII, tabs and line ends: the
// usual body, allowed without decoding a rune at a time.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c >= 0x80) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func validBodyRune(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// checkBatchID validates a batch entry id: up to 80 letters, digits,
// hyphens and underscores.
func checkBatchID(id string) error {
	if id == "" || len(id) > maxBatchIDLen {
		return fail(errInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fail(errInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
	}
	return nil
}

// checkAttrName validates a message attribute name. Names starting with
// "x-" are Ferry's and RabbitMQ's control headers and refused (see the
// package doc).
func checkAttrName(n string) error {
	lower := strings.ToLower(n)
	switch {
	case n == "" || len(n) > maxAttrNameLen:
		return invalid("Message attribute name must be 1 to %d characters long.", maxAttrNameLen)
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return invalid("Message attribute name '%s' uses a reserved prefix (AWS. or Amazon.).", n)
	case strings.HasPrefix(lower, "x-"):
		return invalid("Message attribute name '%s' uses the prefix x-, which Ferry reserves for control headers.", n)
	case n[0] == '.' || n[len(n)-1] == '.' || strings.Contains(n, ".."):
		return invalid("Message attribute name '%s' must not start or end with a period or hold two in a row.", n)
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return invalid("Message attribute name '%s' can only hold letters, digits, hyphens, underscores and periods.", n)
		}
	}
	return nil
}

// checkNumber validates a Number attribute: at most 38 significant
// digits, between -10^128 and 10^126, as SQS allows.
func checkNumber(name, s string) error {
	f, ok := new(big.Float).SetString(strings.TrimSpace(s))
	if !ok || strings.TrimSpace(s) != s {
		return invalid("Can't cast the value of message (user) attribute '%s' to a number.", name)
	}
	digits := strings.TrimLeft(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.SplitN(strings.ToLower(s), "e", 2)[0]), "0")
	if len(strings.TrimRight(digits, "0")) > 38 {
		return invalid("Value of message (user) attribute '%s' has more than 38 significant digits.", name)
	}
	lo, _ := new(big.Float).SetString("-1e128")
	hi, _ := new(big.Float).SetString("1e126")
	if f.Cmp(lo) < 0 || f.Cmp(hi) > 0 {
		return invalid("Value of message (user) attribute '%s' is out of range.", name)
	}
	return nil
}

// Parameter accessors. Query parameters arrive as strings and JSON ones
// as their JSON types (numbers as json.Number); the accessors take both.

func (r *request) str(name string) (string, bool, error) {
	v, ok := r.params[name]
	if !ok || v == nil {
		return "", false, nil
	}
	switch v := v.(type) {
	case string:
		return v, true, nil
	case json.Number:
		return v.String(), true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	}
	return "", false, invalid("Value for parameter %s must be a string.", name)
}

// requiredStr is str for a parameter that must be given.
func (r *request) requiredStr(name string) (string, error) {
	s, ok, err := r.str(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", missing(name)
	}
	return s, nil
}

// intParam reads an integer parameter in [lo, hi]; ok says it was given.
func intParam(params map[string]any, name string, lo, hi int64) (n int64, ok bool, err error) {
	v, present := params[name]
	if !present || v == nil {
		return 0, false, nil
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return 0, false, invalid("Value for parameter %s is invalid. Reason: must be an integer.", name)
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		return 0, false, invalid("Value %s for parameter %s is invalid. Reason: must be an integer.", s, name)
	}
	if n < lo || n > hi {
		return 0, false, invalid("Value %d for parameter %s is invalid. Reason: must be between %d and %d.", n, name, lo, hi)
	}
	return n, true, nil
}

func (r *request) intParam(name string, lo, hi int64) (int64, bool, error) {
	return intParam(r.params, name, lo, hi)
}

// strList reads a list of strings.
func strList(params map[string]any, name string) ([]string, error) {
	v, ok := params[name]
	if !ok || v == nil {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, invalid("Value for parameter %s must be a list of strings.", name)
	}
	out := make([]string, 0, len(a))
	for _, x := range a {
		s, ok := x.(string)
		if !ok {
			return nil, invalid("Value for parameter %s must be a list of strings.", name)
		}
		out = append(out, s)
	}
	return out, nil
}

// strMap reads a map of strings (queue attributes, tags).
func strMap(params map[string]any, name string) (map[string]string, error) {
	v, ok := params[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Value for parameter %s must be a map of strings.", name)
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch x := x.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, invalid("Value of %s.%s must be a string.", name, k)
		}
	}
	return out, nil
}

// messageAttrs reads and validates the message attributes in
// params[name].
func messageAttrs(params map[string]any, name string, system bool) (map[string]attrValue, error) {
	v, ok := params[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Value for parameter %s must be a map.", name)
	}
	if len(m) > maxMessageAttrs {
		return nil, invalid("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(m), maxMessageAttrs)
	}
	out := make(map[string]attrValue, len(m))
	for k, x := range m {
		if system {
			if k != "AWSTraceHeader" {
				return nil, invalid("Message system attribute name '%s' is invalid.", k)
			}
		} else if err := checkAttrName(k); err != nil {
			return nil, err
		}
		fields, ok := x.(map[string]any)
		if !ok {
			return nil, invalid("The message attribute '%s' must be a structure.", k)
		}
		var a attrValue
		a.DataType, _ = fields["DataType"].(string)
		if a.DataType == "" {
			return nil, invalid("The message attribute '%s' must contain a non-empty attribute type.", k)
		}
		if len(a.DataType) > maxAttrNameLen {
			return nil, invalid("The message attribute '%s' has a data type longer than %d characters.", k, maxAttrNameLen)
		}
		sv, hasS := fields["StringValue"].(string)
		bv, hasB := fields["BinaryValue"].(string)
		switch baseType(a.DataType) {
		case "String", "Number":
			if !hasS || sv == "" {
				return nil, invalid("The message attribute '%s' with type '%s' must use field 'String'.", k, a.DataType)
			}
			if hasB {
				return nil, invalid("The message attribute '%s' with type '%s' must use field 'String' only.", k, a.DataType)
			}
			if err := checkBody(sv); err != nil {
				return nil, invalid("The message attribute '%s' holds characters SQS does not allow.", k)
			}
			if baseType(a.DataType) == "Number" {
				if err := checkNumber(k, sv); err != nil {
					return nil, err
				}
			}
			a.StringValue = sv
		case "Binary":
			if !hasB || bv == "" || hasS {
				return nil, invalid("The message attribute '%s' with type 'Binary' must use field 'Binary'.", k)
			}
			data, err := base64.StdEncoding.DecodeString(bv)
			if err != nil {
				return nil, invalid("The message attribute '%s' has a BinaryValue that is not base64: %v", k, err)
			}
			a.BinaryValue = data
		default:
			return nil, invalid("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", k)
		}
		if system && a.DataType != "String" {
			return nil, invalid("Message system attribute '%s' must be of type String.", k)
		}
		out[k] = a
	}
	return out, nil
}

// attrsSize is what message attributes count towards a message's size:
// name, type and value of each.
func attrsSize(attrs map[string]attrValue) int {
	n := 0
	for k, a := range attrs {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// attrsJSON is attrs as the JSON protocol writes them.
func attrsJSON(attrs map[string]attrValue) map[string]any {
	out := make(map[string]any, len(attrs))
	for k, a := range attrs {
		v := map[string]any{"DataType": a.DataType}
		if a.isBinary() {
			v["BinaryValue"] = base64.StdEncoding.EncodeToString(a.BinaryValue)
		} else {
			v["StringValue"] = a.StringValue
		}
		out[k] = v
	}
	return out
}
