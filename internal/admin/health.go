package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrymq/ferry/internal/diskfree"
)

// addHealthRoutes registers the probes. They need no credentials, as a
// load balancer's or Kubernetes' probe has none, and they reveal nothing
// but whether the node works.
func (s *Server) addHealthRoutes() {
	s.handle(http.MethodGet, "/healthz", false, s.healthz)
	s.handle(http.MethodGet, "/readyz", false, s.readyz)
}

// healthz answers 200 "ok" while the process serves HTTP: a liveness
// probe, which must not fail for what a restart would not cure (a full
// disk, a listener that is still starting).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ params) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("ok\n"))
}

// readyJSON is /readyz's answer: every check by name, "ok" or why not,
// and on 503 the failures joined in reason.
type readyJSON struct {
	Status string            `json:"status"` // "ready" or "not_ready"
	Reason string            `json:"reason,omitempty"`
	Checks map[string]string `json:"checks"`
}

// readyz answers 200 when the node can take traffic: the broker is open,
// every configured listener accepts (Config.Ready), no queue's store is
// in its sticky error state (after a failed write or fsync it refuses
// appends until a restart), and the data folder's file system has at
// least Config.DiskFreeLimit bytes free. Otherwise 503, naming what
// failed.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request, _ params) {
	checks := map[string]error{
		"broker":    s.brokerReady(),
		"listeners": nil,
		"store":     s.storeReady(),
		"disk":      s.diskReady(),
	}
	if s.cfg.Ready != nil {
		checks["listeners"] = s.cfg.Ready()
	}
	out := readyJSON{Status: "ready", Checks: map[string]string{}}
	var failed []string
	for _, name := range []string{"broker", "listeners", "store", "disk"} {
		err := checks[name]
		if err == nil {
			out.Checks[name] = "ok"
			continue
		}
		out.Checks[name] = err.Error()
		failed = append(failed, name+": "+err.Error())
	}
	if len(failed) > 0 {
		out.Status, out.Reason = "not_ready", strings.Join(failed, "; ")
		writeJSON(w, http.StatusServiceUnavailable, out)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) brokerReady() error {
	if s.broker.Closed() {
		return errors.New("the broker is closed")
	}
	return nil
}

// storeReady reports the first sticky store error: the disk store's, or
// that of any queue's log (memory logs included).
func (s *Server) storeReady() error {
	if s.cfg.Store != nil {
		if err := s.cfg.Store().Err; err != nil {
			return fmt.Errorf("the store refuses writes: %w", err)
		}
	}
	for _, vh := range s.broker.VHosts() {
		for _, q := range s.broker.Queues(vh) {
			if q.Stats.Err != nil {
				return fmt.Errorf("queue '%s' in vhost '%s' refuses writes: %w", q.Name, vh, q.Stats.Err)
			}
		}
	}
	return nil
}

// diskReady checks the disk watermark, the same limit that raises the
// AMQP disk alarm and blocks publishers.
func (s *Server) diskReady() error {
	if s.cfg.DataDir == "" || s.cfg.DiskFreeLimit <= 0 {
		return nil
	}
	free, err := diskfree.Available(s.cfg.DataDir)
	switch {
	case errors.Is(err, diskfree.ErrUnsupported):
		return nil // cannot tell here: as with the disk alarm, stay up
	case err != nil:
		return fmt.Errorf("cannot read the free space of the data folder: %w", err)
	}
	if free < uint64(s.cfg.DiskFreeLimit) {
		return fmt.Errorf("%d bytes free in %s, below the disk-free-limit of %d", free, s.cfg.DataDir, s.cfg.DiskFreeLimit)
	}
	return nil
}
