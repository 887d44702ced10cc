package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
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
// exact, and what keeps the work done when the command is interrupted.
//
// The range is simulated in consecutive chunks of runs. When ctx is
// cancelled (SIGINT), the chunk under way is dropped and simulateRange
// returns the summary of the chunks done, runs [from, from+done), with an
// error wrapping errInterrupted (a nil summary if no chunk was done): a
// prefix of the range, so the partial result is the exact summary of the
// runs it says it holds.
func simulateRange(ctx context.Context, sc sim.Scenario, from, to int, p *progress) (sum *metrics.Summary, engine string, done int, err error) {
	res, _, err := sim.ChooseResolution(sc)
	if err != nil {
		return nil, "", 0, err
	}
	if sc.Fault.Bad() {
		p.grow(to - from) // the twin's runs
	}
	size := chunkSize(to - from)
	for a := from; a < to; a += size {
		b := min(a+size, to)
		s, err := deploysim.Estimate(ctx, sc, b-a, deploysim.EstimateOptions{FirstRun: a, Progress: p.tick()})
		if err != nil {
			if ctx.Err() != nil {
				return sum, res.String(), done, fmt.Errorf("%w after %d of %d runs", errInterrupted, done, to-from)
			}
			return nil, "", 0, err
		}
		if sum == nil {
			sum = s
		} else if err := sum.Merge(s); err != nil {
			return nil, "", 0, err
		}
		done = b - from
	}
	return sum, res.String(), done, nil
}

// chunkSize is how many runs simulateRange hands to one Estimate: about a
// twentieth of the range and at most maxChunk, so that an interruption
// loses little work, but at least 4 runs per processor, so that the
// workers stay busy.
func chunkSize(runs int) int {
	return max(1, min((runs+19)/20, maxChunk), 4*runtime.GOMAXPROCS(0))
}

// maxChunk bounds a chunk: a few seconds of the cheapest runs, and few
// enough calls of Estimate (one set of workers each) not to cost.
const maxChunk = 1024

// progressMode is --progress: when to show progress on stderr.
type progressMode int

const (
	progressAuto   progressMode = iota // a bar on a terminal, nothing otherwise
	progressAlways                     // a bar on a terminal, else a line every few seconds
	progressNever
)

// parseProgress reads --progress.
func parseProgress(s string) (progressMode, error) {
	switch s {
	case "auto", "":
		return progressAuto, nil
	case "always":
		return progressAlways, nil
	case "never":
		return progressNever, nil
	}
	return 0, fmt.Errorf("--progress = %q: must be auto, always or never", clip(s))
}

// progress reports runs done on stderr: on a terminal, a line redrawn in
// place with the rate and the time left, once the work has taken more than
// a second; with --progress=always on a non-terminal (a CI log), a line
// every few seconds. The wall clock here times the user's wait and is only
// displayed, never part of a result.
type progress struct {
	w     io.Writer // nil: quiet
	tty   bool      // redraw one line in place (else print a line per report)
	every time.Duration
	label string
	total int64
	extra atomic.Int64 // runs added to total once known (healthy twins)
	done  atomic.Int64
	start time.Time
	mu    sync.Mutex
	last  time.Time
	shown bool
}

// logInterval is how often --progress=always writes a line off a terminal.
const logInterval = 5 * time.Second

// progressTo is where and when a command reports progress: stderr and
// --progress.
type progressTo struct {
	w    io.Writer
	mode progressMode
}

// newProgress returns a reporter for total runs, as to says.
func newProgress(to progressTo, label string, total int) *progress {
	stderr, mode := to.w, to.mode
	p := &progress{label: label, total: int64(total), start: time.Now(), every: 200 * time.Millisecond}
	switch tty := isTerminal(stderr); {
	case mode == progressNever:
	case tty:
		p.w, p.tty = stderr, true
	case mode == progressAlways:
		p.w, p.every = stderr, logInterval
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

// tick returns a sim.MonteCarloOptions.Progress callback adding to p, for
// one call of Estimate (its done counts from 0).
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

// add counts n runs done and reports at most every p.every (always for the
// last run on a terminal), once the work has lasted a second.
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
	if now.Sub(p.last) < p.every && !(p.tty && d >= total) {
		return
	}
	p.last = now
	p.shown = true
	elapsed := now.Sub(p.start)
	rate := float64(d) / elapsed.Seconds()
	eta := "?"
	if rate > 0 && d <= total {
		eta = time.Duration(float64(total-d) / rate * float64(time.Second)).Round(time.Second).String()
	}
	line := fmt.Sprintf("%s: %d/%d runs (%.0f%%), %s runs/s, %s elapsed, %s left", p.label, d, total, 100*float64(d)/float64(total), strconv.FormatFloat(rate, 'f', max(0, 2-int(math.Log10(rate+1))), 64), elapsed.Round(time.Second), eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// grow adds n runs to the total, once they are known to be needed.
func (p *progress) grow(n int) {
	if p != nil {
		p.extra.Add(int64(n))
	}
}

// finish clears the progress line if one was drawn on a terminal.
func (p *progress) finish() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// runOne simulates run i of sc, the same run sim.MonteCarlo counts as its
// run i.
func runOne(sc sim.Scenario, i int) (metrics.Run, error) {
	sc.Seed = sim.RunSeed(sc.Seed, int64(i))
	return sim.Run(sc)
}
