package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// formatVersion is written to the meta bucket; Open refuses other values.
const formatVersion = "1"

var (
	bucketMeta   = []byte("meta")
	bucketVHosts = []byte("vhosts")
	bucketQueues = []byte("queues")
	keyVersion   = []byte("version")

	bucketExchanges = []byte("exchanges")
	bucketBindings  = []byte("bindings")
	bucketPolicies  = []byte("policies")
)

// ErrNotFound means a definition that had to exist does not.
var ErrNotFound = errors.New("meta: not found")

// Store is an open definitions file. It is safe for concurrent use (bbolt
// serializes writers).
type Store struct {
	db *bolt.DB
}

// Open opens or creates the definitions file at path. It fails at once,
// rather than waiting, if another process holds the file.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("meta: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		// Version 1 files written before exchanges existed gain their
		// buckets here; nothing else about them changes.
		for _, name := range [][]byte{bucketMeta, bucketVHosts, bucketQueues, bucketExchanges, bucketBindings, bucketPolicies} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		switch v := m.Get(keyVersion); {
		case v == nil:
			return m.Put(keyVersion, []byte(formatVersion))
		case string(v) != formatVersion:
			return fmt.Errorf("format version %q, this build reads %q", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("meta: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("meta: close: %w", err)
	}
	return nil
}

// bucket walks path from the root; create makes missing buckets. It
// returns nil if a bucket is missing and create is false.
func bucket(tx *bolt.Tx, create bool, path ...[]byte) (*bolt.Bucket, error) {
	b := tx.Bucket(path[0])
	for _, p := range path[1:] {
		if b == nil {
			return nil, nil
		}
		next := b.Bucket(p)
		if next == nil && create {
			var err error
			if next, err = b.CreateBucket(p); err != nil {
				return nil, err
			}
		}
		b = next
	}
	return b, nil
}

// put stores v as JSON under key in the bucket at path, in one fsynced
// transaction.
func (s *Store) put(key string, v any, path ...[]byte) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucket(tx, true, path...)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), data)
	})
}

// list decodes every value in the bucket at path, in key order.
func list[T any](s *Store, path ...[]byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := bucket(tx, false, path...)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil // a nested bucket
			}
			var t T
			if err := decode(v, &t); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// decode reads JSON keeping numbers as json.Number.
func decode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}
