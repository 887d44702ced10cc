// Package cputime reads the process's CPU time for the benchmarks: on a
// machine shared with other work it excludes the time spent waiting for a
// core, which wall-clock figures include, so benchmarks report both
// ("cpu-ns/op", "cpu-events/s").
package cputime
