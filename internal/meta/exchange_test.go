package meta

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestExchangesAndBindingsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	s.PutVHost(VHost{Name: "/"})
	xs := []Exchange{
		{VHost: "/", Name: "orders", Kind: "topic", Durable: true, Args: []byte{0, 0, 0, 0}},
		{VHost: "/", Name: "audit", Kind: "fanout", Durable: true, AutoDelete: true, Internal: true},
	}
	bs := []Binding{
		{VHost: "/", Source: "orders", Destination: "q1", DestinationType: DestQueue, Key: "eu.#"},
		{VHost: "/", Source: "orders", Destination: "q1", DestinationType: DestQueue, Key: "eu.#", Args: []byte{1, 2, 3}},
		{VHost: "/", Source: "orders", Destination: "audit", DestinationType: DestExchange, Key: "#"},
		// Same names as the first, but the destination is an exchange.
		{VHost: "/", Source: "orders", Destination: "q1", DestinationType: DestExchange, Key: "eu.#"},
	}
	for _, x := range xs {
		if err := s.PutExchange(x); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range append(bs, bs[0]) { // storing one twice keeps one
		if err := s.PutBinding(b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	gotX, err := s.Exchanges("/")
	if want := []Exchange{xs[1], xs[0]}; err != nil || !reflect.DeepEqual(gotX, want) {
		t.Fatalf("Exchanges = %+v, %v\nwant %+v", gotX, err, want)
	}
	gotB, err := s.Bindings("/")
	if err != nil || len(gotB) != len(bs) {
		t.Fatalf("Bindings = %+v, %v; want %d", gotB, err, len(bs))
	}
	for _, b := range bs {
		found := false
		for _, g := range gotB {
			found = found || reflect.DeepEqual(g, b)
		}
		if !found {
			t.Fatalf("binding %+v did not come back; got %+v", b, gotB)
		}
	}
}

func TestDeletesTakeBindingsAlong(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	s.PutVHost(VHost{Name: "/"})
	s.PutQueue(Queue{VHost: "/", Name: "q", Durable: true})
	for _, x := range []string{"a", "b", "c"} {
		s.PutExchange(Exchange{VHost: "/", Name: x, Kind: "direct", Durable: true})
	}
	keep := Binding{VHost: "/", Source: "c", Destination: "c", DestinationType: DestExchange, Key: "k"}
	for _, b := range []Binding{
		{VHost: "/", Source: "a", Destination: "q", DestinationType: DestQueue, Key: "k"},
		{VHost: "/", Source: "b", Destination: "q", DestinationType: DestQueue, Key: "k"},
		{VHost: "/", Source: "a", Destination: "b", DestinationType: DestExchange, Key: "k"},
		{VHost: "/", Source: "b", Destination: "c", DestinationType: DestExchange, Key: "k"},
		{VHost: "/", Source: "c", Destination: "b", DestinationType: DestExchange, Key: "k"},
		keep,
	} {
		if err := s.PutBinding(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteQueue("/", "q"); err != nil {
		t.Fatal(err)
	}
	if bs, _ := s.Bindings("/"); len(bs) != 4 {
		t.Fatalf("after deleting the queue: %+v, want the 4 exchange bindings", bs)
	}
	if err := s.DeleteExchange("/", "b"); err != nil {
		t.Fatal(err)
	}
	if bs, _ := s.Bindings("/"); !reflect.DeepEqual(bs, []Binding{keep}) {
		t.Fatalf("after deleting exchange b: %+v, want only %+v", bs, keep)
	}
	if xs, _ := s.Exchanges("/"); len(xs) != 2 {
		t.Fatalf("exchanges left: %+v", xs)
	}
	if err := s.DeleteBinding(keep); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBinding(keep); err != nil {
		t.Fatalf("deleting a missing binding: %v", err)
	}
	if err := s.DeleteExchange("/", "missing"); err != nil {
		t.Fatalf("deleting a missing exchange: %v", err)
	}
	if bs, _ := s.Bindings("/"); len(bs) != 0 {
		t.Fatalf("bindings left: %+v", bs)
	}
}

func TestDeleteVHostTakesExchangesAndBindings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	s.PutVHost(VHost{Name: "v"})
	s.PutExchange(Exchange{VHost: "v", Name: "x", Kind: "fanout", Durable: true})
	s.PutBinding(Binding{VHost: "v", Source: "x", Destination: "x", DestinationType: DestExchange})
	if err := s.DeleteVHost("v"); err != nil {
		t.Fatal(err)
	}
	s.PutVHost(VHost{Name: "v"})
	xs, _ := s.Exchanges("v")
	bs, _ := s.Bindings("v")
	if len(xs) != 0 || len(bs) != 0 {
		t.Fatalf("recreated vhost has exchanges %v and bindings %v", xs, bs)
	}
}

func TestExchangeAndBindingNeedVHost(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "meta.db"))
	defer s.Close()
	if err := s.PutExchange(Exchange{VHost: "nope", Name: "x", Kind: "direct"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutExchange in a missing vhost: %v, want ErrNotFound", err)
	}
	if err := s.PutBinding(Binding{VHost: "nope", Source: "x", Destination: "q", DestinationType: DestQueue}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutBinding in a missing vhost: %v, want ErrNotFound", err)
	}
}

// TestBindingKeysAreUnambiguous checks that length prefixes keep parts
// from running into each other: "ab"+"c" and "a"+"bc" are two bindings.
func TestBindingKeysAreUnambiguous(t *testing.T) {
	a := Binding{Source: "ab", DestinationType: DestQueue, Destination: "c"}
	b := Binding{Source: "a", DestinationType: DestQueue, Destination: "bc"}
	if string(bindingKey(a)) == string(bindingKey(b)) {
		t.Fatal("distinct bindings share a key")
	}
	c := a
	c.Args = []byte{0, 0, 0, 0}
	if string(bindingKey(a)) == string(bindingKey(c)) {
		t.Fatal("arguments are not part of the key")
	}
}
