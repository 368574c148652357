package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []fileEntry
	}{
		{"empty", "", nil},
		{"comments and blanks", "# a comment\n\n   # indented comment\n\t\n", nil},
		{"bare", "sync = none", []fileEntry{{1, "sync", "none"}}},
		{"no spaces", "sync=none", []fileEntry{{1, "sync", "none"}}},
		{"trailing comment", "sync = none   # fastest", []fileEntry{{1, "sync", "none"}}},
		{"tab before comment", "sync = none\t# fastest", []fileEntry{{1, "sync", "none"}}},
		{"hash inside bare value", "data-dir = /data/#1", []fileEntry{{1, "data-dir", "/data/#1"}}},
		{"space inside bare value", "data-dir = /my data # here", []fileEntry{{1, "data-dir", "/my data"}}},
		{"quoted", `data-dir = "/my data # not a comment"`, []fileEntry{{1, "data-dir", "/my data # not a comment"}}},
		{"quoted with comment", `data-dir = "/x" # comment`, []fileEntry{{1, "data-dir", "/x"}}},
		{"quoted escapes", `data-dir = "a\"b\\c"`, []fileEntry{{1, "data-dir", `a"b\c`}}},
		{"quoted empty", `data-dir = ""`, []fileEntry{{1, "data-dir", ""}}},
		{"equals in value", "data-dir = /a=b", []fileEntry{{1, "data-dir", "/a=b"}}},
		{"crlf and bom", "\uFEFFsync = none\r\n# c\r\nlog-format = json\r\n",
			[]fileEntry{{1, "sync", "none"}, {3, "log-format", "json"}}},
		{"line numbers", "\n\nsync = none\n\nlog-level = warn\n",
			[]fileEntry{{3, "sync", "none"}, {5, "log-level", "warn"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := parseFile(tt.in)
			if len(errs) != 0 {
				t.Fatalf("parseFile(%q) errors: %v", tt.in, errs[0].err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseFile(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		key  string
		msg  string
	}{
		{"sync none", 1, "", "want key = value"},
		{"# ok\n= none", 2, "", "missing key"},
		{"[server]", 1, "", "sections"},
		{"sync =", 1, "sync", "missing value"},
		{"sync = # nothing", 1, "sync", "missing value"},
		{`data-dir = "/x`, 1, "data-dir", "unterminated"},
		{`data-dir = "/x" y`, 1, "data-dir", `unexpected "y"`},
		{"sync = none\nlog-level = info\nsync = always", 3, "sync", "set twice (first on line 1)"},
	}
	for _, tt := range tests {
		_, errs := parseFile(tt.in)
		if len(errs) != 1 {
			t.Errorf("parseFile(%q) gave %d errors, want 1", tt.in, len(errs))
			continue
		}
		e := errs[0]
		if e.line != tt.line || e.key != tt.key || !strings.Contains(e.err.Error(), tt.msg) {
			t.Errorf("parseFile(%q) error = line %d key %q %q; want line %d key %q mentioning %q",
				tt.in, e.line, e.key, e.err, tt.line, tt.key, tt.msg)
		}
	}
}

// FuzzParseFile checks that any input either parses or gives errors with
// line numbers inside the file, and that each parsed entry has a key.
func FuzzParseFile(f *testing.F) {
	f.Add("sync = none # c\ndata-dir = \"/x\"\n")
	f.Add("[x]\n=\n\"")
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Count(in, "\n") + 1
		entries, errs := parseFile(in)
		for _, e := range entries {
			if e.key == "" || e.line < 1 || e.line > lines {
				t.Fatalf("bad entry %+v from %q", e, in)
			}
		}
		for _, e := range errs {
			if e.line < 1 || e.line > lines || e.err == nil {
				t.Fatalf("bad error %+v from %q", e, in)
			}
		}
	})
}
