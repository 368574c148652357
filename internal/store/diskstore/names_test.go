package diskstore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDirNameRoundTrip(t *testing.T) {
	names := []string{"", "orders", ".", "..", "a/b", "A", "a", "%41", "q.fifo", "ü", "\x00",
		strings.Repeat("x", 199), strings.Repeat("x", 200), strings.Repeat("/", 66), strings.Repeat("/", 67)}
	seen := map[string]string{}
	for _, name := range names {
		dir, hashed := dirName(name)
		if len(dir) > maxEscaped+1 && !hashed {
			t.Errorf("dirName(%q) = %q: %d bytes, not hashed", name, dir, len(dir))
		}
		if strings.ContainsAny(dir, "/\x00") || strings.ToLower(dir) != dir || dir == "." || dir == ".." {
			t.Errorf("dirName(%q) = %q: not a safe, lower-case file name", name, dir)
		}
		if prev, ok := seen[dir]; ok {
			t.Errorf("dirName(%q) = dirName(%q) = %q", name, prev, dir)
		}
		seen[dir] = name
		if hashed {
			if !checkHashed(dir, name) {
				t.Errorf("checkHashed(%q, %q) = false", dir, name)
			}
			continue
		}
		got, err := unescape(dir)
		if err != nil || got != name {
			t.Errorf("unescape(dirName(%q)) = %q, %v", name, got, err)
		}
	}
	if _, hashed := dirName(strings.Repeat("x", 255)); !hashed {
		t.Errorf("a 255-byte name was not hashed")
	}
}

func TestUnescapeRejectsNonCanonical(t *testing.T) {
	for _, dir := range []string{"", "x", "qA", "q%4", "q%zz", "q%61", "q%4F", "q/", "q%"} {
		if name, err := unescape(dir); err == nil {
			t.Errorf("unescape(%q) = %q, want an error", dir, name)
		}
	}
}

func FuzzDirName(f *testing.F) {
	f.Add("orders")
	f.Add("ÜñíçødΣ/%2F")
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 255 || !utf8.ValidString(name) {
			return
		}
		dir, hashed := dirName(name)
		if hashed {
			if !checkHashed(dir, name) {
				t.Fatalf("checkHashed(%q, %q) = false", dir, name)
			}
			return
		}
		if got, err := unescape(dir); err != nil || got != name {
			t.Fatalf("unescape(dirName(%q)) = %q, %v", name, got, err)
		}
	})
}
