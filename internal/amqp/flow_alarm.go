package amqp

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrymq/ferry/internal/amqp/wire"
)

// alarmSet is the set of resource alarms that are on.
type alarmSet uint32

const (
	alarmMemory alarmSet = 1 << iota
	alarmDisk
)

// reason is connection.blocked's reason text, RabbitMQ's wording: "low on
// memory", "low on disk", or "low on memory & disk".
func (a alarmSet) reason() string {
	var parts []string
	if a&alarmMemory != 0 {
		parts = append(parts, "memory")
	}
	if a&alarmDisk != 0 {
		parts = append(parts, "disk")
	}
	return "low on " + strings.Join(parts, " & ")
}

// alarms is the server's resource alarm state and what samples it.
type alarms struct {
	// Set by NewServer, read-only afterwards.
	probe     Probe
	memHigh   uint64 // bytes; 0: no memory alarm
	diskLimit uint64 // bytes; 0: no disk alarm
	dataDir   string

	// sampleMu serialises samples (the ticker's and SampleResources'),
	// so that each compares against the one before.
	sampleMu sync.Mutex
	diskErr  bool // guarded by sampleMu; the last disk reading failed

	active atomic.Uint32 // the alarmSet in on, for the readers' fast path

	mu      sync.Mutex
	on      alarmSet      // guarded by mu
	cleared chan struct{} // guarded by mu; closed when on goes back to 0
}

// enabled reports whether any watermark is set.
func (a *alarms) enabled() bool { return a.memHigh > 0 || a.diskLimit > 0 }

// SampleResources checks memory and disk against their watermarks now,
// raising or clearing the alarms; the server also does so every
// SampleInterval while it serves. It does nothing when no watermark is
// set.
func (s *Server) SampleResources() {
	a := &s.alarm
	if !a.enabled() {
		return
	}
	a.sampleMu.Lock()
	defer a.sampleMu.Unlock()
	a.mu.Lock()
	prev := a.on
	a.mu.Unlock()
	next := prev
	if a.memHigh > 0 {
		used := a.probe.MemoryInUse()
		on := used >= a.memHigh
		if on != (prev&alarmMemory != 0) {
			next ^= alarmMemory
			attrs := []any{slog.Uint64("in_use", used), slog.Uint64("watermark", a.memHigh)}
			if on {
				s.logger.Warn("memory alarm on: publishing connections are blocked", attrs...)
			} else {
				s.logger.Info("memory alarm cleared", attrs...)
			}
		}
	}
	if a.diskLimit > 0 {
		free, err := a.probe.DiskFree(a.dataDir)
		switch {
		case err != nil:
			// Keep the alarm as it was: an unreadable disk is no reason
			// to block or unblock anyone. Said once per failure spell.
			if !a.diskErr {
				s.logger.Warn("cannot read free disk space; disk alarm unchanged", slog.String("dir", a.dataDir), slog.Any("err", err))
			}
			a.diskErr = true
		default:
			a.diskErr = false
			on := free < a.diskLimit
			if on != (prev&alarmDisk != 0) {
				next ^= alarmDisk
				attrs := []any{slog.String("dir", a.dataDir), slog.Uint64("free", free), slog.Uint64("limit", a.diskLimit)}
				if on {
					s.logger.Warn("disk alarm on: publishing connections are blocked", attrs...)
				} else {
					s.logger.Info("disk alarm cleared", attrs...)
				}
			}
		}
	}
	if next != prev {
		s.setAlarms(next)
	}
}

// setAlarms makes next the alarms that are on. When the first goes on,
// every connection that has published is told connection.blocked; when
// the last clears, those told are told connection.unblocked and the held
// readers go on. A connection that publishes for the first time while an
// alarm is on is told by its own reader (alarmHold).
func (s *Server) setAlarms(next alarmSet) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	a := &s.alarm
	a.mu.Lock()
	defer a.mu.Unlock()
	prev := a.on
	a.on = next
	a.active.Store(uint32(next))
	switch {
	case prev == 0 && next != 0:
		a.cleared = make(chan struct{})
		for _, c := range conns {
			if c.flow.publisher.Load() {
				c.setBlockedLocked(true, next.reason())
			}
		}
	case prev != 0 && next == 0:
		close(a.cleared)
		a.cleared = nil
		for _, c := range conns {
			c.setBlockedLocked(false, "")
		}
	}
}

// alarmHold returns, if an alarm holds c's reader, a channel closed when
// the alarms clear; nil if c may read on. It tells c's client that it is
// blocked, if nobody has yet.
func (s *Server) alarmHold(c *conn) <-chan struct{} {
	a := &s.alarm
	if a.active.Load() == 0 || !c.flow.publisher.Load() {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.on == 0 {
		return nil
	}
	c.setBlockedLocked(true, a.on.reason())
	return a.cleared
}

// setBlockedLocked sends connection.blocked (with reason) or
// connection.unblocked to c's client, if it announced the
// connection.blocked capability and was not told so already. Server's
// alarms.mu held: it orders what the connections are told as the alarm
// changed. Lock order: alarms.mu, then connFlow.mu, then outbox.mu.
//
// notified is looked at before blockedNotify: a connection still in its
// handshake (which sets blockedNotify) was never told it is blocked, so
// unblocking it stops there, and only connections that have published,
// after their handshake, are ever blocked.
func (c *conn) setBlockedLocked(blocked bool, reason string) {
	c.flow.mu.Lock()
	defer c.flow.mu.Unlock()
	if c.flow.notified == blocked || !c.blockedNotify {
		return
	}
	c.flow.notified = blocked
	if blocked {
		c.out.sendCtrl(&wire.ConnectionBlocked{Reason: reason})
	} else {
		c.out.sendCtrl(&wire.ConnectionUnblocked{})
	}
}

// startMonitor samples the resources every interval until stop is
// closed; done is closed when it has returned. The ticker is sampling,
// not synchronisation: readers wait on the alarm's channel.
func (s *Server) startMonitor(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		s.SampleResources()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.SampleResources()
			}
		}
	}()
}

// initAlarms sets the watermarks from the server's FlowConfig: a
// fractional memory watermark becomes bytes of MemoryLimit(), and the
// real probe is used unless one was given.
func (s *Server) initAlarms() {
	f := &s.cfg.Flow
	a := &s.alarm
	if f.MemoryHighWatermark > 0 {
		a.memHigh = uint64(f.MemoryHighWatermark)
	} else if f.MemoryHighWatermarkFraction > 0 {
		limit, err := MemoryLimit()
		if err != nil {
			s.logger.Warn("memory high watermark is a fraction of memory, which cannot be read; no memory alarm",
				slog.Float64("fraction", f.MemoryHighWatermarkFraction), slog.Any("err", err))
		} else {
			a.memHigh = uint64(float64(limit) * min(f.MemoryHighWatermarkFraction, 1))
		}
	}
	if f.DiskFreeLimit > 0 && f.DataDir != "" {
		a.diskLimit, a.dataDir = uint64(f.DiskFreeLimit), f.DataDir
	}
	a.probe = f.Probe
	if a.probe == nil {
		a.probe = newRuntimeProbe(a.memHigh)
	}
	if a.enabled() {
		s.logger.Info("resource alarms", slog.Uint64("memory_high_watermark", a.memHigh),
			slog.Uint64("disk_free_limit", a.diskLimit), slog.String("data_dir", a.dataDir))
	}
}
