package diskstore

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/hist"
	"github.com/ferrymq/ferry/internal/segment"
	"github.com/ferrymq/ferry/internal/store"
)

// Options configure a Store. The zero value is usable: OS files, 64 MiB
// segments, sync=always, compaction below half live.
type Options struct {
	FS          segment.FS       // nil means segment.OSFS
	SegmentSize int64            // 0 means segment's default (64 MiB)
	Sync        segment.SyncMode // default SyncAlways
	Interval    time.Duration    // fsync period for SyncInterval
	// CompactRatio: a sealed segment whose live bytes fall below this
	// share of its size is compacted. 0 means 0.5; negative disables
	// compaction (empty segments are still deleted).
	CompactRatio float64
	// Preallocate writes each busy log's next segment ahead of time
	// (segment.Options.Preallocate).
	Preallocate bool
	Logger      *slog.Logger // nil means slog.Default()
}

// Store is a directory of queue logs. It implements store.Store.
type Store struct {
	// Set by Open, then read-only:
	dir    string
	opts   Options
	logger *slog.Logger

	// fsyncs over every log of the store (Stats): safe for concurrent use.
	fsyncTime, fsyncRecords *hist.Atomic
	// recentUsed is the data held by every log's recent cache, against
	// recentBudget.
	recentUsed atomic.Int64

	mu     sync.Mutex
	logs   map[string]*Log          // open logs by name. Guarded by mu.
	busy   map[string]chan struct{} // names being opened, closed or removed; closed when done. Guarded by mu.
	closed bool                     // guarded by mu
}

// logsDir holds one directory of segment files per queue.
const logsDir = "log"

// Open opens the store in dir, creating it if needed. Logs are opened,
// and their files read, by Store.Open.
func Open(dir string, opts Options) (*Store, error) {
	if opts.FS == nil {
		opts.FS = segment.OSFS
	}
	if opts.CompactRatio == 0 {
		opts.CompactRatio = 0.5
	}
	// At 1 or more a segment could qualify again right after being
	// compacted, since live bytes are estimated.
	if !(opts.CompactRatio < 1) {
		return nil, fmt.Errorf("diskstore: CompactRatio %v: want below 1", opts.CompactRatio)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{
		dir:    filepath.Clean(dir),
		opts:   opts,
		logger: opts.Logger.With("component", "diskstore"),
		logs:   make(map[string]*Log),
		busy:   make(map[string]chan struct{}),

		fsyncTime:    hist.NewAtomic(FsyncTimeLayout),
		fsyncRecords: hist.NewAtomic(FsyncRecordsLayout),
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Open opens the log called name, creating it if needed, and rebuilds its
// index from its files. An open log is returned as is.
func (s *Store) Open(name string) (store.Log, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, store.ErrClosed
		}
		if l := s.logs[name]; l != nil {
			s.mu.Unlock()
			return l, nil
		}
		if ch := s.busy[name]; ch != nil {
			s.mu.Unlock()
			<-ch
			continue
		}
		ch := make(chan struct{})
		s.busy[name] = ch
		s.mu.Unlock()

		l, err := s.openLog(name)

		s.mu.Lock()
		delete(s.busy, name)
		close(ch)
		if err == nil && s.closed {
			err = errors.Join(store.ErrClosed, l.close())
		}
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.logs[name] = l
		s.mu.Unlock()
		return l, nil
	}
}

// openLog opens (creating if needed) the files of the log called name.
func (s *Store) openLog(name string) (*Log, error) {
	dir, err := s.prepare(name)
	if err != nil {
		return nil, err
	}
	l := &Log{
		name:    name,
		store:   s,
		logger:  s.logger.With("queue", name),
		ratio:   s.opts.CompactRatio,
		meta:    make(map[uint64]store.Meta),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	l.seg, err = segment.Open(dir, segment.Options{
		FS:          s.opts.FS,
		SegmentSize: s.opts.SegmentSize,
		Sync:        s.opts.Sync,
		Interval:    s.opts.Interval,
		Base:        l.lastID.Load,
		Logger:      l.logger,
		OnSync:      s.observeSync,
		Preallocate: s.opts.Preallocate,
	})
	if err != nil {
		return nil, fmt.Errorf("queue %q: %w", name, err)
	}
	if err := l.load(); err != nil {
		l.seg.Close()
		return nil, err
	}
	go l.run()
	l.signal()
	return l, nil
}

// closeLog closes l and forgets it, unless Close or Remove got there
// first.
func (s *Store) closeLog(l *Log) error {
	s.mu.Lock()
	if s.logs[l.name] != l {
		s.mu.Unlock()
		return l.close() // already closed: a no-op
	}
	delete(s.logs, l.name)
	ch := make(chan struct{})
	s.busy[l.name] = ch
	s.mu.Unlock()

	err := l.close()

	s.mu.Lock()
	delete(s.busy, l.name)
	close(ch)
	s.mu.Unlock()
	return err
}

// Remove closes the log called name, if open, and deletes its files.
func (s *Store) Remove(name string) error {
	for {
		s.mu.Lock()
		if ch := s.busy[name]; ch != nil {
			s.mu.Unlock()
			<-ch
			continue
		}
		l := s.logs[name]
		delete(s.logs, name)
		ch := make(chan struct{})
		s.busy[name] = ch
		s.mu.Unlock()

		var err error
		if l != nil {
			err = l.close()
		}
		err = errors.Join(err, s.remove(name))

		s.mu.Lock()
		delete(s.busy, name)
		close(ch)
		s.mu.Unlock()
		return err
	}
}

// Close closes every open log. Later calls return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	logs := s.logs
	s.logs = make(map[string]*Log)
	s.mu.Unlock()
	var errs []error
	for _, l := range logs {
		errs = append(errs, l.close())
	}
	// Wait for Log.Close and Remove calls still running, so that no file
	// is in use when Close returns.
	for {
		s.mu.Lock()
		var ch chan struct{}
		for _, c := range s.busy {
			ch = c
			break
		}
		s.mu.Unlock()
		if ch == nil {
			return errors.Join(errs...)
		}
		<-ch
	}
}
