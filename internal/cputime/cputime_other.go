//go:build !unix

package cputime

import "time"

// Used reports no CPU time where the system has no getrusage: benchmarks
// then report wall-clock figures only.
func Used() (d time.Duration, ok bool) { return 0, false }
