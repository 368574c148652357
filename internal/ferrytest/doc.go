// Package ferrytest runs the real ferry binary for tests: it builds it
// once, starts it with a temp data folder, and lets a test wait for a log
// line or for the process to exit. Tests wait on what the process says,
// never on time: a wait ends when the line appears or when the process
// closes its output.
//
// Tests that need a running node from the outside (cmd/ferry's, and later
// end-to-end and crash tests that kill -9 a node and start it again) use
// Build and Start. An in-process harness for front-end tests belongs here
// too, once the front ends exist.
package ferrytest
