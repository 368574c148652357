package segment

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// The CrashFS model is what every crash test trusts, so it gets tests of
// its own.

func crashCreate(t *testing.T, c *CrashFS, name string, data string) File {
	t.Helper()
	f, err := c.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCrashFSForgetsUnsyncedCreate(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	f := crashCreate(t, c, "/d/a", "data")
	f.Sync() // content synced, directory entry not
	c.Crash()
	if names, _ := c.ReadDir("/d"); len(names) != 0 {
		t.Fatalf("file created without SyncDir survived: %v", names)
	}
}

func TestCrashFSKeepsSyncedContentOnly(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	f := crashCreate(t, c, "/d/a", "synced")
	c.SyncDir("/d")
	f.Sync()
	f.Write([]byte("+lost"))
	if got, _ := c.ReadFile("/d/a"); string(got) != "synced+lost" {
		t.Fatalf("before crash: %q", got)
	}
	c.Crash()
	if got, _ := c.ReadFile("/d/a"); string(got) != "synced" {
		t.Fatalf("after crash: %q, want the synced part", got)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("a handle from before the crash still writes")
	}
}

func TestCrashFSTruncateThenCrash(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	f := crashCreate(t, c, "/d/a", "0123456789")
	c.SyncDir("/d")
	f.Sync()
	f.Truncate(3)
	f.Write([]byte("abc"))
	c.CrashTorn(rand.New(rand.NewPCG(1, 1)))
	if got, _ := c.ReadFile("/d/a"); string(got) != "0123456789" {
		t.Fatalf("unsynced truncate survived the crash: %q", got)
	}
}

func TestCrashFSRemoveComesBack(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	f := crashCreate(t, c, "/d/a", "x")
	f.Sync()
	c.SyncDir("/d")
	c.Remove("/d/a")
	if names, _ := c.ReadDir("/d"); len(names) != 0 {
		t.Fatalf("removed file listed: %v", names)
	}
	c.Crash()
	if got, err := c.ReadFile("/d/a"); err != nil || string(got) != "x" {
		t.Fatalf("removal without SyncDir should be undone: %q %v", got, err)
	}
}

// TestCrashFSTorn checks that a torn crash keeps the synced bytes and a
// prefix of the appended ones (or zeros where the prefix ends), and that
// over many seeds it keeps none, some and all of them.
func TestCrashFSTorn(t *testing.T) {
	var sawNone, sawSome, sawAll, sawZeros bool
	for seed := range uint64(200) {
		c := NewCrashFS()
		c.MkdirAll("/d")
		f := crashCreate(t, c, "/d/a", "synced:")
		c.SyncDir("/d")
		f.Sync()
		f.Write([]byte("appended-bytes"))
		c.CrashTorn(rand.New(rand.NewPCG(seed, 0)))
		got, _ := c.ReadFile("/d/a")
		full := "synced:appended-bytes"
		if len(got) < 7 || len(got) > len(full) || string(got[:7]) != "synced:" {
			t.Fatalf("seed %d: %q", seed, got)
		}
		tail := got[7:]
		trimmed := bytes.TrimRight(tail, "\x00")
		if string(trimmed) != full[7:7+len(trimmed)] {
			t.Fatalf("seed %d: torn part %q is not a prefix of the appended bytes", seed, tail)
		}
		switch {
		case len(tail) == 0:
			sawNone = true
		case len(tail) == len(full)-7 && len(trimmed) == len(tail):
			sawAll = true
		default:
			sawSome = true
		}
		if len(trimmed) < len(tail) {
			sawZeros = true
		}
		if n, _ := c.SyncedSize("/d/a"); n != int64(len(got)) {
			t.Fatalf("seed %d: after the reboot the surviving bytes are durable", seed)
		}
	}
	if !sawNone || !sawSome || !sawAll || !sawZeros {
		t.Fatalf("torn outcomes: none %v, some %v, all %v, zeros %v", sawNone, sawSome, sawAll, sawZeros)
	}
}

func TestCrashFSFailAfterAndCount(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	f := crashCreate(t, c, "/d/a", "x")
	c.FailAfter(OpSync, 2)
	if err := f.Sync(); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("second sync: %v, want ErrInjected", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("third sync: %v", err)
	}
	if n := c.Count(OpSync); n != 3 {
		t.Fatalf("Count(sync) = %d, want 3", n)
	}
	if n := c.Count(OpWrite); n != 1 {
		t.Fatalf("Count(write) = %d, want 1", n)
	}
}

func TestCrashFSOnOp(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	var seen []string
	boom := errors.New("boom")
	c.OnOp(func(op, name string) error {
		seen = append(seen, op+" "+name)
		if op == OpRemove {
			return boom
		}
		return nil
	})
	crashCreate(t, c, "/d/a", "x")
	if err := c.Remove("/d/a"); !errors.Is(err, boom) {
		t.Fatalf("Remove: %v, want the hook's error", err)
	}
	want := []string{"open /d/a", "write /d/a", "remove /d/a"}
	if !slices.Equal(seen, want) {
		t.Fatalf("hook saw %v, want %v", seen, want)
	}
	// A crash inside the hook kills the operation that called it.
	c.OnOp(func(op, _ string) error {
		if op == OpOpen {
			c.Crash()
		}
		return nil
	})
	if _, err := c.OpenFile("/d/b", os.O_RDWR|os.O_CREATE, 0o644); err == nil {
		t.Fatal("open that lost power succeeded")
	}
}

func TestCrashFSOpenFlags(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("/d")
	if _, err := c.OpenFile("/d/a", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open missing: %v", err)
	}
	crashCreate(t, c, "/d/a", "x")
	if _, err := c.OpenFile("/d/a", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on existing file: %v", err)
	}
	r, _ := c.OpenFile("/d/a", os.O_RDONLY, 0)
	if _, err := r.Write([]byte("y")); err == nil {
		t.Fatal("wrote through a read-only handle")
	}
	if _, err := c.OpenFile("/nodir/a", os.O_RDWR|os.O_CREATE, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create in a missing dir: %v", err)
	}
}
