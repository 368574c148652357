package broker

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/ferrymq/ferry/internal/message"
)

// encodeArgs returns args in AMQP field-table form, the form meta keeps
// exchange and binding arguments in (nil for none). It fails for values
// no field table can hold.
func encodeArgs(args message.Table) ([]byte, error) {
	if len(args) == 0 {
		return nil, nil
	}
	return message.AppendTable(nil, args)
}

// decodeArgs is encodeArgs reversed.
func decodeArgs(wire []byte) (message.Table, error) {
	if len(wire) == 0 {
		return nil, nil
	}
	t, n, err := message.ReadTable(wire)
	if err != nil {
		return nil, err
	}
	if n != len(wire) {
		return nil, fmt.Errorf("%d bytes after the table", len(wire)-n)
	}
	return t, nil
}

// cloneTable copies the top level of t, so that a caller reusing its
// table cannot change a stored definition. nil and empty are both nil.
func cloneTable(t message.Table) message.Table {
	if len(t) == 0 {
		return nil
	}
	return slices.Clone(t)
}

// argsDiff compares the arguments a redeclare sent (got) with the stored
// ones (have) as RabbitMQ users expect: as sets of names, integers equal
// by value whatever their width, strings equal to byte arrays of the same
// content. It returns the first name whose values differ, with both
// values ("none" where absent).
func argsDiff(got, have message.Table) (key string, g, h any, differ bool) {
	for _, f := range got {
		hv, ok := have.Get(f.Key)
		if !ok {
			return f.Key, printable(f.Value), "none", true
		}
		if !sameValue(f.Value, hv) {
			return f.Key, printable(f.Value), printable(hv), true
		}
	}
	for _, f := range have {
		if _, ok := got.Get(f.Key); !ok {
			return f.Key, "none", printable(f.Value), true
		}
	}
	return "", nil, nil, false
}

// printable makes byte arrays print as text in error messages.
func printable(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// sameValue compares two field values as argsDiff describes.
func sameValue(a, b any) bool {
	if x, ok := message.Int64(a); ok {
		y, ok := message.Int64(b)
		return ok && x == y
	}
	if x, ok := message.String(a); ok {
		y, ok := message.String(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case message.Table:
		y, ok := b.(message.Table)
		if !ok {
			return false
		}
		_, _, _, differ := argsDiff(x, y)
		return !differ
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, sameValue)
	}
	return reflect.DeepEqual(a, b)
}
