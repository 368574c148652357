// Package storetest is the conformance suite that every store engine runs.
//
// It owns the definition of "behaves like a store.Store": what an engine
// promises about appends, acks, requeues, dead-letters, replay order, the
// last ID, many logs in one store, concurrency and done callbacks. Both
// memstore and diskstore call Run from their own tests, so a behaviour is
// written down once and every engine is held to it (as nats-server's
// store_test.go and river's riverdrivertest do).
//
// The suite checks only what every engine promises. In particular a
// "restart" here is a clean one: the memory engine keeps its logs across
// Close and Open within a process, the disk engine keeps them on disk, and
// both must give back the same state. What happens after a crash or power
// loss is the disk engine's own business and is tested there.
//
// Failures in the randomized model test print the seed; run again with
// -storetest.seed=N to reproduce one.
package storetest
