package admin

import (
	"github.com/ferrymq/ferry/internal/diskfree"
	"github.com/ferrymq/ferry/internal/hist"
)

// StoreStats is the durable store as admin shows it: the disk store's
// figures, in admin's own type so that admin does not import a store
// engine (cmd/ferry copies diskstore.Stats into it).
type StoreStats struct {
	Bytes    int64 // in segment files, live or not
	Segments int   // segment files
	// FsyncTime (nanoseconds) and FsyncRecords (records per fsync) are
	// counted over every fsync since start.
	FsyncTime    hist.Counts
	FsyncRecords hist.Counts
	Err          error // a log's sticky error: the store refuses writes
}

// storeJSON is /api/overview's "ferry_store".
type storeJSON struct {
	Bytes       int64   `json:"bytes"`
	Segments    int     `json:"segments"`
	DataDirFree *uint64 `json:"data_dir_free_bytes"` // null when no data dir is known or statfs failed
}

// storeOverview fills ferry_store: the store's figures (0 without a disk
// store) and the free space of the data folder's file system.
func (s *Server) storeOverview() storeJSON {
	var out storeJSON
	if s.cfg.Store != nil {
		st := s.cfg.Store()
		out.Bytes, out.Segments = st.Bytes, st.Segments
	}
	if s.cfg.DataDir != "" {
		if free, err := diskfree.Available(s.cfg.DataDir); err == nil {
			out.DataDirFree = &free
		}
	}
	return out
}
