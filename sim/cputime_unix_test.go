//go:build unix

package sim

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used. On a shared
// machine it excludes the time spent waiting for a core, which wall-clock
// benchmark figures include.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
