package segment

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"
)

// flushLoop is the flusher goroutine, the log's only writer. It runs one
// round per wake-up: Append kicks it when the pending batch becomes
// non-empty, the ticker asks for an fsync under SyncInterval, and Close
// asks for a last round.
func (l *Log) flushLoop() {
	defer close(l.flusherDone)
	var tick <-chan time.Time
	if l.opts.Sync == SyncInterval {
		tick = l.opts.testTick
		if tick == nil {
			t := time.NewTicker(l.opts.Interval)
			defer t.Stop()
			tick = t.C
		}
	}
	for {
		select {
		case <-l.kick:
			l.flush(false)
		case <-tick:
			l.flush(true)
		case <-l.quit:
			// Close set l.closed first, so pending holds every append there
			// will be.
			l.flush(true)
			return
		}
	}
}

// flushResult is what writeBatch got done.
type flushResult struct {
	written int        // spans wholly in their files
	ok      int        // waiters whose records are done
	sealed  []*segment // segments left behind and fsynced
	err     error      // the first write or sync error
}

// flush runs one group commit: swap the pending batch out, write it,
// fsync as the mode asks (always if syncAll), publish the new file ends,
// and call the waiters in order. After a write or sync error it does no
// more I/O and only fails waiters.
func (l *Log) flush(syncAll bool) {
	l.mu.Lock()
	if l.err != nil {
		failed, err := l.takeWaitersLocked(), l.err
		l.mu.Unlock()
		for _, w := range failed {
			w(err)
		}
		return
	}
	b := l.pending
	if b.empty() && !(syncAll && l.cur != nil && l.cur.dirty) {
		l.mu.Unlock()
		return
	}
	l.pending, l.spare = l.spare, nil
	l.flushing = b
	syncAll = syncAll || b.syncReq
	l.mu.Unlock()

	r := l.writeBatch(b, syncAll)
	if r.err == nil {
		l.maybePrepare()
	}

	l.mu.Lock()
	for _, sp := range b.spans[:r.written] {
		sp.seg.written = sp.fileOff + int64(sp.end-sp.start)
	}
	for _, s := range r.sealed {
		s.durable = true
	}
	l.flushing = nil
	var failed []func(error)
	if r.err != nil {
		if l.err == nil {
			l.err = r.err
			l.log.Error("segment: write failed; the log accepts no more appends", "err", r.err)
		}
		failed = l.takeWaitersLocked()
	}
	err := l.err
	l.mu.Unlock()

	for _, w := range b.waiters[:r.ok] {
		w(nil)
	}
	for _, w := range b.waiters[r.ok:] {
		w(err)
	}
	for _, w := range failed {
		w(err)
	}
	b.reset()
	l.spare = b
	if r.ok > 1 {
		l.letAppendersIn()
	}
}

// letAppendersIn yields the processor while the pending batch keeps
// growing. The callbacks just woke appenders that will append again at
// once; if the next round swapped the batch right away it would take the
// few quickest and leave the rest a whole fsync behind, so batches would
// alternate small and large and halve throughput. It waits on progress,
// never on time, and gives up after a few rounds without any.
func (l *Log) letAppendersIn() {
	last := -1
	for range 64 {
		runtime.Gosched()
		l.mu.Lock()
		n := len(l.pending.waiters)
		l.mu.Unlock()
		if n == last {
			return
		}
		last = n
	}
}

// takeWaitersLocked empties the pending batch (its records will never be
// written: the log failed) and returns its waiters.
func (l *Log) takeWaitersLocked() []func(error) {
	failed := slices.Clone(l.pending.waiters)
	l.pending.reset()
	return failed
}

