package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
)

// simulateRange simulates runs [from, to) of sc and returns their Summary
// and the engines the runs used. Run i is sc with the seed sim.MonteCarlo
// gives its run i (seed.Derive(sc.Seed, i)), so the summary of any split of
// [0, runs) into ranges merges into exactly sim.MonteCarlo's summary of the
// whole: that is what makes `sweep --shard` exact. A range that starts at 0
// is sim.MonteCarlo itself; others use the same derivation, which
// MonteCarlo does not yet expose as an option (a first-run index).
func simulateRange(ctx context.Context, sc sim.Scenario, from, to int, p *progress) (*metrics.Summary, string, error) {
	engine, err := engineOf(sc)
	if err != nil {
		return nil, "", err
	}
	if from == 0 {
		s, err := sim.MonteCarlo(ctx, sc, to, sim.MonteCarloOptions{Progress: p.tick()})
		return s, engine, err
	}
	if err := sc.Validate(); err != nil {
		return nil, "", err
	}
	workers := min(runtime.GOMAXPROCS(0), to-from)
	var (
		next  atomic.Int64
		parts = make([]metrics.Summary, workers)
		errs  = make([]error, workers)
		stop  atomic.Bool // a run failed: the others stop taking runs
		wg    sync.WaitGroup
	)
	next.Store(int64(from))
	base := sc.Seed
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sc
			for ctx.Err() == nil && !stop.Load() {
				i := next.Add(1) - 1
				if i >= int64(to) {
					return
				}
				s.Seed = seed.Derive(base, uint64(i))
				r, err := sim.Run(s)
				if err != nil {
					errs[w] = fmt.Errorf("run %d (seed %d): %w", i, s.Seed, err)
					stop.Store(true)
					return
				}
				parts[w].Add(&r)
				p.add(1)
			}
		}()
	}
	wg.Wait()
	sum := &metrics.Summary{}
	for w := range parts {
		if errs[w] != nil {
			return nil, "", errs[w]
		}
		sum.Merge(&parts[w])
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	return sum, engine, nil
}

// engineOf returns the engine sim uses for sc ("request" or "bucket"), from
// one short run: metrics.Run records it, and for Auto only the simulator
// knows what it picks. The run is cut at the first second of simulated
// time, so it costs little whatever the scenario.
func engineOf(sc sim.Scenario) (string, error) {
	sc.Horizon = time.Second
	sc.KeepSeries = false
	r, err := sim.Run(sc)
	if err != nil {
		return "", err
	}
	return r.Resolution, nil
}

// progress reports runs done on a terminal's stderr, and only once the work
// has taken more than a second; otherwise it stays quiet. The wall clock
// here times the user's wait, never a simulation.
type progress struct {
	w     io.Writer // nil: quiet
	label string
	total int64
	done  atomic.Int64
	start time.Time
	mu    sync.Mutex
	last  time.Time
	shown bool
}

// newProgress returns a reporter for total runs, writing to stderr only if
// it is a terminal.
func newProgress(stderr io.Writer, label string, total int) *progress {
	p := &progress{label: label, total: int64(total), start: time.Now()}
	if isTerminal(stderr) {
		p.w = stderr
	}
	return p
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency: os.File.Stat's mode says so.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// tick returns a sim.MonteCarloOptions.Progress callback adding to p.
func (p *progress) tick() func(done, total int) {
	if p == nil || p.w == nil {
		return nil
	}
	last := 0
	return func(done, _ int) {
		p.add(done - last)
		last = done
	}
}

// add counts n runs done and redraws the line at most five times a second
// (always for the last run), once the work has lasted a second.
func (p *progress) add(n int) {
	if p == nil || p.w == nil {
		return
	}
	d := p.done.Add(int64(n))
	now := time.Now()
	if now.Sub(p.start) < time.Second {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < 200*time.Millisecond && d < p.total {
		return
	}
	p.last = now
	p.shown = true
	fmt.Fprintf(p.w, "\r%s: %d/%d runs (%.0f%%), %s", p.label, d, p.total, 100*float64(d)/float64(p.total), now.Sub(p.start).Round(100*time.Millisecond))
}

// finish clears the progress line if one was shown.
func (p *progress) finish() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// runOne simulates run i of sc, the same run sim.MonteCarlo counts as its
// run i.
func runOne(sc sim.Scenario, i int) (metrics.Run, error) {
	sc.Seed = seed.Derive(sc.Seed, uint64(i))
	return sim.Run(sc)
}
