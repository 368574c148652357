package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The spec files the generator reads, committed beside it in spec/ (the
// paths go:generate in ../doc.go passes, seen from this folder).
var (
	specJSON = filepath.Join("spec", "amqp-rabbitmq-0.9.1.json")
	specXML  = filepath.Join("spec", "amqp0-9-1.stripped.extended.xml")
)

// needSpec fails the test, never skips it, when a spec file is missing:
// they are part of the repository, so a missing one is a broken checkout,
// and skipping would let stale generated files through CI unnoticed.
func needSpec(t *testing.T) {
	t.Helper()
	for _, p := range []string{specJSON, specXML} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("spec file missing from the repository (%v); it belongs in internal/amqp/wire/gen/spec", err)
		}
	}
}

// TestGeneratedFilesUpToDate regenerates the codec and compares it with
// the committed files, so a change to the generator or the spec that was
// not followed by `go generate` fails here.
func TestGeneratedFilesUpToDate(t *testing.T) {
	needSpec(t)
	files, err := generate(specJSON, specXML)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Errorf("generated %d files, want 3", len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate in internal/amqp/wire", name)
		}
	}
}

// TestCheckXMLCatchesDisagreement changes one argument's wire type and
// expects the cross-check to refuse it.
func TestCheckXMLCatchesDisagreement(t *testing.T) {
	needSpec(t)
	m, err := loadJSON(specJSON)
	if err != nil {
		t.Fatal(err)
	}
	onlyJSON, err := checkXML(m, specXML)
	if err != nil {
		t.Fatalf("unchanged spec: %v", err)
	}
	if strings.Join(onlyJSON, " ") != "access.request access.request-ok" {
		t.Errorf("methods only in the JSON: %v", onlyJSON)
	}
	for _, c := range m.Classes {
		if c.Name == "basic" {
			for _, me := range c.Methods {
				if me.Name == "publish" {
					me.Fields[0].Type = "long" // ticket is a short
				}
			}
		}
	}
	if _, err := checkXML(m, specXML); err == nil || !strings.Contains(err.Error(), "basic.publish") {
		t.Errorf("changed basic.publish: err = %v, want a disagreement naming it", err)
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"routing-key":  "RoutingKey",
		"message-id":   "MessageID",
		"frame-method": "FrameMethod",
		"get-ok":       "GetOk",
		"tx":           "Tx",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBitGroups(t *testing.T) {
	fs := []*field{{Type: "short"}, {Type: "bit"}, {Type: "bit"}, {Type: "shortstr"}, {Type: "bit"}}
	got := bitGroups(fs)
	want := []int{-1, 0, 1, -1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("bitGroups = %v, want %v", got, want)
		}
	}
	nine := make([]*field, 9)
	for i := range nine {
		nine[i] = &field{Type: "bit"}
	}
	if g := bitGroups(nine); g[8] != 0 || g[7] != 7 {
		t.Errorf("nine bits: %v, want the ninth to start a new octet", g)
	}
}
