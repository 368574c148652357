package memstore_test

import (
	"testing"

	"github.com/ferrymq/ferry/internal/store"
	"github.com/ferrymq/ferry/internal/store/memstore"
	"github.com/ferrymq/ferry/internal/store/storetest"
)

// TestConformance runs the store suite on the memory engine. A restart
// closes every log and hands back the same Store, which is what a process
// that keeps running sees; a real process restart empties a memstore by
// design, so the suite checks nothing across one.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store { return memstore.New() },
		Restart: func(t *testing.T, s store.Store) store.Store {
			names, err := s.Names()
			if err != nil {
				t.Fatalf("Names: %v", err)
			}
			for _, name := range names {
				l, err := s.Open(name)
				if err != nil {
					t.Fatalf("Open(%q): %v", name, err)
				}
				if err := l.Close(); err != nil {
					t.Fatalf("Close(%q): %v", name, err)
				}
			}
			return s
		},
	})
}
