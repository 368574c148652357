package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/ferrymq/ferry/internal/ferrytest"
)

// ferryBin is the ferry binary built once for the tests that run it as a
// process, stamped with testVersion and testCommit.
var ferryBin string

const (
	testVersion = "v9.9.9-test"
	testCommit  = "0123456789abcdef0123"
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ferry-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ferryBin, err = ferrytest.Build(dir, "-X main.version="+testVersion+" -X main.commit="+testCommit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "build ferry:", err)
		return 1
	}
	return m.Run()
}
