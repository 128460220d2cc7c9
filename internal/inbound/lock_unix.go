//go:build unix

package inbound

import (
	"os"
	"syscall"
)

// lock takes an exclusive flock on f, waiting for it when wait is set; it
// is released when f is closed. flock is held per open file, so it
// serializes goroutines of one process as well as processes.
func lock(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
