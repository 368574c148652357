package sqs

import (
	"encoding/json"
	"strconv"
)

// appendJSON appends v as json.Marshal writes it, byte for byte (map keys
// sorted, <, > and & escaped), for the shapes handlers return: maps of
// string to any or string, lists, strings, booleans and integers. It
// walks them with a type switch instead of reflection, which mattered on
// the hot answers (ReceiveMessage's ten bodies, a batch's ten entries).
// Anything else (and any string that needs escaping) goes to json.Marshal.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case map[string]any:
		return appendJSONObject(b, v, appendJSON)
	case map[string]string:
		return appendJSONObject(b, v, appendJSONString)
	case []any:
		return appendJSONList(b, v)
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendJSONList(b, v)
	case []map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendJSONList(b, v)
	}
	data, err := json.Marshal(v)
	return append(b, data...), err
}

// appendJSONObject appends m as a JSON object with its keys sorted, as
// encoding/json writes maps, each value by appendValue.
func appendJSONObject[V any](b []byte, m map[string]V, appendValue func([]byte, V) ([]byte, error)) ([]byte, error) {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONString(b, k); err != nil {
			return b, err
		}
		b = append(b, ':')
		if b, err = appendValue(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendJSONList[E any](b []byte, list []E) ([]byte, error) {
	if list == nil {
		// json.Marshal writes a nil []any as null.
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, item := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, any(item)); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// jsonPlain marks the bytes appendJSONString copies as they are.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendJSONString appends s quoted. Printable ASCII other than ", \ and
// the HTML characters json.Marshal escapes is copied as it is.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
			data, err := json.Marshal(s)
			return append(b, data...), err
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}
