package cli

import (
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgsInterspersed(t *testing.T) {
	for _, c := range []struct {
		args    []string
		pos     []string
		durable bool
		arg     []string
	}{
		{[]string{"orders", "--durable=false", "--arg", "x-a=1"}, []string{"orders"}, false, []string{"x-a=1"}},
		{[]string{"--arg=x-a=1", "orders", "--arg", "x-b=two"}, []string{"orders"}, true, []string{"x-a=1", "x-b=two"}},
		{[]string{"a", "b", "--", "--durable=false"}, []string{"a", "b", "--durable=false"}, true, nil},
		{[]string{"-", "--durable=false"}, []string{"-"}, false, nil},
	} {
		fs := newFlagSet("t")
		durable := fs.Bool("durable", true, "")
		var arg listFlag
		fs.Var(&arg, "arg", "")
		pos, err := parseArgs(fs, c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(pos, c.pos) || *durable != c.durable || !reflect.DeepEqual([]string(arg), c.arg) {
			t.Errorf("%q: pos %q durable %v arg %q; want %q %v %q", c.args, pos, *durable, arg, c.pos, c.durable, c.arg)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	fs := newFlagSet("t")
	fs.Int("limit", 1, "")
	_, err := parseArgs(fs, []string{"q", "--limt", "3"})
	var ue *usageError
	if !errors.As(flagError(err), &ue) || !strings.Contains(ue.msg, "unknown flag --limt") {
		t.Errorf("unknown flag: %v", flagError(err))
	}
	fs = newFlagSet("t")
	fs.Int("limit", 1, "")
	_, err = parseArgs(fs, []string{"--limit", "many"})
	if !errors.As(flagError(err), &ue) || !strings.Contains(ue.msg, `invalid value "many" for flag -limit`) {
		t.Errorf("bad value: %v", flagError(err))
	}
	fs = newFlagSet("t")
	_, err = parseArgs(fs, []string{"q", "-h"})
	if !errors.Is(flagError(err), flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestTypedValue(t *testing.T) {
	for in, want := range map[string]any{
		"5": int64(5), "-12": int64(-12), "0": int64(0), "1.5": 1.5, "true": true, "false": false,
		"abc": "abc", "": "", `"123"`: "123", "02134": "02134", "1e3": "1e3", "True": "True",
		"99999999999999999999": "99999999999999999999", // too big for int64: stays text
	} {
		if got := typedValue(in); got != want {
			t.Errorf("typedValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

func TestTypedMap(t *testing.T) {
	m, err := typedMap("arg", []string{"x-max-length=10", "x-dead-letter-exchange=", "x-fifo=true", "x-name=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x-max-length": int64(10), "x-dead-letter-exchange": "", "x-fifo": true, "x-name": "a=b"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("typedMap = %#v, want %#v", m, want)
	}
	for _, bad := range []string{"novalue", "=v"} {
		_, err := typedMap("arg", []string{bad})
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, "--arg wants key=value") {
			t.Errorf("typedMap(%q): %v", bad, err)
		}
	}
}

func TestMessageProperties(t *testing.T) {
	p, err := messageProperties([]string{"content_type=text/plain", "priority=3", "delivery_mode=1"}, []string{"tenant=acme", "n=2"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"content_type": "text/plain", "priority": int64(3), "delivery_mode": int64(1),
		"headers": map[string]any{"tenant": "acme", "n": int64(2)}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("properties = %#v, want %#v", p, want)
	}
	if p, _ := messageProperties(nil, nil); p["delivery_mode"] != 2 {
		t.Errorf("default properties = %v, want persistent", p)
	}
	for _, bad := range [][]string{{"priority=high"}, {"headers=x"}, {"novalue"}} {
		if _, err := messageProperties(bad, nil); err == nil {
			t.Errorf("messageProperties(%q): no error", bad)
		}
	}
}

func TestMissingArgs(t *testing.T) {
	if got := missingArgs("NAME", 0); got != "NAME" {
		t.Errorf("missingArgs = %q", got)
	}
	if got := missingArgs("QUEUE [TO]", 0); got != "QUEUE" {
		t.Errorf("missingArgs = %q", got)
	}
}
