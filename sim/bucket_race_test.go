//go:build race

package sim

// raceEnabled: the race detector slows the per-request engine several
// times, so heavy Monte Carlo tests thin their samples under it.
const raceEnabled = true
