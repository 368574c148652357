package config

import "testing"

func TestSuggest(t *testing.T) {
	keys := allKeys()
	for in, want := range map[string]string{
		"synk": "sync", "data_dir": "data-dir", "DATA-DIR": "data-dir", "log-levle": "log-level",
		"sync-intervall": "sync-interval", "colour": "", "": "", "segmentsize": "segment-size",
	} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"sync", "synk", 1}, {"ab", "ba", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}
