package broker

import (
	"testing"
)

func (e *env) maxLength(name string) int {
	e.t.Helper()
	en, err := e.b.lookup("/", name)
	if err != nil {
		e.t.Fatal(err)
	}
	return int(en.rules.Load().MaxLength)
}

func policyNames(ps []Policy) []string {
	var out []string
	for _, p := range ps {
		tag := "file:"
		if p.API {
			tag = "api:"
		}
		out = append(out, tag+p.VHost+"/"+p.Name)
	}
	return out
}

// TestPutPolicyPersistsAcrossRestart: a policy set through the API is
// kept in meta and applies again after a restart; the policies file's
// stay the file's (a reload replaces them and leaves the API's alone).
func TestPutPolicyPersistsAcrossRestart(t *testing.T) {
	e := newEnv(t)
	e.declare("/", "orders", QueueOptions{Durable: true})
	if err := e.b.SetPolicies([]Policy{{Name: "file-p", Pattern: "^zzz$", Definition: map[string]any{"max-length": 1}}}); err != nil {
		t.Fatal(err)
	}
	created, err := e.b.PutPolicy(Policy{VHost: "/", Name: "ml", Pattern: "^orders$", Definition: map[string]any{"max-length": 5}})
	if err != nil || !created || e.maxLength("orders") != 5 {
		t.Fatalf("PutPolicy: created %v, %v; max-length %d, want 5", created, err, e.maxLength("orders"))
	}
	created, err = e.b.PutPolicy(Policy{VHost: "/", Name: "ml", Pattern: "^orders$", Priority: 1, Definition: map[string]any{"max-length": 7}})
	if err != nil || created || e.maxLength("orders") != 7 {
		t.Fatalf("replace: created %v, %v; max-length %d, want 7", created, err, e.maxLength("orders"))
	}
	_, err = e.b.PutPolicy(Policy{VHost: "/", Name: "file-p", Pattern: ".", Definition: map[string]any{"max-length": 1}})
	wantCode(t, "put over the file's policy", err, NotAllowed)
	wantCode(t, "delete the file's policy", e.b.DeletePolicy("/", "file-p"), NotAllowed)
	_, err = e.b.PutPolicy(Policy{VHost: "nope", Name: "p", Pattern: ".", Definition: map[string]any{"max-length": 1}})
	wantCode(t, "policy in a missing vhost", err, NotFound)
	_, err = e.b.PutPolicy(Policy{VHost: "/", Name: "bad", Pattern: ".", Definition: map[string]any{"max-length": -1}})
	wantCode(t, "bad definition", err, InvalidArgument)
	wantCode(t, "delete a missing policy", e.b.DeletePolicy("/", "none"), NotFound)

	// A reload of the file replaces the file's policies only.
	if err := e.b.SetPolicies(nil); err != nil {
		t.Fatal(err)
	}
	if got := policyNames(e.b.Policies()); len(got) != 1 || got[0] != "api://ml" || e.maxLength("orders") != 7 {
		t.Fatalf("after reload: %v, max-length %d", got, e.maxLength("orders"))
	}

	e.restart()
	if got := policyNames(e.b.Policies()); len(got) != 1 || got[0] != "api://ml" {
		t.Fatalf("after restart: %v, want the API's policy back", got)
	}
	if n := e.maxLength("orders"); n != 7 {
		t.Fatalf("after restart max-length = %d, want 7 from the stored policy", n)
	}
	if p, ok := e.b.PolicyOf("/", "orders"); !ok || p.Name != "ml" || !p.API {
		t.Errorf("PolicyOf(orders) = %+v, %v; want ml", p, ok)
	}
	if _, ok := e.b.PolicyOf("/", "other"); ok {
		t.Error("PolicyOf(other) found a policy")
	}
	if p := e.b.Policies()[0]; p.Priority != 1 || p.Pattern != "^orders$" {
		t.Errorf("stored policy = %+v", p)
	}

	if err := e.b.DeletePolicy("/", "ml"); err != nil {
		t.Fatal(err)
	}
	if e.maxLength("orders") != 0 {
		t.Errorf("max-length after delete = %d", e.maxLength("orders"))
	}
	e.restart()
	if got := e.b.Policies(); len(got) != 0 || e.maxLength("orders") != 0 {
		t.Fatalf("deleted policy came back: %v", policyNames(got))
	}
}

// TestDeleteVHostDropsItsPolicies: policies go with their vhost, in
// memory and in meta.
func TestDeleteVHostDropsItsPolicies(t *testing.T) {
	e := newEnv(t)
	if err := e.b.AddVHost("v2"); err != nil {
		t.Fatal(err)
	}
	for _, vh := range []string{"/", "v2"} {
		if _, err := e.b.PutPolicy(Policy{VHost: vh, Name: "p", Pattern: ".", Definition: map[string]any{"max-length": 3}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.b.DeleteVHost("v2"); err != nil {
		t.Fatal(err)
	}
	if got := policyNames(e.b.Policies()); len(got) != 1 || got[0] != "api://p" {
		t.Fatalf("after vhost delete: %v", got)
	}
	e.restart()
	if got := policyNames(e.b.Policies()); len(got) != 1 || got[0] != "api://p" {
		t.Fatalf("after restart: %v", got)
	}
}
