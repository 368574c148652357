package meta

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Policy is a policy set through the admin API, kept as RabbitMQ keeps
// its policies in its database. Policies from a policies file are not
// stored: the file stays their source.
type Policy struct {
	VHost      string         `json:"vhost"`
	Name       string         `json:"name"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to,omitempty"`
	Priority   int            `json:"priority"`
	Definition map[string]any `json:"definition"` // numbers come back as json.Number
}

// PutPolicy stores p, replacing any policy of the same vhost and name.
// The vhost must exist.
func (s *Store) PutPolicy(p Policy) error {
	if err := s.putIn(p.VHost, bucketPolicies, []byte(p.Name), p); err != nil {
		return fmt.Errorf("meta: put policy %q in vhost %q: %w", p.Name, p.VHost, err)
	}
	return nil
}

// DeletePolicy removes a policy; a missing one is not an error.
func (s *Store) DeletePolicy(vhost, name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, _ := bucket(tx, false, bucketPolicies, []byte(vhost))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("meta: delete policy %q in vhost %q: %w", name, vhost, err)
	}
	return nil
}

// Policies lists every stored policy, by vhost, then name.
func (s *Store) Policies() ([]Policy, error) {
	var out []Policy
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPolicies).ForEach(func(vh, v []byte) error {
			if v != nil {
				return nil // only vhost buckets live here
			}
			return tx.Bucket(bucketPolicies).Bucket(vh).ForEach(func(k, v []byte) error {
				var p Policy
				if err := decode(v, &p); err != nil {
					return fmt.Errorf("policy %q in vhost %q: %w", k, vh, err)
				}
				out = append(out, p)
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list policies: %w", err)
	}
	return out, nil
}
