package message

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// everyType holds one non-zero value of every Go type a Table may carry.
func everyType() Table {
	return Table{
		{"bool", true},
		{"int8", int8(-8)},
		{"uint8", uint8(200)},
		{"int16", int16(-1600)},
		{"uint16", uint16(60000)},
		{"int32", int32(-320000)},
		{"uint32", uint32(4000000000)},
		{"int64", int64(-1 << 40)},
		{"float32", float32(3.25)},
		{"float64", -1.5e300},
		{"decimal", Decimal{Scale: 2, Value: -12345}},
		{"string", "héllo"},
		{"bytes", []byte{0, 1, 0xff}},
		{"time", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"table", Table{{"inner", "v"}, {"n", int32(7)}}},
		{"array", []any{int32(1), "two", nil, Table{{"k", false}}, []any{uint8(3)}}},
		{"void", nil},
	}
}

func TestTableRoundTripEveryType(t *testing.T) {
	in := everyType()
	enc, err := AppendTable(nil, in)
	if err != nil {
		t.Fatalf("AppendTable: %v", err)
	}
	out, n, err := ReadTable(enc)
	if err != nil {
		t.Fatalf("ReadTable: %v", err)
	}
	if n != len(enc) {
		t.Errorf("ReadTable consumed %d bytes, want %d", n, len(enc))
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the table:\n in: %#v\nout: %#v", in, out)
	}
	for _, f := range in {
		if _, ok := out.Get(f.Key); !ok {
			t.Errorf("field %q missing after round trip", f.Key)
		}
	}
}

// TestTableGolden checks the encoding against bytes written out by hand from
// the errata's type list.
func TestTableGolden(t *testing.T) {
	in := Table{{"a", int32(1)}, {"b", "hi"}, {"c", Table{}}, {"d", []any{true}}}
	want := []byte{
		0, 0, 0, 0x20, // table size 32
		1, 'a', 'I', 0, 0, 0, 1, // 7
		1, 'b', 'S', 0, 0, 0, 2, 'h', 'i', // 9
		1, 'c', 'F', 0, 0, 0, 0, // 7
		1, 'd', 'A', 0, 0, 0, 2, 't', 1, // 9
		'!', // a byte that is not part of the table
	}
	got, err := AppendTable(nil, in)
	if err != nil {
		t.Fatalf("AppendTable: %v", err)
	}
	if !bytes.Equal(got, want[:len(want)-1]) {
		t.Fatalf("AppendTable:\n got % x\nwant % x", got, want[:len(want)-1])
	}
	out, n, err := ReadTable(want)
	if err != nil {
		t.Fatalf("ReadTable: %v", err)
	}
	if n != len(want)-1 {
		t.Errorf("ReadTable consumed %d bytes, want %d", n, len(want)-1)
	}
	if v, _ := out.Get("b"); v != "hi" {
		t.Errorf(`Get("b") = %#v, want "hi"`, v)
	}
}

// TestTableByteExact decodes tables a client might send, including ones whose
// Go values do not compare equal to themselves (NaN) or that repeat a key,
// and checks that encoding gives back the very same bytes.
func TestTableByteExact(t *testing.T) {
	cases := map[string][]byte{
		"empty":          {0, 0, 0, 0},
		"duplicate keys": {0, 0, 0, 8, 1, 'k', 'b', 1, 1, 'k', 'b', 2},
		"empty key":      {0, 0, 0, 2, 0, 'V'},
		"nan float":      {0, 0, 0, 7, 1, 'f', 'f', 0x7f, 0xc0, 0, 1},
		"negative zero":  {0, 0, 0, 11, 1, 'd', 'd', 0x80, 0, 0, 0, 0, 0, 0, 0},
		"pre-epoch time": {0, 0, 0, 11, 1, 't', 'T', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe},
		"huge time":      {0, 0, 0, 11, 1, 't', 'T', 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"empty bytes":    {0, 0, 0, 7, 1, 'x', 'x', 0, 0, 0, 0},
		"nested empty":   {0, 0, 0, 13, 1, 'a', 'A', 0, 0, 0, 6, 'F', 0, 0, 0, 0, 'V'},
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			tab, n, err := ReadTable(src)
			if err != nil {
				t.Fatalf("ReadTable: %v", err)
			}
			if n != len(src) {
				t.Errorf("consumed %d bytes, want %d", n, len(src))
			}
			got, err := AppendTable(nil, tab)
			if err != nil {
				t.Fatalf("AppendTable: %v", err)
			}
			if !bytes.Equal(got, src) {
				t.Errorf("re-encoded\n got % x\nwant % x", got, src)
			}
		})
	}
}

