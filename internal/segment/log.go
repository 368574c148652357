package segment

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Pos names a record: its segment and the offset of its frame in the
// segment file.
type Pos struct {
	Seg uint64
	Off uint32
}

// SegmentInfo describes one segment of the log.
type SegmentInfo struct {
	Seq  uint64
	Base uint64 // Options.Base at creation
	Size int64  // bytes appended so far, including ones not yet written
}

// Log is a segmented append-only log with a single writer. All methods are
// safe for concurrent use.
type Log struct {
	dir  string
	fs   FS
	opts Options
	log  *slog.Logger

	// scanMu serialises the one-time scan (Scan, or the implicit one in
	// Append). Taken before mu, never while holding it.
	scanMu sync.Mutex

	mu sync.Mutex
	// segs are the log's segments by Seq; the last is the active one when
	// active is not nil. Guarded by mu.
	segs []*segment
	// active is where Append writes; nil until the first segment exists,
	// or when the highest-numbered file had a bad header. Guarded by mu.
	active *segment
	// nextSeq numbers the next segment. Guarded by mu.
	nextSeq uint64
	// pending collects appends for the flusher's next round; flushing is
	// the batch the flusher is writing now (nil when idle). ReadAt reads
	// records from them until they are in the file. Guarded by mu.
	pending, flushing *batch
	// scanned is set once the segments were read and the tail cut, which
	// starts the flusher. Guarded by mu.
	scanned bool
	// closed is set when Close begins. Guarded by mu.
	closed bool
	// err is the sticky write error. Guarded by mu.
	err error

	kick        chan struct{} // capacity 1: the pending batch became non-empty
	quit        chan struct{} // closed by Close
	flusherDone chan struct{} // closed when the flusher returns

	// Owned by the flusher goroutine (set before it starts):
	spare    *batch   // the other buffer of the two-buffer swap
	cur      *segment // the segment the flusher last wrote to
	unsynced int      // records written to cur since its last fsync, for Options.OnSync
	// Preallocation (prealloc.go): a preparer is running, its result once
	// collected, and the channel it reports on (capacity 1).
	preparing bool
	ready     *prepared
	prepCh    chan *prepared
	// prepFailed is set by a preparer that failed: no more tries.
	prepFailed atomic.Bool

	// recycleMu guards the file of a removed segment kept for reuse
	// (recycle.go); recycleBusy, set while recycleName is in use by a
	// file on its way (a Remove preparing it, or the flusher holding it
	// before the rename into place); and recycleClosed, set by Close: no
	// more are kept.
	recycleMu     sync.Mutex
	recycled      *prepared
	recycleBusy   bool
	recycleClosed bool

	// Bytes on disk beyond the records, for DiskBytes: spare files
	// (prepared or kept for reuse), and the file size of the segment the
	// flusher writes into when that file was made in full beforehand
	// (nil when it is not, or once it is sealed).
	spareBytes atomic.Int64
	allocated  atomic.Pointer[allocation]

	// removing counts Removes past their closed check, which Close waits
	// for: a Remove preparing a file for reuse touches the directory.
	removing sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// segment is one file of the log.
type segment struct {
	seq  uint64
	base uint64
	salt uint32 // XORed into every frame's CRC (header.salt)
	path string

	// Guarded by Log.mu:
	f       File  // nil until the flusher creates the file; never replaced
	size    int64 // logical end: header and every record appended, written or not
	written int64 // bytes in the file; records below this are read from it
	durable bool  // sealed and fsynced (or found on disk sealed): Remove may delete it

	// Owned by the flusher goroutine (set by Scan before it starts):
	dirty   bool  // written since the last fsync
	fileEnd int64 // end of the records in the file, where the next write goes
	alloc   int64 // file size when the file was made in full beforehand (prepared or reused), else 0
	stale   bool  // what lies past fileEnd is an earlier segment's bytes (reused file), not zeros
}

// Open opens the log in dir, creating dir if missing. It reads the segment
// headers; Scan (or the first Append) reads the records and cuts a torn
// tail.
func Open(dir string, opts Options) (*Log, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Log{
		dir:         filepath.Clean(dir),
		fs:          opts.FS,
		opts:        opts,
		log:         opts.Logger.With("component", "segment", "dir", dir),
		nextSeq:     1,
		pending:     &batch{},
		spare:       &batch{},
		kick:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
		flusherDone: make(chan struct{}),
		prepCh:      make(chan *prepared, 1),
	}
	if err := l.fs.MkdirAll(l.dir); err != nil {
		return nil, fmt.Errorf("segment: create %s: %w", dir, err)
	}
	if err := l.removeStrayPrepared(preallocName, recycleName); err != nil {
		return nil, err
	}
	if err := l.loadSegments(); err != nil {
		for _, s := range l.segs {
			s.f.Close()
		}
		return nil, err
	}
	return l, nil
}

// loadSegments opens every segment file and checks its header (see "Where
// valid data ends" in doc.go). It runs before anyone else sees l.
func (l *Log) loadSegments() error {
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("segment: list %s: %w", l.dir, err)
	}
	var seqs []uint64 // ascending, since names are sorted and fixed-width
	for _, name := range names {
		if seq, ok := parseSegmentName(name); ok {
			seqs = append(seqs, seq)
		}
	}
	// A torn creation at the end held nothing: remove it.
	for len(seqs) > 0 {
		last := seqs[len(seqs)-1]
		torn, size, err := l.tornCreation(last)
		if err != nil {
			return err
		}
		if !torn {
			break
		}
		path := l.path(last)
		l.log.Warn("segment: removing segment file that was created but never synced",
			"seg", last, "file", path, "offset", 0, "cut", size)
		if err := l.fs.Remove(path); err != nil {
			return fmt.Errorf("segment %d: remove torn file: %w", last, err)
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("segment %d: sync dir after removing torn file: %w", last, err)
		}
		seqs = seqs[:len(seqs)-1]
	}
	for i, seq := range seqs {
		l.nextSeq = seq + 1
		last := i == len(seqs)-1
		s, err := l.openSegment(seq, last)
		if err != nil {
			return err
		}
		if s != nil {
			l.segs = append(l.segs, s)
			if last {
				l.active = s
			}
		}
	}
	return nil
}

