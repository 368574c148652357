package diskstore

import "github.com/ferrymq/ferry/internal/store"

// OnCompactPass makes the compaction worker of l call f after each pass,
// so that tests can wait for it instead of sleeping.
func OnCompactPass(l store.Log, f func()) { l.(*Log).passHook.Store(&f) }
