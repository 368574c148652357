package segment

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// ReadAt returns a copy of the payload of the record at pos, checking its
// length and CRC (a mismatch wraps ErrCorrupt). It works for every record
// Append returned a Pos for, including ones the flusher has not written
// yet: those are copied from its buffers.
func (l *Log) ReadAt(pos Pos) ([]byte, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	seg := l.findLocked(pos.Seg)
	if seg == nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("segment %d: read at offset %d: no such segment", pos.Seg, pos.Off)
	}
	off := int64(pos.Off)
	if off < HeaderSize || off+FrameHeaderSize > seg.size {
		l.mu.Unlock()
		return nil, fmt.Errorf("segment %d: read at offset %d: outside records [%d, %d)", pos.Seg, off, HeaderSize, seg.size)
	}
	if off >= seg.written {
		p, err := l.readBufferedLocked(seg, off)
		l.mu.Unlock()
		return p, err
	}
	// The file's first seg.written bytes never change, so it can be read
	// without the lock.
	f, limit, salt := seg.f, seg.written, seg.salt
	l.mu.Unlock()

	// One read takes the header and, for most records, the whole payload
	// (a message is usually far smaller than readAhead); only a longer
	// record needs a second read for its rest. Half the syscalls of
	// reading the header first. The read goes into a pooled scratch
	// buffer and the payload is copied out at its own size: returning a
	// slice of a fresh readAhead-sized buffer made every 1 KiB delivery
	// allocate (and keep alive) 4 KiB.
	scratch := readScratch.Get().(*[FrameHeaderSize + readAhead]byte)
	defer readScratch.Put(scratch)
	buf := scratch[:min(limit-off, FrameHeaderSize+readAhead)]
	if err := readFull(f, buf, off); err != nil {
		return nil, fmt.Errorf("segment %d: read frame at offset %d: %w", pos.Seg, off, err)
	}
	hdr := buf[:FrameHeaderSize]
	n, err := frameLen(hdr)
	if err == nil && off+FrameHeaderSize+n > limit {
		err = fmt.Errorf("record of %d bytes runs past end of data (%d): %w", n, limit, ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("segment %d: offset %d: %w", pos.Seg, off, err)
	}
	var p []byte
	if have := int64(len(buf)) - FrameHeaderSize; n <= have {
		p = slices.Clone(buf[FrameHeaderSize : FrameHeaderSize+n])
	} else {
		p = make([]byte, n)
		copy(p, buf[FrameHeaderSize:])
		if err := readFull(f, p[have:], off+FrameHeaderSize+have); err != nil {
			return nil, fmt.Errorf("segment %d: read record at offset %d: %w", pos.Seg, off, err)
		}
	}
	if err := checkFrame(hdr, p, pos.Seg, salt); err != nil {
		return nil, fmt.Errorf("segment %d: offset %d: %w", pos.Seg, off, err)
	}
	return p, nil
}

// readAhead is how much of a record ReadAt reads with its header.
const readAhead = 4096

// readScratch holds ReadAt's read buffers.
var readScratch = sync.Pool{New: func() any { return new([FrameHeaderSize + readAhead]byte) }}

// readBufferedLocked copies the record at off from the batch being written
// or the one being filled.
func (l *Log) readBufferedLocked(seg *segment, off int64) ([]byte, error) {
	for _, b := range []*batch{l.flushing, l.pending} {
		if b == nil {
			continue
		}
		for _, sp := range b.spans {
			n := int64(sp.end - sp.start)
			if sp.seg != seg || off < sp.fileOff || off >= sp.fileOff+n {
				continue
			}
			frame := b.buf[sp.start+int(off-sp.fileOff) : sp.end]
			if len(frame) < FrameHeaderSize {
				return nil, fmt.Errorf("segment %d: offset %d: not a record boundary: %w", seg.seq, off, ErrCorrupt)
			}
			plen, err := frameLen(frame)
			if err == nil && int64(len(frame)) < FrameHeaderSize+plen {
				err = fmt.Errorf("record of %d bytes runs past buffered data: %w", plen, ErrCorrupt)
			}
			if err == nil {
				p := frame[FrameHeaderSize : FrameHeaderSize+plen]
				if err = checkFrame(frame, p, seg.seq, seg.salt); err == nil {
					return append([]byte(nil), p...), nil
				}
			}
			return nil, fmt.Errorf("segment %d: offset %d: %w", seg.seq, off, err)
		}
	}
	if l.err != nil {
		// The record was dropped when the log failed.
		return nil, fmt.Errorf("segment %d: offset %d never written: %w", seg.seq, off, l.err)
	}
	return nil, fmt.Errorf("segment %d: offset %d: not found in write buffers", seg.seq, off)
}

// Remove takes sealed segment seq out of the log: it deletes the file, or
// with Options.Preallocate keeps it for reuse (recycle.go), and fsyncs the
// directory. The active segment cannot be removed. If seq was sealed so
// recently that the flusher has not yet fsynced it, Remove first waits for
// that (via Sync). Close waits for a Remove under way.
func (l *Log) Remove(seq uint64) error {
	for synced := false; ; synced = true {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return ErrClosed
		}
		seg := l.findLocked(seq)
		switch {
		case seg == nil:
			l.mu.Unlock()
			return fmt.Errorf("segment %d: remove: no such segment", seq)
		case seg == l.active:
			l.mu.Unlock()
			return fmt.Errorf("segment %d: remove: it is the active segment", seq)
		case !seg.durable && !synced:
			l.mu.Unlock()
			if err := l.Sync(); err != nil {
				return fmt.Errorf("segment %d: remove: wait for seal: %w", seq, err)
			}
			continue
		case !seg.durable:
			l.mu.Unlock()
			return fmt.Errorf("segment %d: remove: still being written", seq)
		}
		i := slices.Index(l.segs, seg)
		l.segs = slices.Delete(l.segs, i, i+1)
		l.removing.Add(1) // under mu, after the closed check: Close waits
		l.mu.Unlock()
		defer l.removing.Done()
		return l.removeFile(seg)
	}
}

// removeFile closes and deletes a segment that is no longer in l.segs.
func (l *Log) removeFile(seg *segment) error {
	var errs []error
	if seg.f != nil {
		if err := seg.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("segment %d: close: %w", seg.seq, err))
		}
	}
	if kept, err := l.recycle(seg); kept {
		return errors.Join(append(errs, err)...)
	}
	if err := l.fs.Remove(seg.path); err != nil {
		return errors.Join(append(errs, fmt.Errorf("segment %d: remove: %w", seg.seq, err))...)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		errs = append(errs, fmt.Errorf("segment %d: sync directory after remove: %w", seg.seq, err))
	}
	return errors.Join(errs...)
}

// readFull reads len(p) bytes at off. io.ReaderAt may report io.EOF along
// with a full read at the end of the file; that is success here.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
