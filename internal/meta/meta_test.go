package meta

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	for _, v := range []string{"/", "b", "a"} {
		if err := s.PutVHost(VHost{Name: v}); err != nil {
			t.Fatal(err)
		}
	}
	qs := []Queue{
		{VHost: "/", Name: "orders", Durable: true, Args: map[string]any{"x-max-length": int64(1) << 60, "x-queue-type": "classic"}},
		{VHost: "/", Name: "a/b\x00c", Durable: true, AutoDelete: true},
		{VHost: "b", Name: "orders", Durable: true, Exclusive: true},
	}
	for _, q := range qs {
		if err := s.PutQueue(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	vs, err := s.VHosts()
	if want := []VHost{{"/"}, {"a"}, {"b"}}; err != nil || !reflect.DeepEqual(vs, want) {
		t.Fatalf("VHosts = %v, %v; want %v", vs, err, want)
	}
	got, err := s.Queues("/")
	if err != nil || len(got) != 2 {
		t.Fatalf("Queues(/) = %v, %v", got, err)
	}
	// Sorted by name: "a/b\x00c" < "orders".
	if !reflect.DeepEqual(got[0], qs[1]) {
		t.Fatalf("queue = %+v, want %+v", got[0], qs[1])
	}
	n, ok := got[1].Args["x-max-length"].(json.Number)
	if !ok || n.String() != "1152921504606846976" || got[1].Args["x-queue-type"] != "classic" {
		t.Fatalf("args came back as %#v", got[1].Args)
	}
	if b, _ := s.Queues("b"); len(b) != 1 || !b[0].Exclusive {
		t.Fatalf("Queues(b) = %+v", b)
	}
	if none, err := s.Queues("nowhere"); err != nil || len(none) != 0 {
		t.Fatalf("Queues(nowhere) = %v, %v", none, err)
	}
}

func TestPutReplaces(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	s.PutVHost(VHost{Name: "/"})
	s.PutQueue(Queue{VHost: "/", Name: "q", Durable: true})
	s.PutQueue(Queue{VHost: "/", Name: "q", Durable: true, AutoDelete: true})
	if qs, _ := s.Queues("/"); len(qs) != 1 || !qs[0].AutoDelete {
		t.Fatalf("after replace: %+v", qs)
	}
}

func TestDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	for _, v := range []string{"/", "v"} {
		s.PutVHost(VHost{Name: v})
		s.PutQueue(Queue{VHost: v, Name: "q1"})
		s.PutQueue(Queue{VHost: v, Name: "q2"})
	}
	if err := s.DeleteQueue("/", "q1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteQueue("/", "missing"); err != nil {
		t.Fatalf("deleting a missing queue: %v", err)
	}
	if err := s.DeleteVHost("v"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVHost("missing"); err != nil {
		t.Fatalf("deleting a missing vhost: %v", err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	if vs, _ := s.VHosts(); !reflect.DeepEqual(vs, []VHost{{"/"}}) {
		t.Fatalf("VHosts = %v", vs)
	}
	if qs, _ := s.Queues("/"); len(qs) != 1 || qs[0].Name != "q2" {
		t.Fatalf("Queues(/) = %v", qs)
	}
	// A vhost deleted and made again starts empty.
	s.PutVHost(VHost{Name: "v"})
	if qs, _ := s.Queues("v"); len(qs) != 0 {
		t.Fatalf("recreated vhost has queues %v", qs)
	}
}

func TestPutQueueNeedsVHost(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	if err := s.PutQueue(Queue{VHost: "nope", Name: "q"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutQueue in a missing vhost: err = %v, want ErrNotFound", err)
	}
}

func TestBadArgs(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	s.PutVHost(VHost{Name: "/"})
	if err := s.PutQueue(Queue{VHost: "/", Name: "q", Args: map[string]any{"f": func() {}}}); err == nil {
		t.Fatal("PutQueue with an argument JSON cannot hold succeeded")
	}
	if qs, _ := s.Queues("/"); len(qs) != 0 {
		t.Fatalf("failed put stored %v", qs)
	}
}

func TestOpenRefusesOtherVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyVersion, []byte("99")) })
	s.Close()
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("Open accepted format version 99")
	}
}
