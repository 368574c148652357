package message

import (
	"bytes"
	"testing"
)

// FuzzReadTable checks that ReadTable never panics on any input, and that
// whatever it accepts encodes back to exactly the bytes it consumed: the
// property that lets headers pass through Ferry untouched. The seed corpus
// lives in testdata/fuzz/FuzzReadTable, so plain `go test` runs it too.
func FuzzReadTable(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add(nestedTables(MaxDepth))
	f.Fuzz(func(t *testing.T, src []byte) {
		tab, n, err := ReadTable(src)
		if err != nil {
			if n != 0 || tab != nil {
				t.Fatalf("error %v came with n=%d, table=%v", err, n, tab)
			}
			return
		}
		if n < 4 || n > len(src) {
			t.Fatalf("ReadTable consumed %d of %d bytes", n, len(src))
		}
		enc, err := AppendTable(nil, tab)
		if err != nil {
			t.Fatalf("AppendTable of a decoded table: %v", err)
		}
		if !bytes.Equal(enc, src[:n]) {
			t.Fatalf("re-encoding differs:\n got % x\nwant % x", enc, src[:n])
		}
	})
}
