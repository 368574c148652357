//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// flock locks belong to an open file, so a second lockDataDir in the same
// process conflicts with the first just as another process would.
func TestLockDataDirExcludesAndReleases(t *testing.T) {
	dir := t.TempDir()
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(os.Getpid())
	if b, _ := os.ReadFile(filepath.Join(dir, "LOCK")); string(b) != pid+"\n" {
		t.Errorf("LOCK holds %q, want our pid %s", b, pid)
	}

	_, err = lockDataDir(dir)
	var locked *lockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second lock: %v, want a *lockedError", err)
	}
	for _, want := range []string{dir, "pid " + pid, "--data-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err != nil || len(b) != 0 {
		t.Errorf("released LOCK = %q, %v; want it kept, empty", b, err)
	}
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if err := again.release(); err != nil {
		t.Fatal(err)
	}
}

func TestLockDataDirReplacesStalePid(t *testing.T) {
	// A crashed node leaves its pid behind but no lock.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock over a stale LOCK file: %v", err)
	}
	defer l.release()
	if b, _ := os.ReadFile(filepath.Join(dir, "LOCK")); string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("LOCK holds %q, want only our pid", b)
	}
}

func TestLockDataDirMissingFolder(t *testing.T) {
	_, err := lockDataDir(filepath.Join(t.TempDir(), "absent"))
	var locked *lockedError
	if err == nil || errors.As(err, &locked) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock in a missing folder: %v, want a not-exist error", err)
	}
}

func TestHolderWithoutPid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := holder(path); got != "pid unknown" {
		t.Errorf("holder of empty file = %q, want pid unknown", got)
	}
}
