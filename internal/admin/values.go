package admin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ferrymq/ferry/internal/message"
)

// tableJSON turns an AMQP field table into a JSON object, as RabbitMQ
// shows arguments and headers: nested tables become objects, byte
// strings become text when valid UTF-8 (else base64), timestamps
// seconds since the epoch.
func tableJSON(t message.Table) map[string]any {
	m := make(map[string]any, len(t))
	for _, f := range t {
		m[f.Key] = valueJSON(f.Value)
	}
	return m
}

func valueJSON(v any) any {
	switch v := v.(type) {
	case message.Table:
		return tableJSON(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = valueJSON(e)
		}
		return out
	case []byte:
		if utf8.Valid(v) {
			return string(v)
		}
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		return v.Unix()
	case message.Decimal:
		return float64(v.Value) / math.Pow10(int(v.Scale))
	}
	return v
}

// argsJSON turns queue arguments (JSON-representable already) into a
// non-nil object.
func argsJSON(a map[string]any) map[string]any {
	if a == nil {
		return map[string]any{}
	}
	return a
}

// jsonArgs turns arguments read with UseNumber into plain Go values:
// whole numbers become int64, others float64.
func jsonArgs(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		c, err := jsonValue(v)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, nil
		}
		f, err := v.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), nil
		}
		return v, nil
	case map[string]any:
		return jsonArgs(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

// jsonTable turns JSON arguments into an AMQP field table, keys sorted
// for a stable order.
func jsonTable(m map[string]any) (message.Table, error) {
	a, err := jsonArgs(m)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	return toTable(a), nil
}

func toTable(a map[string]any) message.Table {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t := make(message.Table, 0, len(a))
	for _, k := range keys {
		t = append(t, message.Field{Key: k, Value: toField(a[k])})
	}
	return t
}

func toField(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return toTable(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = toField(e)
		}
		return out
	}
	return v
}
