package amqp

import (
	"fmt"
	"time"

	"github.com/ferrymq/ferry/internal/message"
)

// queueArgs converts a queue.declare's arguments to the broker's form
// (JSON-friendly values). Which arguments are honoured, accepted as hints
// or refused is the broker's rule, the same for every front end
// (broker/queue_args.go).
func queueArgs(t message.Table) (map[string]any, error) {
	if len(t) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(t))
	for _, f := range t {
		v, err := plainValue(f.Value)
		if err != nil {
			return nil, errPrecondition("invalid arg '%s': %v", f.Key, err)
		}
		out[f.Key] = v
	}
	return out, nil
}

// plainValue converts a field value to a JSON-friendly Go value: integers
// to int64, floats to float64, byte arrays and strings to string,
// timestamps to Unix seconds, tables to maps, arrays to slices.
func plainValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, int64, float64:
		return v, nil
	case int8:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case []byte:
		return string(v), nil
	case time.Time:
		return v.Unix(), nil
	case message.Decimal:
		f := float64(v.Value)
		for range v.Scale {
			f /= 10
		}
		return f, nil
	case message.Table:
		m := make(map[string]any, len(v))
		for _, f := range v {
			x, err := plainValue(f.Value)
			if err != nil {
				return nil, err
			}
			m[f.Key] = x
		}
		return m, nil
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			x, err := plainValue(e)
			if err != nil {
				return nil, err
			}
			a[i] = x
		}
		return a, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}
