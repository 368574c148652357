package amqp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/ferrymq/ferry/internal/diskfree"
)

// Probe reads what the resource alarms watch. The server calls it from
// one goroutine at a time.
type Probe interface {
	// MemoryInUse returns the bytes of memory the broker holds, as the
	// memory high watermark counts them.
	MemoryInUse() uint64
	// DiskFree returns the bytes free for unprivileged use on the file
	// system that holds dir.
	DiskFree(dir string) (uint64, error)
}

// runtimeProbe is the real Probe: the Go runtime's memory, through
// runtime/metrics, and statfs.
//
// Memory in use is the live heap as the last garbage collection marked
// it, plus the runtime's memory outside the heap's object spans (stacks,
// GC and scheduler metadata). Garbage is left out: the collector frees it
// without anyone's help, and counting it would raise the alarm at every
// peak of the heap's sawtooth. The live figure is only as fresh as the
// last collection, and a blocked broker allocates little, so a reading at
// or above the watermark with no collection since the previous sample is
// refreshed by a forced one; otherwise an alarm could outlast the data
// that raised it by the two minutes between the runtime's forced
// collections.
type runtimeProbe struct {
	high       uint64 // the memory watermark; 0 means never force a collection
	samples    []metrics.Sample
	lastCycles uint64 // GC cycles at the previous reading
}

// The metrics runtimeProbe reads, in the order of its samples.
var probeMetrics = []string{
	"/gc/heap/live:bytes",
	"/gc/cycles/total:gc-cycles",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

func newRuntimeProbe(high uint64) *runtimeProbe {
	p := &runtimeProbe{high: high, samples: make([]metrics.Sample, len(probeMetrics))}
	for i, name := range probeMetrics {
		p.samples[i].Name = name
	}
	return p
}

func (p *runtimeProbe) MemoryInUse() uint64 {
	used, cycles := p.read()
	if p.high > 0 && used >= p.high && cycles == p.lastCycles {
		runtime.GC()
		used, cycles = p.read()
	}
	p.lastCycles = cycles
	return used
}

// read returns memory in use and the GC cycle count.
func (p *runtimeProbe) read() (used, cycles uint64) {
	metrics.Read(p.samples)
	v := make([]uint64, len(p.samples))
	for i, s := range p.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	live, cycles, total := v[0], v[1], v[2]
	heapSpans := v[3] + v[4] + v[5] + v[6]
	outside := uint64(0)
	if total > heapSpans {
		outside = total - heapSpans
	}
	return live + outside, cycles
}

func (p *runtimeProbe) DiskFree(dir string) (uint64, error) { return diskfree.Available(dir) }

// MemoryLimit returns the memory this process may use: the cgroup's limit
// (v2 memory.max or v1 memory.limit_in_bytes, as a container sees them at
// /sys/fs/cgroup) if there is one below physical memory, else physical
// memory (MemTotal in /proc/meminfo). It fails where neither is readable,
// as off Linux.
func MemoryLimit() (int64, error) {
	total, err := memTotal("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("memory limit: %w", err)
	}
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if n, ok := cgroupLimit(f); ok && n < total {
			return n, nil
		}
	}
	return total, nil
}

// memTotal reads MemTotal from a /proc/meminfo file, in bytes.
func memTotal(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		num, _ := strings.CutSuffix(strings.TrimSpace(rest), " kB")
		kb, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || kb <= 0 {
			return 0, fmt.Errorf("%s: bad MemTotal line %q", path, sc.Text())
		}
		return kb << 10, nil
	}
	return 0, errors.New(path + ": no MemTotal line")
}

// cgroupLimit reads a cgroup memory limit file; "max" (v2) or an absurd
// value (v1's "no limit" is near 2^63) means none.
func cgroupLimit(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0, false
	}
	return n, true
}
