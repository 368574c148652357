package route

import (
	"bytes"
	"reflect"
	"strings"

	"github.com/ferrymq/ferry/internal/message"
)

// headers routes by comparing binding arguments with message headers.
type headers struct{ list }

func (h *headers) Add(b Binding) bool         { return h.add(b) }
func (h *headers) Remove(b Binding) bool      { return h.remove(b) }
func (h *headers) RemoveDest(dest string) int { return removeDest(&h.list, dest) }

func (h *headers) Match(dst []string, _ string, hdrs message.Table) []string {
	start := len(dst)
	for _, b := range h.all {
		if headersMatch(b.Args, hdrs) {
			dst = appendOnce(dst, start, b.Dest)
		}
	}
	return dst
}

// headersMatch applies one binding's arguments to a message's headers.
func headersMatch(args, hdrs message.Table) bool {
	mode := "all"
	if v, ok := args.Get("x-match"); ok {
		if s, ok := v.(string); ok {
			mode = s
		}
	}
	anyMode := mode == "any" || mode == "any-with-x"
	withX := strings.HasSuffix(mode, "-with-x")
	for _, a := range args {
		if a.Key == "x-match" || (!withX && strings.HasPrefix(a.Key, "x-")) {
			continue
		}
		hv, present := hdrs.Get(a.Key)
		ok := present && (a.Value == nil || valuesEqual(a.Value, hv))
		if anyMode && ok {
			return true
		}
		if !anyMode && !ok {
			return false
		}
	}
	// "all" over no arguments matches everything; "any" over none, nothing.
	return !anyMode
}

// valuesEqual compares field values the way a user means them: integers
// of any width by value, strings and byte arrays by content, the rest
// exactly.
func valuesEqual(a, b any) bool {
	if x, ok := asInt(a); ok {
		y, ok := asInt(b)
		return ok && x == y
	}
	if x, ok := asBytes(a); ok {
		y, ok := asBytes(b)
		return ok && bytes.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

func asBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return []byte(x), true
	case []byte:
		return x, true
	}
	return nil, false
}

// tablesEqual reports whether two argument tables are the same binding
// arguments (same fields, same order, same values).
func tablesEqual(a, b message.Table) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !reflect.DeepEqual(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}
