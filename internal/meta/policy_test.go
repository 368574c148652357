package meta

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

func TestPoliciesRoundTripAndVHostDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	for _, v := range []string{"/", "v2"} {
		if err := s.PutVHost(VHost{Name: v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutPolicy(Policy{VHost: "nope", Name: "p"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("policy in a missing vhost: %v, want ErrNotFound", err)
	}
	for _, p := range []Policy{
		{VHost: "/", Name: "ttl", Pattern: "^orders", Priority: 2, Definition: map[string]any{"message-ttl": int64(1) << 60}},
		{VHost: "v2", Name: "dl", Pattern: ".*", ApplyTo: "queues", Definition: map[string]any{"delivery-limit": 3}},
		{VHost: "/", Name: "ttl", Pattern: "^o", Priority: 5, Definition: map[string]any{"message-ttl": 1000}}, // replaces
	} {
		if err := s.PutPolicy(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	ps, err := s.Policies()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].VHost != "/" || ps[0].Pattern != "^o" || ps[0].Priority != 5 || ps[1].Name != "dl" || ps[1].ApplyTo != "queues" {
		t.Fatalf("policies after reopen = %+v", ps)
	}
	if v := ps[0].Definition["message-ttl"]; v != json.Number("1000") {
		t.Errorf("definition number = %#v, want json.Number 1000", v)
	}
	if err := s.DeletePolicy("/", "ttl"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePolicy("/", "ttl"); err != nil { // a missing one is no error
		t.Fatal(err)
	}
	if err := s.DeleteVHost("v2"); err != nil {
		t.Fatal(err)
	}
	if ps, err := s.Policies(); err != nil || len(ps) != 0 {
		t.Fatalf("after deletes: %+v %v", ps, err)
	}
}
