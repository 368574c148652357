//go:build !(linux || darwin || freebsd)

package amqp

import "errors"

// diskFree is not implemented here: the disk alarm stays off (the server
// logs that it cannot read free space).
func diskFree(string) (uint64, error) {
	return 0, errors.New("free disk space: not supported on this platform")
}
