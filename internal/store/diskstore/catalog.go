package diskstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferrymq/ferry/internal/segment"
)

// The catalog: which logs exist. A log exists while its marker file does
// (<dir>/q<escaped> or <dir>/h<hash>); its segments live in
// <dir>/log/<marker name>/. Creating the marker (synced, with its
// directory) is the moment a log comes into being, and removing it the
// moment a log is gone, so a crash halfway through either leaves at most
// files without a marker, which nothing reads and the next creation of
// that log, or the next Open of the store, deletes. Markers are plain
// files because segment.FS lists only files (CrashFS does not model
// directories).

// init creates the store's directories and deletes what interrupted
// removals left.
func (s *Store) init() error {
	fsys := s.opts.FS
	// One at a time: CrashFS's MkdirAll makes only the directory named.
	for _, d := range []string{s.dir, filepath.Join(s.dir, logsDir)} {
		if err := fsys.MkdirAll(d); err != nil {
			return fmt.Errorf("diskstore: create %s: %w", d, err)
		}
	}
	if err := fsys.SyncDir(s.dir); err != nil {
		return fmt.Errorf("diskstore: sync %s: %w", s.dir, err)
	}
	markers, err := fsys.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("diskstore: list %s: %w", s.dir, err)
	}
	// Only an OS directory lists subdirectories; CrashFS's list is empty.
	dirs, err := fsys.ReadDir(filepath.Join(s.dir, logsDir))
	if err != nil {
		return fmt.Errorf("diskstore: list %s: %w", logsDir, err)
	}
	for _, d := range dirs {
		if _, found := slices.BinarySearch(markers, d); found {
			continue
		}
		s.logger.Warn("diskstore: deleting files of a log whose creation or removal was interrupted", "dir", d)
		if err := s.clearLogDir(d); err != nil {
			return err
		}
	}
	return nil
}

// prepare makes sure the log called name exists and returns the directory
// of its segments.
func (s *Store) prepare(name string) (string, error) {
	fsys := s.opts.FS
	base, hashed := dirName(name)
	dir := filepath.Join(s.dir, logsDir, base)
	marker := filepath.Join(s.dir, base)
	content, err := readFile(fsys, marker)
	switch {
	case err == nil && hashed && string(content) != name && strings.HasPrefix(name, string(content)):
		// A marker torn by a crash while it was created: the log never
		// held anything, since segments are made only after it is synced.
		s.logger.Warn("diskstore: recreating torn queue marker", "file", base)
	case err == nil && hashed && string(content) != name:
		return "", fmt.Errorf("queue %q: marker %s names %q: hash collision or damage", name, base, content)
	case err == nil:
		return dir, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("queue %q: read marker: %w", name, err)
	}
	// A new log. Files left by an interrupted removal are not its own.
	if err := s.clearLogDir(base); err != nil {
		return "", err
	}
	if err := fsys.MkdirAll(dir); err != nil {
		return "", fmt.Errorf("queue %q: create %s: %w", name, dir, err)
	}
	if err := fsys.SyncDir(filepath.Join(s.dir, logsDir)); err != nil {
		return "", fmt.Errorf("queue %q: sync %s: %w", name, logsDir, err)
	}
	var data []byte
	if hashed {
		data = []byte(name)
	}
	if err := writeFile(fsys, marker, data); err != nil {
		return "", fmt.Errorf("queue %q: create marker: %w", name, err)
	}
	if err := fsys.SyncDir(s.dir); err != nil {
		return "", fmt.Errorf("queue %q: sync %s: %w", name, s.dir, err)
	}
	return dir, nil
}

// remove deletes the log called name, which is not open: first its marker
// (after which it no longer exists), then its files.
func (s *Store) remove(name string) error {
	fsys := s.opts.FS
	base, _ := dirName(name)
	marker := filepath.Join(s.dir, base)
	err := fsys.Remove(marker)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("queue %q: remove marker: %w", name, err)
	}
	if err == nil {
		if err := fsys.SyncDir(s.dir); err != nil {
			return fmt.Errorf("queue %q: sync %s: %w", name, s.dir, err)
		}
	}
	return s.clearLogDir(base)
}

// clearLogDir deletes the files of log directory base and, where the FS
// can, the directory itself.
func (s *Store) clearLogDir(base string) error {
	fsys := s.opts.FS
	dir := filepath.Join(s.dir, logsDir, base)
	files, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("diskstore: list %s: %w", dir, err)
	}
	for _, f := range files {
		if err := fsys.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("diskstore: remove %s: %w", filepath.Join(dir, f), err)
		}
	}
	if len(files) > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return fmt.Errorf("diskstore: sync %s: %w", dir, err)
		}
	}
	// An empty directory is harmless; segment.FS has no rmdir, but the OS
	// one removes empty directories.
	if err := fsys.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.logger.Debug("diskstore: could not remove empty log directory", "dir", dir, "err", err)
	}
	return nil
}

// Names lists the logs in the store, sorted.
func (s *Store) Names() ([]string, error) {
	entries, err := s.opts.FS.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("diskstore: list %s: %w", s.dir, err)
	}
	var names []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e, escapedPrefix):
			name, err := unescape(e)
			if err != nil {
				s.logger.Warn("diskstore: ignoring file with a bad queue name", "file", e, "err", err)
				continue
			}
			names = append(names, name)
		case strings.HasPrefix(e, hashedPrefix):
			content, err := readFile(s.opts.FS, filepath.Join(s.dir, e))
			if err != nil || !checkHashed(e, string(content)) {
				s.logger.Warn("diskstore: ignoring queue marker that does not name its queue", "file", e, "err", err)
				continue
			}
			names = append(names, string(content))
		}
	}
	slices.Sort(names)
	return names, nil
}

// readFile returns the content of a small file.
func readFile(fsys segment.FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

// writeFile creates name with data and syncs it.
func writeFile(fsys segment.FS, name string, data []byte) error {
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
