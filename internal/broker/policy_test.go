package broker

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCompilePoliciesErrors(t *testing.T) {
	tests := []struct {
		name string
		ps   []Policy
		want string // substring of the error
	}{
		{"bad pattern", []Policy{{Name: "p", Pattern: "("}}, "policy p: pattern:"},
		{"unnamed is numbered", []Policy{{Pattern: "."}, {Pattern: "["}}, "policy #2: pattern:"},
		{"bad apply-to", []Policy{{Name: "p", Pattern: ".", ApplyTo: "queue"}}, `policy p: apply-to "queue": want queues, exchanges or all`},
		{"unknown key", []Policy{{Name: "p", Pattern: ".", Definition: map[string]any{"ttl": 1.0}}}, `policy p: unknown policy key "ttl"`},
		{"bad value", []Policy{{Name: "p", Pattern: ".", Definition: map[string]any{"max-length": -1.0}}},
			"policy p: invalid policy value for 'max-length': {value_negative,-1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compilePolicies(tt.ps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("compilePolicies error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCompilePoliciesCanonicalValues(t *testing.T) {
	src := map[string]any{"max-length": 10.0, "retry-multiplier": 1.5, "overflow": "reject-publish"}
	ps, err := compilePolicies([]Policy{{Name: "p", Pattern: ".", Definition: src}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"max-length": json.Number("10"), "retry-multiplier": 1.5, "overflow": "reject-publish"}
	if !reflect.DeepEqual(ps[0].Definition, want) {
		t.Fatalf("definition = %#v, want %#v", ps[0].Definition, want)
	}
	if src["max-length"] != 10.0 {
		t.Fatal("compilePolicies changed the caller's definition")
	}
	r, err := ParseRules("/", "q", nil, policyFor(ps, "/", "q"))
	if err != nil || r.MaxLength != 10 || !r.HasMaxLength || r.RetryMultiplier != 1.5 || r.Overflow != "reject-publish" {
		t.Fatalf("rules from policy = %+v, %v", r, err)
	}
}

func TestPolicyFor(t *testing.T) {
	def := func(n float64) map[string]any { return map[string]any{"max-length": n} }
	policies := []Policy{
		{Name: "all-low", Pattern: ".*", Priority: 0, Definition: def(1)},
		{Name: "orders", Pattern: "^orders\\.", Priority: 5, Definition: def(2)},
		{Name: "orders-tie", Pattern: "^orders\\.", Priority: 5, Definition: def(3)},
		{Name: "v2-only", Pattern: "^v2q$", VHost: "v2", Priority: 10, Definition: def(4)},
		{Name: "exchanges", Pattern: "^ex", ApplyTo: "exchanges", Priority: 100, Definition: def(5)},
		{Name: "queues", Pattern: "^qq", ApplyTo: "queues", Priority: 1, Definition: def(6)},
		{Name: "all", Pattern: "^aa", ApplyTo: "all", Priority: 1, Definition: def(7)},
		{Name: "negative", Pattern: "^neg", Priority: -1, Definition: def(8)},
	}
	ps, err := compilePolicies(policies)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		vhost, queue string
		want         string // max-length of the chosen policy; "" for none
	}{
		{"/", "anything", "1"},
		{"/", "orders.eu", "2"},   // higher priority wins; earliest on a tie
		{"/", "x.orders.eu", "1"}, // pattern anchored by the policy itself
		{"/", "v2q", "1"},         // other vhost's policy does not apply
		{"v2", "v2q", "4"},        // its own vhost's does
		{"v2", "orders.x", "2"},   // VHost "" matches every vhost
		{"/", "expensive", "1"},   // apply-to exchanges matches no queue
		{"/", "qq1", "6"},         // apply-to queues
		{"/", "aa1", "7"},         // apply-to all
		{"/", "neg", "1"},         // priority -1 loses to 0
	}
	for _, tt := range tests {
		t.Run(tt.vhost+":"+tt.queue, func(t *testing.T) {
			got := policyFor(ps, tt.vhost, tt.queue)
			if got == nil || string(got["max-length"].(json.Number)) != tt.want {
				t.Fatalf("policyFor = %v, want max-length %s", got, tt.want)
			}
		})
	}

	// No policy matches: nil.
	ps, err = compilePolicies([]Policy{{Pattern: "^a$"}, {Pattern: "^b", ApplyTo: "exchanges"}, {Pattern: ".", VHost: "other"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"b", "c"} {
		if got := policyFor(ps, "/", q); got != nil {
			t.Fatalf("policyFor(%q) = %v, want nil", q, got)
		}
	}
	if got := policyFor(nil, "/", "a"); got != nil {
		t.Fatalf("policyFor with no policies = %v", got)
	}
}
