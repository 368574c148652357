package sqs

import (
	"net/url"
	"reflect"
	"testing"
)

// TestParseFormMatchesURLParseQuery checks parseForm against
// url.ParseQuery: the same pairs (first values) and an error for the same
// inputs.
func TestParseFormMatchesURLParseQuery(t *testing.T) {
	for _, s := range []string{
		"", "a=1", "a=1&b=2&a=3", "a", "a=", "=v", "&&a=1&", "a+b=c+d", "k=%41%2b%2F", "x=%zz&y=1", "x;y=1",
		"SendMessageBatchRequestEntry.1.MessageBody=aGk%3D&SendMessageBatchRequestEntry.1.Id=0",
	} {
		want, werr := url.ParseQuery(s)
		got := url.Values{}
		gerr := parseForm(s, func(k, v string) { got[k] = append(got[k], v) })
		if (gerr != nil) != (werr != nil) {
			t.Errorf("%q: error %v, url.ParseQuery's %v", s, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, url.ParseQuery gives %v", s, got, want)
		}
	}
}

func TestFormUnescapeMatchesQueryUnescape(t *testing.T) {
	for _, s := range []string{"", "a", "a+b", "%41%62%2b%2F", "%e2%98%95", "%", "%4", "%zz", "x%4g", "100%", "a%20b+c"} {
		got, gerr := formUnescape(s)
		want, werr := url.QueryUnescape(s)
		if got != want || (gerr != nil) != (werr != nil) {
			t.Errorf("formUnescape(%q) = %q, %v; url.QueryUnescape gives %q, %v", s, got, gerr, want, werr)
		}
	}
}
