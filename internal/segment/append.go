package segment

import (
	"fmt"
	"math"
)

// batch is one buffer of the two-buffer swap: framed bytes waiting for the
// flusher, with the callbacks to run once they are written (and, by sync
// mode, fsynced). Its memory is reused from round to round, so an Append
// allocates nothing.
type batch struct {
	buf     []byte
	spans   []span // consecutive runs of buf, one per segment, in order
	waiters []func(error)
	// syncReq asks for an fsync at the end of this batch whatever the
	// sync mode (Sync was called).
	syncReq bool
}

// span is the part of a batch that goes to one segment: buf[start:end] is
// written at fileOff, and waiters[wStart:wEnd] wait for it.
type span struct {
	seg          *segment
	fileOff      int64
	start, end   int
	wStart, wEnd int
	records      int // records framed in buf[start:end] (a header is none)
}

func (b *batch) empty() bool { return len(b.spans) == 0 }

// reset empties b for reuse. A buffer that grew past maxKeptBuffer (a
// burst, or one huge record) is dropped so it does not pin memory.
func (b *batch) reset() {
	const maxKeptBuffer = 8 << 20
	if cap(b.buf) > maxKeptBuffer {
		b.buf = nil
	}
	b.buf = b.buf[:0]
	clear(b.spans) // drop segment pointers
	b.spans = b.spans[:0]
	clear(b.waiters) // drop callbacks
	b.waiters = b.waiters[:0]
	b.syncReq = false
}

// spanFor returns the batch's last span, starting a new one if that
// is not for seg.
func (b *batch) spanFor(seg *segment) *span {
	if n := len(b.spans); n > 0 && b.spans[n-1].seg == seg {
		return &b.spans[n-1]
	}
	b.spans = append(b.spans, span{
		seg: seg, fileOff: seg.size,
		start: len(b.buf), end: len(b.buf),
		wStart: len(b.waiters), wEnd: len(b.waiters),
	})
	return &b.spans[len(b.spans)-1]
}

// Append queues a copy of payload and returns its position at once. done,
// if not nil, runs exactly once on the flusher goroutine, in append order:
// with nil when the record is as durable as the sync mode promises
// (SyncAlways: after the fsync that covers it; SyncInterval and SyncNone:
// after write(2) handed it to the OS), or with the error that stopped it.
// done must not block for long: the next group commit waits for it.
//
// If Append returns an error (ErrTooLarge, ErrClosed, the sticky error),
// the record was not queued and done is not called.
//
// Rotation to a new segment happens here when the record would not fit;
// Options.Base is called then. On a log that was not scanned, Append first
// scans it (discarding the records) so that it writes in the right place.
func (l *Log) Append(payload []byte, done func(error)) (Pos, error) {
	if len(payload) > MaxRecordSize {
		return Pos{}, fmt.Errorf("segment: append %d bytes (max %d): %w", len(payload), MaxRecordSize, ErrTooLarge)
	}
	crc := frameCRC(payload) // outside the lock
	l.mu.Lock()
	if !l.scanned && !l.closed && l.err == nil {
		l.mu.Unlock()
		if err := l.scanOnce(nil); err != nil {
			return Pos{}, err
		}
		l.mu.Lock()
	}
	defer l.mu.Unlock()
	if l.closed {
		return Pos{}, ErrClosed
	}
	if l.err != nil {
		return Pos{}, l.err
	}
	wasEmpty := l.pending.empty()
	frame := int64(FrameHeaderSize + len(payload))
	if l.active == nil || (l.active.size > HeaderSize && l.active.size+frame > l.opts.SegmentSize) {
		if err := l.rotateLocked(); err != nil {
			return Pos{}, err
		}
	}
	seg := l.active
	pos := Pos{Seg: seg.seq, Off: uint32(seg.size)}
	b := l.pending
	sp := b.spanFor(seg)
	b.buf = appendFrame(b.buf, payload, crc, seg.salt)
	sp.end = len(b.buf)
	seg.size += frame
	sp.records++
	if done != nil {
		b.waiters = append(b.waiters, done)
		sp.wEnd = len(b.waiters)
	}
	if wasEmpty {
		l.kickFlusher()
	}
	return pos, nil
}

// rotateLocked makes a new active segment. Its header goes into the
// pending batch; the flusher creates the file when it gets there, after
// fsyncing the segment before it.
func (l *Log) rotateLocked() error {
	if l.nextSeq == math.MaxUint64 {
		return fmt.Errorf("segment: sequence numbers exhausted")
	}
	seq := l.nextSeq
	var base uint64
	if l.opts.Base != nil {
		base = l.opts.Base()
	}
	h := header{Seq: seq, Base: base, Version: formatVersion}
	seg := &segment{seq: seq, base: base, salt: h.salt(), path: l.path(seq)}
	b := l.pending
	sp := b.spanFor(seg) // fileOff 0: size is still 0
	hdr := encodeHeader(h)
	b.buf = append(b.buf, hdr[:]...)
	sp.end = len(b.buf)
	seg.size = HeaderSize
	l.nextSeq++
	l.segs = append(l.segs, seg)
	l.active = seg
	return nil
}

// kickFlusher wakes the flusher without blocking; a wake-up already
// queued covers this one too.
func (l *Log) kickFlusher() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Sync writes and fsyncs everything appended so far, whatever the sync
// mode, and returns when that is done.
func (l *Log) Sync() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.err != nil || !l.scanned || l.active == nil {
		// Before the scan nothing was appended in this session: there is
		// nothing to sync, and no flusher to ask.
		err := l.err
		l.mu.Unlock()
		return err
	}
	ch := make(chan error, 1)
	wasEmpty := l.pending.empty()
	b := l.pending
	sp := b.spanFor(l.active)
	b.waiters = append(b.waiters, func(err error) { ch <- err })
	sp.wEnd = len(b.waiters)
	b.syncReq = true
	if wasEmpty {
		l.kickFlusher()
	}
	l.mu.Unlock()
	return <-ch
}
