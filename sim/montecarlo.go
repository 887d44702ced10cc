package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
)

// MonteCarloOptions tunes how MonteCarlo spreads its runs; none of it changes
// the result.
type MonteCarloOptions struct {
	// Workers is the number of goroutines running simulations; 0 means
	// runtime.GOMAXPROCS(0). It never exceeds the number of runs, nor
	// MaxWorkers, nor the number whose runs fit in MaxMonteCarloMemory
	// together (long, finely recorded runs): each worker holds a Runner
	// and a Summary, and the result does not depend on the number of
	// workers anyway.
	Workers int
	// Progress, when set, is called after each run completes with the number
	// of runs done so far and the total. Every call comes from the goroutine
	// that called MonteCarlo, one at a time, with done = 1, 2, …, total in
	// order (done counts completions, not run indices: run 7 may finish
	// before run 3). A slow callback slows the workers down rather than
	// piling up calls. It is not called for runs that did not complete
	// (cancellation or an error).
	Progress func(done, total int)
	// FirstRun is the index of the first run: MonteCarlo simulates runs
	// FirstRun, FirstRun+1, …, FirstRun+runs-1, each with the seed it has
	// in any MonteCarlo of the same scenario (derived from Scenario.Seed and
	// the index). Shards of a sweep that cover [0, n) in disjoint ranges
	// therefore merge (metrics.Summary.Merge) into exactly the summary of
	// one MonteCarlo of n runs. Unlike the other options it changes the
	// result, as it chooses the runs. Must be >= 0.
	FirstRun int
}

// MaxWorkers caps MonteCarloOptions.Workers: a million workers held 4.7 GB
// of Runners and Summaries (and 1<<40 failed to allocate), for no change in
// the result.
const MaxWorkers = 1024

// MonteCarlo simulates runs deployments of sc and returns their Summary.
//
// Run i (from opts.FirstRun, 0 by default) is sc with Seed replaced by
// seed.Derive(sc.Seed, i), a SplitMix64 mix of the base seed and the index
// (RunSeed), so run i is the same
// simulation whatever the number of workers or the order in which they pick
// runs up. Each worker adds its runs to its own metrics.Summary and the
// workers' summaries are merged at the end; since a Summary is integer state
// whose Add and Merge are exactly order-independent (see metrics.Summary),
// the result is bit-identical for any Workers value and across calls.
// Memory is one Runner (engine memory reused from run to run) and one
// Summary per worker, whatever runs is: no run is kept after it has been
// added.
//
// sc is validated once, before any run starts; a bad scenario returns the
// error of Scenario.Validate (wrapping ErrInvalid) and runs nothing.
// A nil ctx, runs <= 0, Workers < 0, FirstRun < 0 or a last index beyond
// the int64 range is an error wrapping ErrInvalid too.
//
// Cancelling ctx stops the workers from starting new runs; MonteCarlo then
// returns ctx.Err() once the runs already started have finished (one run per
// worker at most: a run itself is not interrupted). If a run fails (a policy
// that misbehaves), the remaining runs are abandoned and the error of the
// lowest-numbered failed run is returned, with its index and seed; runs are
// handed out in index order, so that is the same run whatever the number of
// workers. On any error the Summary is nil.
//
// The scenario's Workload, Strategy, Policy and latency models are shared by
// the workers, as they are values that Run only reads (a Policy's per-run
// state is what its Start returns).
func MonteCarlo(ctx context.Context, sc Scenario, runs int, opts MonteCarloOptions) (*metrics.Summary, error) {
	if ctx == nil {
		// The context package panics on a nil parent; an error here keeps
		// the promise that bad arguments are errors.
		return nil, invalid("MonteCarlo ctx = nil: pass context.Background() or a context that can be cancelled")
	}
	if runs <= 0 {
		return nil, invalid("MonteCarlo runs = %d: must be > 0", runs)
	}
	if opts.Workers < 0 {
		return nil, invalid("MonteCarloOptions.Workers = %d: must be >= 0 (0: GOMAXPROCS)", opts.Workers)
	}
	if opts.FirstRun < 0 || int64(opts.FirstRun) > math.MaxInt64-int64(runs) {
		return nil, invalid("MonteCarloOptions.FirstRun = %d: must be in [0, %d] for %d runs", opts.FirstRun, math.MaxInt64-int64(runs), runs)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	workers := monteCarloWorkers(&sc, opts.Workers, runs)

	inner, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		next  atomic.Int64 // the next run index to hand out
		parts = make([]metrics.Summary, workers)
		fails = make([]runFailure, workers) // each worker's lowest failed run
		ticks chan struct{}
		wg    sync.WaitGroup
	)
	if opts.Progress != nil {
		// One slot per worker: a worker blocks only while the callback
		// is behind by more than one tick per worker.
		ticks = make(chan struct{}, workers)
	}
	base := sc.Seed
	from, end := int64(opts.FirstRun), int64(opts.FirstRun)+int64(runs)
	next.Store(from)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sc // each worker its own copy: Run takes the scenario by value anyway
			var rn Runner
			for inner.Err() == nil {
				i := next.Add(1) - 1
				// i < from: the counter wrapped past math.MaxInt64 after the
				// last run was handed out (each worker adds once more before
				// it sees the end), which would otherwise run negative
				// indices for ever.
				if i >= end || i < from {
					return
				}
				s.Seed = RunSeed(base, i)
				r, err := rn.Run(s)
				if err != nil {
					fails[w] = runFailure{index: i, seed: s.Seed, err: err}
					cancel()
					return
				}
				parts[w].Add(&r)
				if ticks != nil {
					ticks <- struct{}{}
				}
			}
		}()
	}
	if ticks != nil {
		go func() { wg.Wait(); close(ticks) }()
		done := 0
		for range ticks {
			done++
			opts.Progress(done, runs)
		}
	} else {
		wg.Wait()
	}

	var first *runFailure
	for w := range fails {
		if f := &fails[w]; f.err != nil && (first == nil || f.index < first.index) {
			first = f
		}
	}
	if first != nil {
		return nil, fmt.Errorf("sim: MonteCarlo run %d (seed %d): %w", first.index, first.seed, first.err)
	}
	sum := &metrics.Summary{}
	for w := range parts {
		// Merge refuses only a sum past its 128-bit range, which runs
		// within Validate's bounds cannot reach; report it all the same.
		if err := sum.Merge(&parts[w]); err != nil {
			return nil, fmt.Errorf("sim: MonteCarlo: %w", err)
		}
	}
	if sum.Runs() < int64(runs) {
		// Only a cancellation stops the workers early without a failure.
		return nil, ctx.Err()
	}
	return sum, nil
}

// monteCarloWorkers is the number of workers MonteCarlo runs for asked
// (0: GOMAXPROCS): at most runs, MaxWorkers, and as many as fit in
// MaxMonteCarloMemory, but at least one.
func monteCarloWorkers(sc *Scenario, asked, runs int) int {
	w := asked
	if w == 0 {
		w = runtime.GOMAXPROCS(0)
	}
	w = min(w, runs, MaxWorkers)
	if per := sc.runMemory(); per > 0 {
		w = max(1, min(w, int(MaxMonteCarloMemory/per)))
	}
	return w
}

// RunSeed is the seed of run i of a MonteCarlo of a scenario whose Seed is
// base: sim.Run of the scenario with this Seed repeats that run alone (to
// look at one run of a summary, its series or its users).
func RunSeed(base uint64, i int64) uint64 { return seed.Derive(base, uint64(i)) }

// runFailure is a run that returned an error.
type runFailure struct {
	index int64
	seed  uint64
	err   error
}
