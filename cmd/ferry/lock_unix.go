//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockedError means another process holds the data folder's lock.
type lockedError struct {
	dir, path string
	holder    string // "pid 123", or "pid unknown"
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("data folder %s is in use by another ferry (%s, lock file %s); stop it or use another --data-dir",
		e.dir, e.holder, e.path)
}

// dirLock is an exclusive flock(2) on <data>/LOCK, held for the life of
// the node so that two nodes never write the same logs. The kernel drops
// it when the process dies, however it dies, so a crash leaves no stale
// lock to clean up. The file holds the holder's pid, for the message the
// next process prints; it is truncated, never deleted, on release:
// deleting it would let a process that opened the old file and one that
// creates a new one both "hold" a lock.
type dirLock struct {
	path string
	f    *os.File
}

// lockDataDir takes the lock of dir, which must exist. If another process
// holds it, the error is a *lockedError naming dir and that pid.
func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &lockedError{dir: dir, path: path, holder: holder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if _, err := f.WriteAt(pid, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	return &dirLock{path: path, f: f}, nil
}

// holder describes the process named in a held lock file.
func holder(path string) string {
	b, err := os.ReadFile(path)
	pid := strings.TrimSpace(string(b))
	if err != nil || pid == "" {
		// The holder has the lock but has not written its pid yet.
		return "pid unknown"
	}
	return "pid " + pid
}

// release empties the lock file and unlocks it. Closing the file would
// drop the lock too; unlocking first says so explicitly.
func (l *dirLock) release() error {
	errT := l.f.Truncate(0)
	errU := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	errC := l.f.Close()
	if err := errors.Join(errT, errU, errC); err != nil {
		return fmt.Errorf("release %s: %w", l.path, err)
	}
	return nil
}
