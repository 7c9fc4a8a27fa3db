package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"
)

// ErrLockTimeout marks a store that another process kept locked for longer
// than the lock timeout.
var ErrLockTimeout = errors.New("timed out waiting for the store lock")

// Maximum pause between two attempts to take the lock. flock(2) has no
// timeout of its own, so lockFile polls with LOCK_NB and backs off.
const maxLockPause = 25 * time.Millisecond

// lockFile takes an flock(2) lock on f, shared or exclusive, waiting at most
// timeout. The lock belongs to the open file description, so it is released
// when f is closed, also when the process dies.
func lockFile(ctx context.Context, f *os.File, exclusive bool, timeout time.Duration) error {
	mode := syscall.LOCK_SH
	if exclusive {
		mode = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond

	for {
		err := syscall.Flock(int(f.Fd()), mode|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}

		remaining := time.Until(deadline)
		if remaining <= 0 {
			return fmt.Errorf("lock %s: %w after %s", f.Name(), ErrLockTimeout, timeout)
		}
		// A random share of the pause keeps waiting processes from retrying
		// in step with each other.
		wait := min(pause/2+rand.N(pause/2+1), remaining)
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock %s: %w", f.Name(), ctx.Err())
		case <-time.After(wait):
		}
		pause = min(pause*2, maxLockPause)
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
