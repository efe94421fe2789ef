//go:build unix

package peers

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user and system), for
// benchmark figures that do not depend on how loaded the machine is.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
