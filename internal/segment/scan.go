package segment

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Scan calls fn for every valid record, segment by segment in order, and
// cuts a torn tail off the last segment (see doc.go). payload is only valid
// during fn. If fn returns an error, Scan stops and returns it, and the
// log stays unscanned. Call Scan at most once, before the first Append;
// afterwards it returns an error.
func (l *Log) Scan(fn func(pos Pos, payload []byte) error) error {
	if fn == nil {
		return errors.New("segment: Scan with nil fn")
	}
	return l.scanOnce(fn)
}

// scanOnce reads every segment, cuts the torn tail and starts the
// flusher. With fn nil (the implicit scan of Append) a log that is already
// scanned is not an error.
func (l *Log) scanOnce(fn func(Pos, []byte) error) error {
	l.scanMu.Lock()
	defer l.scanMu.Unlock()
	l.mu.Lock()
	scanned, closed, sticky := l.scanned, l.closed, l.err
	segs := slices.Clone(l.segs)
	active := l.active
	l.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case sticky != nil:
		return sticky
	case scanned && fn == nil:
		return nil
	case scanned:
		return errors.New("segment: Scan called twice, or after Append")
	}

	rd := bufio.NewReaderSize(nil, 256<<10)
	var payload []byte
	for _, s := range segs {
		// Until the scan ends nothing is appended, so s.size is the file
		// size read at Open.
		var segFn func(int64, []byte) error
		if fn != nil {
			segFn = func(off int64, p []byte) error { return fn(Pos{Seg: s.seq, Off: uint32(off)}, p) }
		}
		end, reason, err := scanSegment(s.f, s.size, s.seq, s.salt, rd, &payload, segFn)
		if err != nil {
			return fmt.Errorf("segment %d: scan: %w", s.seq, err)
		}
		if reason == nil {
			continue
		}
		if s == active {
			kept, err := l.keepZeros(s, end)
			if err != nil {
				return err
			}
			if kept {
				continue
			}
		} else {
			l.log.Error("segment: corrupt record in sealed segment; rest of segment skipped, bytes kept",
				"seg", s.seq, "file", s.path, "offset", end, "skipped", s.size-end, "err", reason)
			continue
		}
		if err := l.cutTail(s, end, reason); err != nil {
			return err
		}
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.scanned = true
	l.cur = l.active // before the flusher starts, so it owns cur from here
	if l.cur != nil {
		l.cur.fileEnd = l.cur.written
	}
	go l.flushLoop()
	return nil
}

// keepZeros keeps the space after the last record of the active segment
// s, which ends at end, when it is all zeros: a preallocated segment the
// log was writing into (prealloc.go). Appends go on over the zeros.
func (l *Log) keepZeros(s *segment, end int64) (bool, error) {
	zero, err := zeroTail(s.f, end, s.size)
	if err != nil {
		return false, fmt.Errorf("segment %d: read tail at offset %d: %w", s.seq, end, err)
	}
	if !zero {
		return false, nil
	}
	l.log.Debug("segment: preallocated space after the last record kept", "seg", s.seq, "offset", end, "zeros", s.size-end)
	l.mu.Lock()
	defer l.mu.Unlock()
	s.alloc = s.size
	l.setAllocated(s.seq, s.alloc)
	s.size, s.written = end, end
	return true, nil
}

// cutTail truncates the active segment s at end, the end of its last good
// record, and fsyncs it. A failure is sticky: the log cannot append after
// a tail it could not cut. A tail that begins with a record of an earlier
// segment is a recycled file's old life (recycle.go), not damage, and is
// cut without a WARN.
func (l *Log) cutTail(s *segment, end int64, reason error) error {
	if errors.Is(reason, errRecycled) {
		l.log.Debug("segment: earlier life of a recycled file cut after the last record",
			"seg", s.seq, "file", s.path, "offset", end, "cut", s.size-end)
	} else {
		l.log.Warn("segment: torn tail cut from last segment",
			"seg", s.seq, "file", s.path, "offset", end, "cut", s.size-end, "reason", reason)
	}
	err := s.f.Truncate(end)
	if err == nil {
		err = s.f.Sync()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.err = fmt.Errorf("segment %d: cut torn tail at offset %d: %w", s.seq, end, err)
		return l.err
	}
	s.size, s.written = end, end
	return nil
}

// scanSegment reads the frames of a segment file of the given size,
// starting after the header, and calls fn (if not nil) with each good
// record's frame offset and payload. It returns the end of the last good
// record and, if the data did not end cleanly there, why (wrapping
// ErrCorrupt). err is an I/O error or fn's error. *payload is a buffer
// reused between records and calls.
func scanSegment(r io.ReaderAt, size int64, seq uint64, salt uint32, rd *bufio.Reader, payload *[]byte, fn func(off int64, p []byte) error) (end int64, reason, err error) {
	off := int64(HeaderSize)
	if size <= off {
		return off, nil, nil
	}
	rd.Reset(io.NewSectionReader(r, off, size-off))
	var hdr [FrameHeaderSize]byte
	for off < size {
		if size-off < FrameHeaderSize {
			return off, fmt.Errorf("torn frame header: %d bytes left: %w", size-off, ErrCorrupt), nil
		}
		if _, err := io.ReadFull(rd, hdr[:]); err != nil {
			return off, nil, fmt.Errorf("read frame header at offset %d: %w", off, err)
		}
		if hdr == [FrameHeaderSize]byte{} {
			return off, fmt.Errorf("zeroed bytes where a record should start: %w", ErrCorrupt), nil
		}
		n, err := frameLen(hdr[:])
		if err != nil {
			return off, err, nil
		}
		if off+FrameHeaderSize+n > size {
			return off, fmt.Errorf("record of %d bytes runs past end of file (%d bytes left): %w",
				n, size-off-FrameHeaderSize, ErrCorrupt), nil
		}
		if int64(cap(*payload)) < n {
			*payload = make([]byte, n)
		}
		p := (*payload)[:n]
		if _, err := io.ReadFull(rd, p); err != nil {
			return off, nil, fmt.Errorf("read record at offset %d: %w", off, err)
		}
		if err := checkFrame(hdr[:], p, seq, salt); err != nil {
			return off, err, nil
		}
		if fn != nil {
			if err := fn(off, p); err != nil {
				return off, nil, err
			}
		}
		off += FrameHeaderSize + n
	}
	return off, nil, nil
}
