package amqp

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
)

func TestAlarmReason(t *testing.T) {
	for a, want := range map[alarmSet]string{
		alarmMemory:             "low on memory",
		alarmDisk:               "low on disk",
		alarmMemory | alarmDisk: "low on memory & disk",
	} {
		if got := a.reason(); got != want {
			t.Errorf("reason(%b) = %q, want %q", a, got, want)
		}
	}
}

func TestTicketFreesOnce(t *testing.T) {
	var f connFlow
	f.init()
	calls := 0
	a := f.admit(100, func(error) { calls++ })
	f.admit(50, nil)
	a.done(nil)
	a.done(nil) // the broker's done for an unroutable message, then ours
	a.free()
	if f.unstored.Load() != 1 || f.unstoredBytes.Load() != 50 {
		t.Fatalf("unstored %d messages, %d bytes; want 1, 50", f.unstored.Load(), f.unstoredBytes.Load())
	}
	if calls != 2 {
		t.Fatalf("next ran %d times, want 2 (it is idempotent itself)", calls)
	}
	cfg := FlowConfig{MaxUnstoredMessages: 1, MaxUnstoredBytes: 1000}
	if !f.full(&cfg) {
		t.Fatal("1 message in flight with a budget of 1 is not full")
	}
}

func TestMemTotal(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	n, err := memTotal(write("meminfo", "MemFree:  100 kB\nMemTotal:       16318440 kB\n"))
	if err != nil || n != 16318440<<10 {
		t.Fatalf("memTotal = %d, %v", n, err)
	}
	if _, err := memTotal(write("bad", "MemFree: 1 kB\n")); err == nil || !strings.Contains(err.Error(), "no MemTotal") {
		t.Fatalf("memTotal without the line: %v", err)
	}
	for text, want := range map[string]int64{"max\n": 0, "9223372036854771712\n": 0, "1073741824\n": 1 << 30} {
		n, ok := cgroupLimit(write("limit", text))
		if n != want || ok != (want > 0) {
			t.Errorf("cgroupLimit(%q) = %d, %v; want %d", text, n, ok, want)
		}
	}
	if _, ok := cgroupLimit(filepath.Join(dir, "missing")); ok {
		t.Error("cgroupLimit of a missing file reported a limit")
	}
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestRuntimeProbe: real readings are plausible, and a reading at the
// watermark with no collection since the last one is refreshed by one.
func TestRuntimeProbe(t *testing.T) {
	p := newRuntimeProbe(1) // everything is above one byte
	if used := p.MemoryInUse(); used == 0 {
		t.Fatal("MemoryInUse = 0")
	}
	before := gcCycles()
	p.MemoryInUse()
	if after := gcCycles(); after <= before {
		t.Fatalf("GC cycles %d → %d: no collection refreshed a reading above the watermark", before, after)
	}
	free, err := p.DiskFree(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("DiskFree = %d, %v", free, err)
	}
	if _, err := p.DiskFree(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("DiskFree of a missing folder did not fail")
	}
}

// flakyDisk is a Probe whose disk reading fails when err is set.
type flakyDisk struct {
	mu   sync.Mutex
	free uint64 // guarded by mu
	err  error  // guarded by mu
}

func (p *flakyDisk) MemoryInUse() uint64 { return 0 }

func (p *flakyDisk) DiskFree(string) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.free, p.err
}

func (p *flakyDisk) set(free uint64, err error) {
	p.mu.Lock()
	p.free, p.err = free, err
	p.mu.Unlock()
}

// TestDiskReadErrorKeepsAlarm: a failed statfs neither raises nor clears
// the disk alarm, and is logged once per spell of failures; changes of
// the alarm are logged with component=amqp.
func TestDiskReadErrorKeepsAlarm(t *testing.T) {
	var logs bytes.Buffer
	p := &flakyDisk{free: 10}
	s := NewServer(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Flow: FlowConfig{DiskFreeLimit: 100, DataDir: "data", Probe: p}})
	s.SampleResources()
	if !s.Stats().DiskAlarm {
		t.Fatal("10 bytes free under a 100 byte limit: no disk alarm")
	}
	p.set(1000, errors.New("statfs: input/output error"))
	s.SampleResources()
	s.SampleResources()
	if !s.Stats().DiskAlarm {
		t.Fatal("a failed reading cleared the disk alarm")
	}
	p.set(1000, nil)
	s.SampleResources()
	if s.Stats().DiskAlarm {
		t.Fatal("1000 bytes free: the disk alarm is still on")
	}
	out := logs.String()
	for text, n := range map[string]int{
		"cannot read free disk space": 1,
		"disk alarm on":               1,
		"disk alarm cleared":          1,
		"component=amqp":              4, // the three, and the watermarks at start
	} {
		if got := strings.Count(out, text); got != n {
			t.Errorf("%q logged %d times, want %d:\n%s", text, got, n, out)
		}
	}
}

// TestFractionalWatermark: a fraction of memory becomes bytes of
// MemoryLimit, and no watermark means no alarm at all.
func TestFractionalWatermark(t *testing.T) {
	limit, err := MemoryLimit()
	if err != nil {
		t.Skipf("no memory limit to read here: %v", err)
	}
	s := NewServer(Config{Logger: slog.New(slog.DiscardHandler), Flow: FlowConfig{MemoryHighWatermarkFraction: 0.5}})
	if want := uint64(limit / 2); s.alarm.memHigh != want {
		t.Fatalf("memory watermark %d, want half of %d", s.alarm.memHigh, limit)
	}
	s = NewServer(Config{Logger: slog.New(slog.DiscardHandler), Flow: FlowConfig{DiskFreeLimit: 1 << 20}})
	if s.alarm.enabled() {
		t.Fatal("a disk limit without a data folder turned an alarm on")
	}
}
