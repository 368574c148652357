package meta

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// VHost is a virtual host's definition.
type VHost struct {
	Name string `json:"name"`
}

// Queue is a durable queue's definition.
type Queue struct {
	VHost      string         `json:"vhost"`
	Name       string         `json:"name"`
	Durable    bool           `json:"durable"`
	Exclusive  bool           `json:"exclusive,omitempty"`
	AutoDelete bool           `json:"auto_delete,omitempty"`
	Args       map[string]any `json:"args,omitempty"` // numbers come back as json.Number
}

// PutVHost stores v, replacing any definition of the same name.
func (s *Store) PutVHost(v VHost) error {
	if err := s.put(v.Name, v, bucketVHosts); err != nil {
		return fmt.Errorf("meta: put vhost %q: %w", v.Name, err)
	}
	return nil
}

// DeleteVHost removes vhost name and every definition in it, at once.
// Deleting a missing vhost is not an error.
func (s *Store) DeleteVHost(name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketVHosts).Delete([]byte(name)); err != nil {
			return err
		}
		for _, top := range [][]byte{bucketQueues, bucketExchanges, bucketBindings, bucketPolicies} {
			b := tx.Bucket(top)
			if b.Bucket([]byte(name)) == nil {
				continue
			}
			if err := b.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("meta: delete vhost %q: %w", name, err)
	}
	return nil
}

// VHosts lists the vhosts by name.
func (s *Store) VHosts() ([]VHost, error) {
	v, err := list[VHost](s, bucketVHosts)
	if err != nil {
		return nil, fmt.Errorf("meta: list vhosts: %w", err)
	}
	return v, nil
}

// PutQueue stores q, replacing any definition of the same vhost and name.
// The vhost must exist.
func (s *Store) PutQueue(q Queue) error {
	data, err := json.Marshal(q)
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketVHosts).Get([]byte(q.VHost)) == nil {
				return fmt.Errorf("vhost %q: %w", q.VHost, ErrNotFound)
			}
			b, err := bucket(tx, true, bucketQueues, []byte(q.VHost))
			if err != nil {
				return err
			}
			return b.Put([]byte(q.Name), data)
		})
	}
	if err != nil {
		return fmt.Errorf("meta: put queue %q in vhost %q: %w", q.Name, q.VHost, err)
	}
	return nil
}

// DeleteQueue removes a queue's definition and, in the same transaction,
// the bindings to it; a missing one is not an error.
func (s *Store) DeleteQueue(vhost, name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if b, _ := bucket(tx, false, bucketQueues, []byte(vhost)); b != nil {
			if err := b.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return deleteBindingsTx(tx, vhost, func(b *Binding) bool {
			return b.DestinationType == DestQueue && b.Destination == name
		})
	})
	if err != nil {
		return fmt.Errorf("meta: delete queue %q in vhost %q: %w", name, vhost, err)
	}
	return nil
}

// Queues lists the queues of vhost by name.
func (s *Store) Queues(vhost string) ([]Queue, error) {
	q, err := list[Queue](s, bucketQueues, []byte(vhost))
	if err != nil {
		return nil, fmt.Errorf("meta: list queues of vhost %q: %w", vhost, err)
	}
	return q, nil
}