// writeBatch writes b's spans in order. Moving to another segment first
// fsyncs the one before (sealing it) and creates the new file. Waiters
// become done after their span is written or, when needSync, after the
// fsync that covers it.
func (l *Log) writeBatch(b *batch, syncAll bool) (r flushResult) {
	needSync := syncAll || l.opts.Sync == SyncAlways
	okAfterSync := 0 // waiters the next fsync of l.cur makes done
	for i := range b.spans {
		sp := &b.spans[i]
		if sp.seg != l.cur {
			if l.cur != nil {
				if r.err = l.trimCur(); r.err != nil {
					return r
				}
				if r.err = l.syncCur(); r.err != nil {
					return r
				}
				r.sealed = append(r.sealed, l.cur)
				r.ok = okAfterSync
			}
			if r.err = l.createFile(sp.seg); r.err != nil {
				return r
			}
			l.cur = sp.seg
		}
		if sp.end > sp.start {
			if _, err := sp.seg.f.WriteAt(b.buf[sp.start:sp.end], sp.fileOff); err != nil {
				r.err = fmt.Errorf("segment %d: write %d bytes at offset %d: %w", sp.seg.seq, sp.end-sp.start, sp.fileOff, err)
				return r
			}
			l.cur.fileEnd = sp.fileOff + int64(sp.end-sp.start)
			l.cur.dirty = true
			l.unsynced += sp.records
		}
		r.written = i + 1
		okAfterSync = sp.wEnd
		if !needSync {
			r.ok = sp.wEnd
		}
	}
	if needSync && l.cur != nil {
		if r.err = l.syncCur(); r.err != nil {
			return r
		}
		r.ok = okAfterSync
	}
	return r
}

// trimCur cuts the preallocated zeros off the flusher's current segment,
// which is about to be sealed, so that a sealed segment ends at its last
// record; the fsync that seals it makes the new size durable.
func (l *Log) trimCur() error {
	if l.cur.alloc <= l.cur.fileEnd {
		l.cur.alloc, l.cur.stale = 0, false
		l.setAllocated(0, 0)
		return nil
	}
	if err := l.cur.f.Truncate(l.cur.fileEnd); err != nil {
		return fmt.Errorf("segment %d: truncate preallocated space at offset %d: %w", l.cur.seq, l.cur.fileEnd, err)
	}
	l.cur.alloc, l.cur.stale = 0, false
	l.setAllocated(0, 0)
	l.cur.dirty = true
	return nil
}

// syncCur fsyncs the flusher's current segment if it has unsynced writes.
func (l *Log) syncCur() error {
	if !l.cur.dirty {
		return nil
	}
	start := time.Now()
	if err := l.cur.f.Sync(); err != nil {
		return fmt.Errorf("segment %d: fdatasync: %w", l.cur.seq, err)
	}
	if l.opts.OnSync != nil {
		l.opts.OnSync(l.unsynced, time.Since(start))
	}
	l.unsynced = 0
	l.cur.dirty = false
	return nil
}

// createFile creates seg's file if the flusher has not yet, and fsyncs the
// directory so the file survives a power cut before any record in it is
// reported done. Only the flusher sets seg.f, so it may read it unlocked.
func (l *Log) createFile(seg *segment) error {
	if seg.f != nil {
		return nil
	}
	var f File
	if p := l.takePrepared(); p != nil {
		l.spareBytes.Add(-p.size) // renamed into place, or deleted below
		// Rename would replace a file of that name where O_EXCL refuses
		// to: check first (one writer per directory, so nothing races).
		if old, err := l.fs.OpenFile(seg.path, os.O_RDONLY, 0); err == nil {
			old.Close()
			p.f.Close()
			_ = l.fs.Remove(p.path)
			l.doneRecycled(p)
			return fmt.Errorf("segment %d: create: %s already exists", seg.seq, seg.path)
		}
		// The new name exists once the directory is synced below; until
		// then a crash leaves the prepared name, which Open removes.
		if err := l.fs.Rename(p.path, seg.path); err != nil {
			l.log.Warn("segment: could not use the preallocated segment; creating one", "seg", seg.seq, "err", err)
			p.f.Close()
			_ = l.fs.Remove(p.path)
		} else {
			f, seg.alloc, seg.stale = p.f, p.size, p.recycled
			l.setAllocated(seg.seq, p.size)
		}
		l.doneRecycled(p)
	}
	if f == nil {
		var err error
		if f, err = l.fs.OpenFile(seg.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			return fmt.Errorf("segment %d: create: %w", seg.seq, err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		return fmt.Errorf("segment %d: sync directory after create: %w", seg.seq, err)
	}
	l.mu.Lock()
	seg.f = f
	l.mu.Unlock()
	return nil
}
