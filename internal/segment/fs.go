package segment

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FS is the file-system seam: the few operations the log needs, so that
// tests can swap in CrashFS to simulate power loss and I/O errors (lesson 4
// of STYLE.md; pebble's vfs.FS is the larger model).
type FS interface {
	MkdirAll(dir string) error
	// OpenFile opens name with os.O_* flags. The Log writes its segments
	// with File.WriteAt at offsets it tracks itself, so it never opens
	// them with os.O_APPEND (which WriteAt refuses).
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Remove(name string) error
	// Rename moves oldname to newname in the same directory, replacing
	// newname; like a creation it is durable once the directory is synced.
	Rename(oldname, newname string) error
	ReadDir(dir string) ([]string, error) // file names, sorted
	// SyncDir makes the directory's entries (files created and removed)
	// durable.
	SyncDir(dir string) error
}

// File is an open file. ReadAt must be safe to call concurrently with
// Write and with other ReadAt calls, as os.File's is.
type File interface {
	io.ReaderAt
	io.Writer
	io.WriterAt
	// Sync makes the file's data, and the size it needs to read it back,
	// durable (fdatasync).
	Sync() error
	Truncate(size int64) error
	Size() (int64, error)
	Close() error
}

// OSFS is the operating system's file system. Its File.Sync uses
// fdatasync on Linux: the log only ever needs the data and the file size,
// not timestamps, and fdatasync skips the extra inode write.
var OSFS FS = osFS{}

type osFS struct{}

func (osFS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

func (osFS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return d.Close()
}

type osFile struct{ *os.File }

func (f osFile) Sync() error { return fdatasync(f.File) }

func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
