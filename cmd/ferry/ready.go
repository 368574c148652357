package main

import (
	"errors"
	"sync/atomic"

	"github.com/ferrymq/ferry/internal/admin"
	"github.com/ferrymq/ferry/internal/store/diskstore"
)

// readiness is the part of /readyz that only serve knows: whether every
// front end has started (its listener bound and accepting) and none is
// shutting down yet. Admin starts last, so it can answer /readyz while
// serve has not yet marked the node ready: it then says so.
type readiness struct {
	state atomic.Int32 // readyStarting, readyUp or readyStopping
}

const (
	readyStarting = iota
	readyUp
	readyStopping
)

var (
	errStarting = errors.New("front ends still starting: not every listener accepts yet")
	errStopping = errors.New("shutting down: listeners are closing")
)

// err is admin.Config.Ready.
func (r *readiness) err() error {
	switch r.state.Load() {
	case readyUp:
		return nil
	case readyStopping:
		return errStopping
	}
	return errStarting
}

// markReady sets the state of every admin front end among comps, the
// ones whose /readyz reads it.
func markReady(comps []component, state int32) {
	for _, c := range comps {
		if a, ok := c.(*adminFrontEnd); ok {
			a.ready.state.Store(state)
		}
	}
}

// storeStats adapts the disk store's figures to admin's type.
func storeStats(ds *diskstore.Store) func() admin.StoreStats {
	return func() admin.StoreStats {
		st := ds.Stats()
		return admin.StoreStats{Bytes: st.Bytes, Segments: st.Segments, FsyncTime: st.FsyncTime, FsyncRecords: st.FsyncRecords, Err: st.Err}
	}
}
