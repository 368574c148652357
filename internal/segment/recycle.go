package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Recycling removed segments (Options.Preallocate): why and how.
//
// A prepared segment (prealloc.go) costs a second write of every byte: the
// zeros, then the records over them. A log whose old segments are removed
// as fast as new ones fill (a queue whose consumers keep up) can instead
// reuse the file of a removed segment, whose blocks are already written:
// Remove renames it to recycleName instead of deleting it, and the next
// rotation renames it into place as it would a prepared file. No zeros are
// written, and the file system neither frees nor allocates (nor discards)
// the blocks.
//
// The file still holds the old segment's records. Two things keep them
// from ever being read as records of the new one:
//   - version 2 frames XOR a salt made from the segment's number into
//     their CRC (format.go), so a frame of the old segment fails the CRC
//     check in the new one and ends its data as a torn tail does;
//   - the old header is zeroed and fsynced before the file is offered
//     for reuse, so a crash after the rename into place but before the
//     new header reached the disk leaves a header of zeros: a torn
//     creation, removed at Open, as for a new file.
// What follows the last record of a recycled active segment is cut at
// Open (quietly, when it frames as an older segment's record: it is the
// file's old life, not damage), and cut on a clean Close, since only
// all-zero space is kept after the last record (prealloc.go says why).
//
// One removed segment is kept for reuse per log; more are deleted, as are
// files smaller than half a segment.

// recycleName is the file a removed segment waits under to be reused. It
// does not parse as a segment name; Open removes it.
const recycleName = "recycle.seg.tmp"

// recycle offers the file of seg, removed from l.segs and closed, for
// reuse. It reports false when it did not take the file, which the caller
// then deletes; with true the segment's name is gone (and the directory
// synced, err says if not).
//
// The file's I/O (rename, directory sync, header wipe and its fsync) runs
// without recycleMu, which the flusher takes after every group commit:
// recycling sets recycleBusy for the time, so the name is not taken twice.
func (l *Log) recycle(seg *segment) (bool, error) {
	if !l.opts.Preallocate || l.opts.testNoRecycle || seg.size < l.opts.SegmentSize/2 {
		return false, nil
	}
	l.recycleMu.Lock()
	if l.recycleClosed || l.recycled != nil || l.recycleBusy {
		l.recycleMu.Unlock()
		return false, nil
	}
	l.recycleBusy = true
	l.recycleMu.Unlock()
	p, kept, err := l.keepForReuse(seg)
	l.recycleMu.Lock()
	defer l.recycleMu.Unlock()
	l.recycleBusy = false
	switch {
	case p == nil:
	case l.recycleClosed:
		// Close ran meanwhile and will not look again.
		err = errors.Join(err, p.f.Close(), l.fs.Remove(p.path))
	default:
		l.recycled = p
		l.spareBytes.Add(p.size)
	}
	return kept, err
}

// keepForReuse renames seg's file to recycleName and wipes its header (see
// recycle). It returns the file ready for reuse, or nil (then the
// segment's file was deleted, unless kept is false).
func (l *Log) keepForReuse(seg *segment) (p *prepared, kept bool, err error) {
	path := filepath.Join(l.dir, recycleName)
	if err := l.fs.Rename(seg.path, path); err != nil {
		l.log.Warn("segment: could not keep a removed segment for reuse; deleting it", "seg", seg.seq, "err", err)
		return nil, false, nil
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		_ = l.fs.Remove(path)
		return nil, true, fmt.Errorf("segment %d: sync directory after remove: %w", seg.seq, err)
	}
	p, err = l.wipeHeader(path)
	if err != nil {
		l.log.Warn("segment: could not prepare a removed segment for reuse; deleting it", "seg", seg.seq, "err", err)
		if rerr := l.fs.Remove(path); rerr != nil {
			l.log.Warn("segment: could not delete the file kept for reuse", "file", path, "err", rerr)
		}
		return nil, true, nil
	}
	return p, true, nil
}

// wipeHeader opens the file at path for writing, overwrites its header
// with zeros and fsyncs it.
func (l *Log) wipeHeader(path string) (*prepared, error) {
	f, err := l.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	var zero [HeaderSize]byte
	size, err := f.Size()
	if err == nil {
		_, err = f.WriteAt(zero[:], 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &prepared{path: path, f: f, size: size, recycled: true}, nil
}

// takeRecycled returns the file kept for reuse, if there is one. Until
// the flusher calls doneRecycled (once the file was renamed into place or
// deleted) no other is kept: it would take the same name.
func (l *Log) takeRecycled() *prepared {
	l.recycleMu.Lock()
	defer l.recycleMu.Unlock()
	p := l.recycled
	if p != nil {
		// No Remove is preparing one while a file is kept.
		l.recycled, l.recycleBusy = nil, true
	}
	return p
}

// doneRecycled frees the name of a file takeRecycled returned.
func (l *Log) doneRecycled(p *prepared) {
	if !p.recycled {
		return
	}
	l.recycleMu.Lock()
	defer l.recycleMu.Unlock()
	l.recycleBusy = false
}

// dropRecycled deletes the file kept for reuse and takes no more. Close
// calls it.
func (l *Log) dropRecycled() error {
	l.recycleMu.Lock()
	defer l.recycleMu.Unlock()
	l.recycleClosed = true
	p := l.recycled
	l.recycled = nil
	if p == nil {
		return nil
	}
	l.spareBytes.Add(-p.size)
	return errors.Join(p.f.Close(), l.fs.Remove(p.path))
}

// trimStale cuts the bytes of an earlier life after the last record of
// the active segment, if it is a recycled file, so that a reopen after a
// clean Close finds nothing to cut. Called by close after the flusher
// returned, so it owns the flusher's fields.
func (l *Log) trimStale() error {
	s := l.cur
	if s == nil || !s.stale || s.alloc <= s.fileEnd {
		return nil
	}
	if err := s.f.Truncate(s.fileEnd); err != nil {
		return fmt.Errorf("segment %d: truncate recycled space at offset %d: %w", s.seq, s.fileEnd, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("segment %d: fdatasync after truncating recycled space: %w", s.seq, err)
	}
	s.alloc, s.stale = 0, false
	l.setAllocated(0, 0)
	return nil
}
