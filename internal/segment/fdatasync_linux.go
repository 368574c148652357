package segment

import (
	"errors"
	"os"
	"syscall"
)

// fdatasync flushes f's data and size, not its timestamps. EINTR means
// the call did not run, so repeating it is not the retry-after-failure
// that the sticky error rule forbids.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if !errors.Is(serr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