func TestTableGetSet(t *testing.T) {
	var tab Table
	if _, ok := tab.Get("x"); ok {
		t.Fatal("Get on an empty table found a field")
	}
	tab.Set("a", int32(1))
	tab.Set("b", int32(2))
	tab.Set("a", "replaced")
	want := Table{{"a", "replaced"}, {"b", int32(2)}}
	if !reflect.DeepEqual(tab, want) {
		t.Fatalf("after Set: %#v, want %#v", tab, want)
	}
	dup := Table{{"k", int8(1)}, {"k", int8(2)}}
	if v, _ := dup.Get("k"); v != int8(1) {
		t.Errorf("Get with duplicate keys = %v, want the first (1)", v)
	}
}

func TestTableTimestamp(t *testing.T) {
	local := time.FixedZone("X", 3600)
	in := Table{{"t", time.Date(2024, 1, 2, 3, 4, 5, 999999999, local)}}
	enc, err := AppendTable(nil, in)
	if err != nil {
		t.Fatalf("AppendTable: %v", err)
	}
	out, _, err := ReadTable(enc)
	if err != nil {
		t.Fatalf("ReadTable: %v", err)
	}
	got, _ := out.Get("t")
	want := time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC)
	if got != want {
		t.Errorf("timestamp decoded as %v, want %v (seconds only, UTC)", got, want)
	}
}

// TestReadTableTruncated cuts a valid encoding at every length and expects
// ErrTruncated for each cut, never a panic or a wrong answer.
func TestReadTableTruncated(t *testing.T) {
	enc, err := AppendTable(nil, everyType())
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(enc); cut++ {
		if _, _, err := ReadTable(enc[:cut]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ReadTable of %d/%d bytes: err = %v, want ErrTruncated", cut, len(enc), err)
		}
	}
	// Every value cut short inside a table whose size matches the cut.
	for _, f := range everyType() {
		val, err := AppendFieldValue(nil, f.Value)
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(val); cut++ {
			src := appendSize(nil, 2+cut)
			src = append(append(src, 1, 'k'), val[:cut]...)
			if _, _, err := ReadTable(src); !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s cut to %d/%d bytes: err = %v, want ErrTruncated", f.Key, cut, len(val), err)
			}
		}
	}
	// A size that lies about its contents: the last field runs past the end.
	lying := []byte{0, 0, 0, 4, 1, 'k', 'I', 0, 0, 0, 0}
	if _, _, err := ReadTable(lying); !errors.Is(err, ErrTruncated) {
		t.Errorf("field running past the table size: err = %v, want ErrTruncated", err)
	}
}

func TestReadTableErrors(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		want error
	}{
		{"unknown tag", []byte{0, 0, 0, 3, 1, 'k', 'U'}, ErrUnknownType},
		{"spec-only tag L", []byte{0, 0, 0, 11, 1, 'k', 'L', 0, 0, 0, 0, 0, 0, 0, 0}, ErrUnknownType},
		{"bool octet 2", []byte{0, 0, 0, 4, 1, 'k', 't', 2}, ErrMalformed},
		{"array unknown tag", []byte{0, 0, 0, 8, 1, 'k', 'A', 0, 0, 0, 1, '?'}, ErrUnknownType},
		{"too deep", nestedTables(MaxDepth + 1), ErrTooDeep},
		{"too deep arrays", nestedArrays(MaxDepth + 1), ErrTooDeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := ReadTable(c.src); !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	if _, _, err := ReadTable(nestedTables(MaxDepth)); err != nil {
		t.Errorf("tables nested %d deep: %v, want success", MaxDepth, err)
	}
	if _, _, err := ReadTable(nestedArrays(MaxDepth)); err != nil {
		t.Errorf("arrays nested %d deep: %v, want success", MaxDepth, err)
	}
	if _, _, err := ReadTable(nestedTables(100000)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("tables nested 100000 deep: err = %v, want ErrTooDeep", err)
	}
}

func TestAppendTableErrors(t *testing.T) {
	deep := Table{}
	for i := 1; i < MaxDepth+1; i++ {
		deep = Table{{"n", deep}}
	}
	cases := []struct {
		name string
		in   Table
		want error
	}{
		{"long key", Table{{strings.Repeat("k", 256), nil}}, ErrKeyTooLong},
		{"int", Table{{"k", 1}}, ErrUnsupportedType},
		{"map", Table{{"k", map[string]any{}}}, ErrUnsupportedType},
		{"nested unsupported", Table{{"k", []any{Table{{"x", uint64(1)}}}}}, ErrUnsupportedType},
		{"too deep", deep, ErrTooDeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("keep")
			got, err := AppendTable(prefix, c.in)
			if !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if string(got) != "keep" {
				t.Errorf("dst after error = %q, want it unchanged", got)
			}
		})
	}
	if _, err := AppendTable(nil, deep[0].Value.(Table)); err != nil {
		t.Errorf("tables nested %d deep: %v, want success", MaxDepth, err)
	}
	if _, err := AppendTable(nil, Table{{strings.Repeat("k", 255), nil}}); err != nil {
		t.Errorf("255-byte key: %v, want success", err)
	}
}

