package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// humanBytes writes a size in binary units: "512 B", "1.5 KiB",
// "12.0 MiB", "3.2 GiB" (and TiB past that).
func humanBytes(n int64) string {
	if n < 0 {
		return "-" + humanBytes(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	f := float64(n) / 1024
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	// 1023.96 KiB would print as "1024.0 KiB": carry it to the next unit.
	if math.Round(f*10)/10 >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// humanRate writes messages a second: "12.3/s".
func humanRate(r float64) string {
	if r < 0 || math.IsNaN(r) {
		r = 0
	}
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.1f/s", r)
}

// humanDuration writes a duration to the second for long ones and to
// the millisecond for short: "850ms", "1.9s", "42s", "3m12s", "5h04m",
// "2d03h".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", math.Floor(d.Seconds()*10)/10)
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", math.Floor(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// ago writes a past time relative to now ("3m12s ago"), or RFC 3339
// when it is more than a week back, where a date reads better. The zero
// time is "-".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d > 7*24*time.Hour:
		return t.UTC().Format(time.RFC3339)
	case d < 0:
		return "in " + humanDuration(-d)
	}
	return humanDuration(d) + " ago"
}

// yesNo writes a bool as a table cell.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// preview shows a payload in one table cell: control characters escaped
// (so a newline cannot break the table), cut to max runes with "…".
func preview(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError || r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r&0xff)
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}

// cellValue writes a JSON value decoded from the API in a cell: text
// as is, numbers without exponent, objects and arrays as compact JSON.
func cellValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	j, _ := json.Marshal(v)
	return string(j)
}

// pairs writes an object as "k=v k2=v2", keys sorted; "-" when empty.
func pairs(m map[string]any) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + cellValue(m[k])
	}
	return strings.Join(parts, " ")
}

// table writes aligned columns: a header row, then rows. Cells must not
// hold tabs or newlines (preview escapes them).
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// printJSON prints an API answer indented, as --json does. It indents
// the answer's own text, so numbers keep every digit (a message id may
// not fit a float64).
func printJSON(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
		return fmt.Errorf("the API's answer is not JSON: %v", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
