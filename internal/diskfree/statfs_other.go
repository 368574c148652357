//go:build !(linux || darwin || freebsd)

package diskfree

// Available cannot read free space on this platform: callers treat
// ErrUnsupported as "no figure" (the disk alarm stays off, the overview
// shows null, /readyz skips the watermark).
func Available(string) (uint64, error) { return 0, ErrUnsupported }
