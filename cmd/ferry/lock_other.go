//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import (
	"fmt"
	"runtime"
)

// dirLock is not implemented here: without flock(2), two nodes could
// write one data folder, so ferry refuses to start rather than risk it.
type dirLock struct{}

func lockDataDir(dir string) (*dirLock, error) {
	return nil, fmt.Errorf("data folder %s: locking is not supported on %s; ferry runs on Linux, macOS and the BSDs", dir, runtime.GOOS)
}

func (*dirLock) release() error { return nil }
