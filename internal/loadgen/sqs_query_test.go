package loadgen

import (
	"net/url"
	"reflect"
	"testing"
)

func TestFormEncodesAsURLValues(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", "a b+c/d=e&f%g", "é☕", string(all)} {
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscape(%q) = %q, url.QueryEscape gives %q", s, got, want)
		}
	}
	f := form{"QueueUrl", "http://h:1/0/q", "Entry.1.Body", "x y+z/=&", "Empty", ""}
	enc := f.encode()
	if cap(enc) != len(enc) {
		t.Errorf("encode: %d bytes in a buffer of %d, want the exact size", len(enc), cap(enc))
	}
	got, err := url.ParseQuery(string(enc))
	want := url.Values{"QueueUrl": {"http://h:1/0/q"}, "Entry.1.Body": {"x y+z/=&"}, "Empty": {""}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%q parses as %v (%v), want %v", enc, got, err, want)
	}
}
