package diskfree

import "errors"

// ErrUnsupported is Available's error where the platform has no statfs.
var ErrUnsupported = errors.New("free disk space: not supported on this platform")
