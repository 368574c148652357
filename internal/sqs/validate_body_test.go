package sqs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCheckBodyFastPathAgrees checks that checkBody accepts and refuses
// what the rune-by-rune rule does, on both sides of its ASCII fast path.
func TestCheckBodyFastPathAgrees(t *testing.T) {
	ref := func(s string) bool {
		if !utf8.ValidString(s) {
			return false
		}
		for _, r := range s {
			if !validBodyRune(r) {
				return false
			}
		}
		return true
	}
	for _, s := range []string{
		"hello", "tab\there\r\nline", "del\x7f", strings.Repeat("x", 1024), "nul\x00", "bell\x07", "é", "\xff", "\uFFFE", "emoji 😀", "\uE000",
	} {
		err := checkBody(s)
		if ok := ref(s); (err == nil) != ok {
			t.Errorf("checkBody(%q) = %v, want allowed %v", s, err, ok)
		}
	}
}
