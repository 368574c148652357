package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePolicies(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPolicies(t *testing.T) {
	p := writePolicies(t, `[
	  {"name": "retry-orders", "vhost": "/", "pattern": "^orders\\.", "apply-to": "queues", "priority": 2,
	   "definition": {"delivery-limit": 5, "retry-initial-delay": 1000, "retry-multiplier": 2.5, "retry-jitter": "full"}},
	  {"name": "ttl", "pattern": ".*", "definition": {"message-ttl": 60000}}
	]`)
	ps, err := loadPolicies(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "retry-orders" || ps[0].Priority != 2 || ps[0].ApplyTo != "queues" ||
		ps[0].VHost != "/" || ps[1].Pattern != ".*" {
		t.Fatalf("policies = %+v", ps)
	}
	if ps, err := loadPolicies(""); ps != nil || err != nil {
		t.Fatalf("no file: %v %v", ps, err)
	}
}

func TestLoadPoliciesRefusesBadFiles(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`[{"name": "a", "pattern": "x", "definition": {"delivery-limt": 5}}]`, `policy a: unknown policy key "delivery-limt"`},
		{`[{"name": "a", "pattern": "x", "definition": {"message-ttl": -1}}]`, `policy a: invalid policy value for 'message-ttl': {value_negative,-1}`},
		{`[{"pattern": "x", "definition": {}}]`, `policy #1 has no name`},
		{`[{"name": "a", "patern": "x"}]`, `unknown field "patern"`},
		{`{"name": "a"}`, `cannot unmarshal object`},
	} {
		_, err := loadPolicies(writePolicies(t, c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to say %q", c.text, err, c.want)
		}
	}
	if _, err := loadPolicies(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}
