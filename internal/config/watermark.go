package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MemoryWatermark is the memory high watermark: the memory the broker may
// hold before it blocks publishers. It is written either as a size
// ("2GiB", "536870912") or as a percentage of the memory the process may
// use ("40%"): the cgroup limit when one is set, else the machine's RAM.
// A percentage is kept as such here and turned into bytes at start-up by
// the AMQP front end, which reads the limit; config itself reads no
// system state. The zero value ("0") switches the memory alarm off.
type MemoryWatermark struct {
	Bytes   int64   // an absolute size; used when Percent is 0
	Percent float64 // of the memory limit, in (0, 100]; 0 means use Bytes
}

// Off reports whether w switches the memory alarm off.
func (w MemoryWatermark) Off() bool { return w.Bytes == 0 && w.Percent == 0 }

// String writes w as ParseMemoryWatermark reads it.
func (w MemoryWatermark) String() string {
	if w.Percent != 0 {
		return strconv.FormatFloat(w.Percent, 'f', -1, 64) + "%"
	}
	return FormatSize(w.Bytes)
}

// ParseMemoryWatermark reads "40%", "37.5%", a size such as "2GiB", or
// "0" (off).
func ParseMemoryWatermark(v string) (MemoryWatermark, error) {
	if num, ok := strings.CutSuffix(strings.TrimSpace(v), "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			return MemoryWatermark{}, fmt.Errorf("invalid percentage %q (want a number from 0 to 100 followed by %%, such as 40%%)", v)
		}
		w := MemoryWatermark{Percent: p}
		return w, w.check()
	}
	n, err := ParseSize(v)
	if err != nil {
		return MemoryWatermark{}, fmt.Errorf("invalid memory watermark %q (want a size such as 2GiB, a percentage of memory such as 40%%, or 0 for off)", v)
	}
	return MemoryWatermark{Bytes: n}, nil
}

// check reports a watermark no parse would give, for Validate.
func (w MemoryWatermark) check() error {
	switch {
	case w.Percent < 0 || w.Percent > 100 || w.Percent != w.Percent: // NaN too
		return fmt.Errorf("%s is out of range (want 0%% to 100%%)", w)
	case w.Percent != 0 && w.Bytes != 0:
		return errors.New("give a size or a percentage, not both")
	case w.Bytes < 0:
		return fmt.Errorf("%d bytes is negative", w.Bytes)
	}
	return nil
}
