package config

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize accepts, largest first. Only binary
// units are accepted: "MB" could mean 10^6 or 2^20, and a segment size
// should not depend on which the reader assumed.
var sizeUnits = []struct {
	suffix string
	bytes  int64
}{
	{"GiB", 1 << 30},
	{"MiB", 1 << 20},
	{"KiB", 1 << 10},
	{"B", 1},
}

// ParseSize reads a byte count written as a plain number ("65536") or a
// whole number with a binary unit ("64MiB", "64 MiB", "512KiB").
func ParseSize(v string) (int64, error) {
	bad := fmt.Errorf("invalid size %q (want bytes, or a whole number with KiB, MiB or GiB, such as 64MiB)", v)
	num, mult := strings.TrimSpace(v), int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, bad
	}
	return n * mult, nil
}

// FormatSize writes n in the largest binary unit that divides it exactly,
// so that ParseSize(FormatSize(n)) == n.
func FormatSize(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range sizeUnits[:len(sizeUnits)-1] {
		if n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
