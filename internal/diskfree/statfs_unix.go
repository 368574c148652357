//go:build linux || darwin || freebsd

package diskfree

import (
	"fmt"
	"syscall"
)

// Available returns the bytes available to unprivileged users on the
// file system that holds dir.
func Available(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
