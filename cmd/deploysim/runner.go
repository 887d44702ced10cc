package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
)

// simulateRange simulates runs [from, to) of sc and returns their Summary
// and the engine the runs use. It is deploysim.Estimate: with a bad
// candidate, runs [from, to) of sc and of its healthy twin (sc.Healthy(),
// same seeds), so that a row holds the blast radius and detection of the
// bad runs and the false rollbacks and duration of the healthy ones, as
// deploysim.Compare's rows do. Run i is the run sim.MonteCarlo numbers i
// (FirstRun), so the summaries of any split of [0, runs) into ranges merge
// into exactly the summary of the whole: that is what makes `sweep --shard`
// exact.
func simulateRange(ctx context.Context, sc sim.Scenario, from, to int, p *progress) (*metrics.Summary, string, error) {
	res, _, err := sim.ChooseResolution(sc)
	if err != nil {
		return nil, "", err
	}
	if sc.Fault.Bad() {
		p.grow(to - from) // the twin's runs
	}
	s, err := deploysim.Estimate(ctx, sc, to-from, deploysim.EstimateOptions{FirstRun: from, Progress: p.tick()})
	return s, res.String(), err
}

// progress reports runs done on a terminal's stderr, and only once the work
// has taken more than a second; otherwise it stays quiet. The wall clock
// here times the user's wait, never a simulation.
type progress struct {
	w     io.Writer // nil: quiet
	label string
	total int64
	extra atomic.Int64 // runs added to total once known (healthy twins)
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
	total := p.total + p.extra.Load()
	if now.Sub(p.last) < 200*time.Millisecond && d < total {
		return
	}
	p.last = now
	p.shown = true
	fmt.Fprintf(p.w, "\r%s: %d/%d runs (%.0f%%), %s", p.label, d, total, 100*float64(d)/float64(total), now.Sub(p.start).Round(100*time.Millisecond))
}

// grow adds n runs to the total, once they are known to be needed.
func (p *progress) grow(n int) {
	if p != nil {
		p.extra.Add(int64(n))
	}
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
	sc.Seed = sim.RunSeed(sc.Seed, int64(i))
	return sim.Run(sc)
}