func TestFieldValueRoundTrip(t *testing.T) {
	for _, f := range everyType() {
		enc, err := AppendFieldValue(nil, f.Value)
		if err != nil {
			t.Fatalf("%s: AppendFieldValue: %v", f.Key, err)
		}
		v, n, err := ReadFieldValue(enc)
		if err != nil {
			t.Fatalf("%s: ReadFieldValue: %v", f.Key, err)
		}
		if n != len(enc) || !reflect.DeepEqual(v, f.Value) {
			t.Errorf("%s: got %#v (%d bytes), want %#v (%d bytes)", f.Key, v, n, f.Value, len(enc))
		}
	}
}

// TestReadTableDoesNotAlias checks that decoded values survive the reuse of
// the buffer they came from, as the frame reader reuses its buffer.
func TestReadTableDoesNotAlias(t *testing.T) {
	enc, err := AppendTable(nil, Table{{"b", []byte("abc")}, {"s", "def"}})
	if err != nil {
		t.Fatal(err)
	}
	tab, _, err := ReadTable(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 'z'
	}
	if v, _ := tab.Get("b"); !bytes.Equal(v.([]byte), []byte("abc")) {
		t.Errorf("byte array changed with the source buffer: %q", v)
	}
	if v, _ := tab.Get("s"); v != "def" {
		t.Errorf("string changed with the source buffer: %q", v)
	}
}

// nestedTables returns a table nested depth levels deep, built as bytes so
// that it can exceed what AppendTable would produce.
func nestedTables(depth int) []byte {
	out := make([]byte, 0, 4+7*(depth-1))
	for i := range depth {
		out = appendSize(out, 7*(depth-1-i))
		if i < depth-1 {
			out = append(out, 1, 'n', 'F')
		}
	}
	return out
}

// nestedArrays returns a table whose field holds arrays nested until the
// innermost array sits at depth levels.
func nestedArrays(depth int) []byte {
	out := appendSize(nil, 3+4+5*(depth-2))
	out = append(out, 1, 'a', 'A')
	for i := 2; i <= depth; i++ {
		out = appendSize(out, 5*(depth-i))
		if i < depth {
			out = append(out, 'A')
		}
	}
	return out
}

func appendSize(b []byte, n int) []byte {
	return append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func TestInt64(t *testing.T) {
	for _, v := range []any{int8(-5), uint8(5), int16(-5), uint16(5), int32(-5), uint32(5), int64(-5)} {
		n, ok := Int64(v)
		if !ok || (n != 5 && n != -5) {
			t.Errorf("Int64(%T %v) = %d, %v", v, v, n, ok)
		}
	}
	for _, v := range []any{"5", 5.0, float32(5), true, nil, []byte("5")} {
		if _, ok := Int64(v); ok {
			t.Errorf("Int64(%T %v) accepted", v, v)
		}
	}
}

func TestString(t *testing.T) {
	for _, v := range []any{"ae", []byte("ae")} {
		if s, ok := String(v); !ok || s != "ae" {
			t.Errorf("String(%T %v) = %q, %v", v, v, s, ok)
		}
	}
	for _, v := range []any{5, int32(5), true, nil, Table{}, []any{"ae"}} {
		if _, ok := String(v); ok {
			t.Errorf("String(%T %v) accepted", v, v)
		}
	}
}

func TestTypeName(t *testing.T) {
	for v, want := range map[any]string{
		true: "bool", int8(1): "byte", uint8(1): "unsignedbyte", int16(1): "short", uint16(1): "unsignedshort",
		int32(1): "signedint", uint32(1): "unsignedint", int64(1): "long", float32(1): "float", float64(1): "double",
		Decimal{Scale: 1, Value: 5}: "decimal", "s": "longstr", time.Unix(0, 0): "timestamp", nil: "void",
	} {
		if got := TypeName(v); got != want {
			t.Errorf("TypeName(%T) = %q, want %q", v, got, want)
		}
	}
	for _, c := range []struct {
		v    any
		want string
	}{{[]byte("b"), "binary"}, {Table{}, "table"}, {[]any{1}, "array"}} {
		if got := TypeName(c.v); got != c.want {
			t.Errorf("TypeName(%T) = %q, want %q", c.v, got, c.want)
		}
	}
}