// tornCreation reports whether segment seq's file is shorter than a
// header or starts with a header of zeros.
func (l *Log) tornCreation(seq uint64) (bool, int64, error) {
	f, err := l.fs.OpenFile(l.path(seq), os.O_RDONLY, 0)
	if err != nil {
		return false, 0, fmt.Errorf("segment %d: open: %w", seq, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return false, 0, fmt.Errorf("segment %d: size: %w", seq, err)
	}
	if size < HeaderSize {
		return true, size, nil
	}
	var b [HeaderSize]byte
	if err := readFull(f, b[:], 0); err != nil {
		return false, 0, fmt.Errorf("segment %d: read header: %w", seq, err)
	}
	return b == [HeaderSize]byte{}, size, nil
}

// openSegment opens segment seq (for appending if it is the last) and
// checks its header. A bad header is logged and the file left alone: it
// returns nil, nil.
func (l *Log) openSegment(seq uint64, last bool) (*segment, error) {
	path := l.path(seq)
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR
	}
	f, err := l.fs.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("segment %d: open: %w", seq, err)
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("segment %d: size: %w", seq, err)
	}
	var b [HeaderSize]byte
	var h header
	if err = readFull(f, b[:min(size, HeaderSize)], 0); err == nil {
		h, err = decodeHeader(b[:min(size, HeaderSize)])
	}
	if err == nil && h.Seq != seq {
		err = fmt.Errorf("header names segment %d: %w", h.Seq, ErrCorrupt)
	}
	if err != nil {
		f.Close()
		if !errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("segment %d: read header: %w", seq, err)
		}
		l.log.Error("segment: bad segment header; file kept and left out of the log",
			"seg", seq, "file", path, "size", size, "err", err)
		return nil, nil
	}
	return &segment{seq: seq, base: h.Base, salt: h.salt(), path: path, f: f, size: size, written: size, durable: !last}, nil
}

func (l *Log) path(seq uint64) string { return filepath.Join(l.dir, segmentName(seq)) }

// Segments lists the log's segments sorted by Seq; the last is the active
// one.
func (l *Log) Segments() []SegmentInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]SegmentInfo, len(l.segs))
	for i, s := range l.segs {
		out[i] = SegmentInfo{Seq: s.seq, Base: s.base, Size: s.size}
	}
	return out
}

// allocation is the size of a segment's file made in full beforehand.
type allocation struct {
	seq  uint64
	size int64
}

// setAllocated records the file size of segment seq, made in full
// beforehand, for DiskBytes; size 0 forgets it.
func (l *Log) setAllocated(seq uint64, size int64) {
	if size <= 0 {
		l.allocated.Store(nil)
		return
	}
	l.allocated.Store(&allocation{seq: seq, size: size})
}

// DiskBytes is how many bytes the log's files take: its segments, the
// space made beforehand after the last records of the one being written,
// and the spare files (prealloc.go, recycle.go: a zero-filled one and a
// removed segment's can both be waiting).
func (l *Log) DiskBytes() int64 {
	a := l.allocated.Load()
	l.mu.Lock()
	var n int64
	for _, s := range l.segs {
		n += s.size
		if a != nil && s.seq == a.seq {
			n += max(0, a.size-s.size)
		}
	}
	l.mu.Unlock()
	return n + l.spareBytes.Load()
}

// findLocked returns segment seq or nil.
func (l *Log) findLocked(seq uint64) *segment {
	lo, hi := 0, len(l.segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.segs[m].seq < seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(l.segs) && l.segs[lo].seq == seq {
		return l.segs[lo]
	}
	return nil
}

// Err returns the sticky write error, or nil while the log is healthy.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close writes and fsyncs what was appended, stops the flusher and closes
// the files. It returns the sticky error if the log failed, now or
// before. Later calls return the same result.
func (l *Log) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.close() })
	return l.closeErr
}

func (l *Log) close() error {
	l.mu.Lock()
	l.closed = true
	started := l.scanned
	l.mu.Unlock()
	l.removing.Wait() // no new one starts: closed is set
	if started {
		close(l.quit)
		<-l.flusherDone // the flusher drains and fsyncs on its way out
	}
	prepErr := errors.Join(l.dropPrepared(), l.dropRecycled())
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := []error{l.err}
	if prepErr != nil {
		l.log.Warn("segment: could not remove the spare segment file", "err", prepErr)
	}
	if started && l.err == nil {
		if err := l.trimStale(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range l.segs {
		if s.f != nil {
			if err := s.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("segment %d: close: %w", s.seq, err))
			}
		}
	}
	return errors.Join(errs...)
}
