package meta

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Exchange is a durable exchange's definition.
type Exchange struct {
	VHost      string `json:"vhost"`
	Name       string `json:"name"`
	Kind       string `json:"kind"` // direct, fanout, topic or headers
	Durable    bool   `json:"durable"`
	AutoDelete bool   `json:"auto_delete,omitempty"`
	Internal   bool   `json:"internal,omitempty"`
	// Args are the exchange's arguments in AMQP field-table wire form, as
	// the broker encoded them: a table's value types (int32 or int64,
	// string or byte array) survive the trip, which JSON would blur.
	Args []byte `json:"args,omitempty"`
}

// Binding is a durable binding: both its ends are durable. Its identity is
// every field together, as in AMQP: the same ends with another key or
// other arguments are another binding.
type Binding struct {
	VHost           string `json:"vhost"`
	Source          string `json:"source"` // an exchange
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"` // "queue" or "exchange"
	Key             string `json:"key"`
	Args            []byte `json:"args,omitempty"` // AMQP field-table wire form, as for Exchange
}

// Destination types of a Binding.
const (
	DestQueue    = "queue"
	DestExchange = "exchange"
)

// bindingKey is a binding's key in its vhost's bucket: each part
// length-prefixed, so distinct bindings get distinct keys whatever bytes
// their names hold, then the SHA-256 of the arguments (bbolt keys are
// bounded; a headers binding's arguments are not). Keys of one source
// share a prefix.
func bindingKey(b Binding) []byte {
	k := make([]byte, 0, 16+len(b.Source)+len(b.Destination)+len(b.Key)+sha256.Size)
	for _, s := range []string{b.Source, b.DestinationType, b.Destination, b.Key} {
		k = binary.AppendUvarint(k, uint64(len(s)))
		k = append(k, s...)
	}
	if len(b.Args) > 0 {
		sum := sha256.Sum256(b.Args)
		k = append(k, sum[:]...)
	}
	return k
}

// PutExchange stores x, replacing any definition of the same vhost and
// name. The vhost must exist.
func (s *Store) PutExchange(x Exchange) error {
	if err := s.putIn(x.VHost, bucketExchanges, []byte(x.Name), x); err != nil {
		return fmt.Errorf("meta: put exchange %q in vhost %q: %w", x.Name, x.VHost, err)
	}
	return nil
}

// DeleteExchange removes an exchange's definition and, in the same
// transaction, every binding it is the source or the destination of, so
// that no binding outlives one of its ends. A missing exchange is not an
// error.
func (s *Store) DeleteExchange(vhost, name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if b, _ := bucket(tx, false, bucketExchanges, []byte(vhost)); b != nil {
			if err := b.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return deleteBindingsTx(tx, vhost, func(b *Binding) bool {
			return b.Source == name || b.DestinationType == DestExchange && b.Destination == name
		})
	})
	if err != nil {
		return fmt.Errorf("meta: delete exchange %q in vhost %q: %w", name, vhost, err)
	}
	return nil
}

// Exchanges lists the exchanges of vhost by name.
func (s *Store) Exchanges(vhost string) ([]Exchange, error) {
	x, err := list[Exchange](s, bucketExchanges, []byte(vhost))
	if err != nil {
		return nil, fmt.Errorf("meta: list exchanges of vhost %q: %w", vhost, err)
	}
	return x, nil
}

// PutBinding stores b; storing it again changes nothing. The vhost must
// exist; the broker checks that both ends do.
func (s *Store) PutBinding(b Binding) error {
	if err := s.putIn(b.VHost, bucketBindings, bindingKey(b), b); err != nil {
		return fmt.Errorf("meta: put binding %q → %s %q in vhost %q: %w", b.Source, b.DestinationType, b.Destination, b.VHost, err)
	}
	return nil
}

// DeleteBinding removes b; a missing binding is not an error.
func (s *Store) DeleteBinding(b Binding) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk, _ := bucket(tx, false, bucketBindings, []byte(b.VHost))
		if bk == nil {
			return nil
		}
		return bk.Delete(bindingKey(b))
	})
	if err != nil {
		return fmt.Errorf("meta: delete binding %q → %s %q in vhost %q: %w", b.Source, b.DestinationType, b.Destination, b.VHost, err)
	}
	return nil
}

// Bindings lists the bindings of vhost, grouped by source.
func (s *Store) Bindings(vhost string) ([]Binding, error) {
	b, err := list[Binding](s, bucketBindings, []byte(vhost))
	if err != nil {
		return nil, fmt.Errorf("meta: list bindings of vhost %q: %w", vhost, err)
	}
	return b, nil
}

// putIn stores v as JSON under key in the vhost's bucket below top,
// checking in the same transaction that the vhost exists.
func (s *Store) putIn(vhost string, top, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketVHosts).Get([]byte(vhost)) == nil {
			return fmt.Errorf("vhost %q: %w", vhost, ErrNotFound)
		}
		b, err := bucket(tx, true, top, []byte(vhost))
		if err != nil {
			return err
		}
		return b.Put(key, data)
	})
}

// deleteBindingsTx deletes, within tx, the bindings of vhost that drop
// selects. Bindings are few and deletes rare, so a scan will do.
func deleteBindingsTx(tx *bolt.Tx, vhost string, drop func(*Binding) bool) error {
	bk, _ := bucket(tx, false, bucketBindings, []byte(vhost))
	if bk == nil {
		return nil
	}
	var gone [][]byte
	err := bk.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		var b Binding
		if err := decode(v, &b); err != nil {
			return fmt.Errorf("binding key %q: %w", k, err)
		}
		if drop(&b) {
			gone = append(gone, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range gone { // not inside ForEach: bbolt forbids changing a bucket while iterating it
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
