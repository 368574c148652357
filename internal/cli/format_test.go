package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1: "1 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1024*1024 - 1: "1.0 MiB", // 1023.999 KiB rounds up into the next unit
		5 << 20:       "5.0 MiB", 3<<30 + 1<<29: "3.5 GiB", 2 << 40: "2.0 TiB", 5000 << 40: "5000.0 TiB", -2048: "-2.0 KiB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanRate(t *testing.T) {
	for r, want := range map[float64]string{0: "0.0/s", 12.34: "12.3/s", 9999.9: "9999.9/s", 12345: "12.3k/s", 2.5e6: "2.5M/s", -1: "0.0/s"} {
		if got := humanRate(r); got != want {
			t.Errorf("humanRate(%v) = %q, want %q", r, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 42*time.Second + 900*time.Millisecond: "42s", 3*time.Minute + 12*time.Second: "3m12s",
		5*time.Hour + 4*time.Minute: "5h04m", 51 * time.Hour: "2d03h", -2 * time.Second: "2.0s", 1999 * time.Millisecond: "1.9s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "-"},
		{now.Add(-90 * time.Second), "1m30s ago"},
		{now.Add(2 * time.Second), "in 2.0s"},
		{now.Add(-8 * 24 * time.Hour), "2026-11-26T08:00:00Z"},
	} {
		if got := ago(c.t, now); got != c.want {
			t.Errorf("ago(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestPreview(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"line1\nline2\ttab", 40, `line1\nline2\ttab`},
		{"abcdef", 3, "abc…"},
		{"naïve café", 5, "naïve…"},
		{"a\x00b\x7f", 10, `a\x00b\x7f`},
	} {
		if got := preview(c.in, c.max); got != c.want {
			t.Errorf("preview(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestPairsAndCells(t *testing.T) {
	got := pairs(map[string]any{"b": float64(2), "a": "x", "c": true, "d": []any{"k"}, "e": map[string]any{"n": nil}})
	if want := `a=x b=2 c=true d=["k"] e={"n":null}`; got != want {
		t.Errorf("pairs = %q, want %q", got, want)
	}
	if pairs(nil) != "-" {
		t.Errorf("pairs(nil) = %q", pairs(nil))
	}
	if got := cellValue(float64(1796369989)); got != "1796369989" {
		t.Errorf("cellValue of a large number = %q, want no exponent", got)
	}
}

func TestTableAligns(t *testing.T) {
	var b bytes.Buffer
	tb := newTable(&b, "NAME", "READY", "SIZE")
	tb.row("orders", "12", "1.5 KiB")
	tb.row("o", "", "0 B") // empty cells print as "-"
	tb.row("tab\there", "1", "new\nline")
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	want := "NAME      READY  SIZE\n" +
		"orders    12     1.5 KiB\n" +
		"o         -      0 B\n" +
		"tab here  1      new line\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPrintJSONKeepsNumbers(t *testing.T) {
	var b bytes.Buffer
	if err := printJSON(&b, []byte(`{"id":18446744073709551615,"a":[1,2]}`)); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"id\": 18446744073709551615,\n  \"a\": [\n    1,\n    2\n  ]\n}\n"
	if b.String() != want {
		t.Errorf("printJSON = %q, want %q", b.String(), want)
	}
	if err := printJSON(&b, []byte("<html>")); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("printJSON of HTML: %v", err)
	}
}

func TestBar(t *testing.T) {
	for _, c := range []struct {
		moved, total int
		want         string
	}{
		{0, 10, "[----------]   0%"},
		{5, 10, "[#####-----]  50%"},
		{10, 10, "[##########] 100%"},
		{12, 10, "[##########] 100%"},
		{0, 0, "[##########] 100%"}, // nothing to move is done
	} {
		if got := bar(c.moved, c.total, 10); got != c.want {
			t.Errorf("bar(%d, %d) = %q, want %q", c.moved, c.total, got, c.want)
		}
	}
}

func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false)
	for _, n := range []int{0, 0, 3, 3, 7} {
		p.update(n, 7)
	}
	p.done()
	if want := "moved 0/7\nmoved 3/7\nmoved 7/7\n"; b.String() != want {
		t.Errorf("plain progress = %q, want %q", b.String(), want)
	}
	b.Reset()
	p = newProgress(&b, true)
	p.update(1, 2)
	p.update(2, 2)
	p.done()
	out := b.String()
	if strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\n") || !strings.Contains(out, "[##############################] 100% 2/2") {
		t.Errorf("terminal progress = %q: want two redraws in place and a final newline", out)
	}
}

func TestProcessStart(t *testing.T) {
	metrics := []byte("# HELP process_start_time_seconds Start time.\n# TYPE process_start_time_seconds gauge\n" +
		"process_open_fds 12\nprocess_start_time_seconds 1.79636998e+09\n")
	got, err := processStart(metrics)
	if err != nil || got.Unix() != 1796369980 {
		t.Errorf("processStart = %v, %v; want unix 1796369980", got, err)
	}
	if _, err := processStart([]byte("go_goroutines 3\n")); err == nil {
		t.Error("processStart without the metric: no error")
	}
}
