package segment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Preallocation (Options.Preallocate): why and how.
//
// fdatasync of a file that grew must also write the file's new size and
// block map, a second I/O before the cache flush; one whose appends land
// in blocks that were already written needs only the data. On ext4 here
// that halves the time of the fsync that every SyncAlways confirm waits
// for (about 200 µs to 110 µs for a 44 KB batch). fallocate does not help:
// it leaves unwritten extents, whose conversion on first write is the same
// metadata update. So the next segment is written in full with zeros by a
// goroutine of its own, under preallocName, and fsynced, while the active
// segment fills; rotation renames it into place, and the flusher writes
// records over the zeros with WriteAt.
//
// Zero-filled space needs no marker in the format: zeros never frame
// as a record (the CRC-32C of an empty record is not 0), so the zeros
// after the last record end the data as a torn tail does. What differs is
// what happens to them:
//   - at rotation the old segment is truncated to its last record before
//     the fsync that seals it, so a sealed segment never ends in zeros;
//   - at Scan, a last segment whose bytes after the last good record are
//     all zeros keeps them (its appends go on over the zeros, fast);
//     anything else after the last record is a torn tail and is cut as
//     before. Keeping only all-zero space matters: leftover bytes of a
//     torn write could frame as a valid record after later, shorter ones.
//
// Only a busy log pays: the next segment is prepared once the active one
// holds preallocAfter of SegmentSize, so a queue that never fills an
// eighth of a segment has no second file. The cost is a spare file of
// about SegmentSize per busy log (two at times: a removed segment's kept
// while a file of zeros is being written) and, for a file of zeros, writing each
// segment's bytes twice; a log whose old segments are removed as it goes
// reuses their files instead (recycle.go) and writes nothing twice.

// preallocName is the file a segment is prepared under. It does not parse
// as a segment name, so a crash that leaves it behind leaves no segment;
// Open removes it.
const preallocName = "next.seg.tmp"

// preallocAfter: the next segment is prepared once the active one holds
// more than SegmentSize/preallocAfter bytes.
const preallocAfter = 8

// prepSyncEvery is how many bytes of zeros the preparer writes between
// fsyncs.
const prepSyncEvery = 4 << 20

// zeroChunk is written repeatedly to fill a prepared file.
var zeroChunk [1 << 20]byte

// prepared is a file of size bytes, fsynced, waiting to become the next
// segment: zero-filled, or a removed segment's with its header zeroed.
type prepared struct {
	path     string
	f        File
	size     int64
	recycled bool // a removed segment's file (recycle.go), not zeros
}

// maybePrepare starts the preparer for the next segment when the active
// one has filled past the threshold, and collects its result. Flusher
// goroutine only.
func (l *Log) maybePrepare() {
	if !l.opts.Preallocate || l.cur == nil || isClosed(l.quit) {
		return
	}
	l.collect(false)
	if l.preparing || l.ready != nil || l.cur.fileEnd <= l.opts.SegmentSize/preallocAfter {
		return
	}
	if l.ready = l.takeRecycled(); l.ready != nil || l.prepFailed.Load() {
		return
	}
	l.preparing = true
	go func() { l.prepCh <- l.prepare() }()
}

// prepare writes a zero-filled file of SegmentSize under preallocName and
// fsyncs it. It returns nil if Close began meanwhile or preparing failed;
// a failure is logged and turns preallocation off for this log (the
// writes that matter will report a failing disk themselves).
func (l *Log) prepare() *prepared {
	path := filepath.Join(l.dir, preallocName)
	p, err := l.preallocate(path)
	if err == nil {
		l.spareBytes.Add(p.size)
		return p
	}
	if p != nil {
		p.f.Close()
	}
	if rerr := l.fs.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if !errors.Is(err, errPrepAborted) {
		l.log.Warn("segment: could not preallocate the next segment; appends go on without", "file", path, "err", err)
		l.prepFailed.Store(true)
	}
	return nil
}

var errPrepAborted = errors.New("segment: log closing")

func (l *Log) preallocate(path string) (*prepared, error) {
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	p := &prepared{path: path, f: f, size: l.opts.SegmentSize}
	for off := int64(0); off < p.size; off += int64(len(zeroChunk)) {
		select {
		case <-l.quit:
			return p, errPrepAborted
		default:
		}
		n := min(int64(len(zeroChunk)), p.size-off)
		if _, err := f.WriteAt(zeroChunk[:n], off); err != nil {
			return p, fmt.Errorf("write zeros at offset %d: %w", off, err)
		}
		// Sync as it goes, so that the disk gets the zeros in bursts of
		// prepSyncEvery rather than all of a segment at once, which held
		// the log's own fsyncs behind it for tens of milliseconds.
		if end := off + n; end%prepSyncEvery == 0 || end == p.size {
			if err := f.Sync(); err != nil {
				return p, fmt.Errorf("fdatasync: %w", err)
			}
		}
	}
	return p, nil
}

// takePrepared returns the prepared file for the segment being created,
// if the preparer has finished it. It does not wait: on a disk that is
// saturated, the preparer (writing a whole segment of zeros while the
// active one takes the rest of its records) can finish late, and waiting
// would hold every confirm behind it. The segment is then a plain file,
// and the prepared one (it is not tied to a sequence number) serves the
// next rotation. Flusher goroutine only.
func (l *Log) takePrepared() *prepared {
	l.collect(l.opts.testWaitPrepared)
	p := l.ready
	l.ready = nil
	if p == nil {
		p = l.takeRecycled()
	}
	return p
}

// collect takes the preparer's result into ready if it has finished,
// or, with wait, once it has.
func (l *Log) collect(wait bool) {
	if !l.preparing {
		return
	}
	if wait {
		l.ready = <-l.prepCh
		l.preparing = false
		return
	}
	select {
	case p := <-l.prepCh:
		l.preparing, l.ready = false, p
	default:
	}
}

// dropPrepared waits for a running preparer (it stops early once quit is
// closed) and removes the file it made. Called by close after the flusher
// returned, so it owns the flusher's fields.
func (l *Log) dropPrepared() error {
	l.collect(true)
	p := l.ready
	l.ready = nil
	if p == nil {
		return nil
	}
	defer l.doneRecycled(p)
	l.spareBytes.Add(-p.size)
	return errors.Join(p.f.Close(), l.fs.Remove(p.path))
}

// removeStrayPrepared deletes the spare files (prepared or kept for
// reuse) a crash left behind.
func (l *Log) removeStrayPrepared(names ...string) error {
	for _, name := range names {
		err := l.fs.Remove(filepath.Join(l.dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("segment: remove %s: %w", name, err)
		}
	}
	return nil
}

// zeroTail reports whether bytes [from, size) of r are all zeros.
func zeroTail(r io.ReaderAt, from, size int64) (bool, error) {
	var buf [64 << 10]byte
	for off := from; off < size; {
		n := min(int64(len(buf)), size-off)
		if err := readFull(r, buf[:n], off); err != nil {
			return false, err
		}
		if !allZero(buf[:n]) {
			return false, nil
		}
		off += n
	}
	return true, nil
}

func allZero(b []byte) bool {
	for len(b) >= len(zeroChunk) {
		if !bytes.Equal(b[:len(zeroChunk)], zeroChunk[:]) {
			return false
		}
		b = b[len(zeroChunk):]
	}
	return bytes.Equal(b, zeroChunk[:len(b)])
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
