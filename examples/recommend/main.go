// Recommend: which strategy and which alarm should a function use, given
// what its owners can live with?
//
// Run it from the repository root:
//
//	go run ./examples/recommend            # the default space, half a minute or so on two cores
//	go run ./examples/recommend -fast      # a narrow space, a few seconds
//	go run ./examples/recommend -out /tmp/recommend
//
// It prints the recommendation, the presets it beats, the trade-off curve
// and a SAM snippet, and writes a Pareto chart (pareto.png, pareto.svg)
// into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The question: deploysim.DefaultScenario, a modest function (5 req/s)
//     shipping a release that fails an extra 2 % of its requests; its
//     owners accept at most 5 % false rollbacks of healthy releases and want
//     at least 90 % of such bugs caught before 100 %.
//  2. What CodeDeploy's presets do under the default alarm.
//  3. The search: thousands of strategy × policy configurations, raced on
//     common random numbers, and what it spent.
//  4. The trade-off: failures against false rollbacks (the Pareto front),
//     and the chart.
//  5. What to paste.
package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/emit"
	"github.com/deploysim/deploysim/examples/internal/notebook"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

func main() {
	notebook.Main("recommend", "search a narrow space with at most 64 runs per configuration (for tests and a first look)", run)
}

// The owners' limits.
var limits = deploysim.Constraints{MaxFalseRollback: 0.05, MinDetection: 0.9}

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()

	// ## 1. The question
	//
	// deploysim.DefaultScenario: 5 requests a second, both versions failing
	// 0.1 % of requests when healthy, and a release with a bug that fails an
	// extra 2 %. At this traffic a 10 % canary sees 30 requests a minute: a
	// short canary can miss the bug, and an alarm sensitive enough to catch
	// it within a minute fires on healthy noise too. The owners' limits: a
	// healthy release is rolled back at most 5 % of the time, a bad one is
	// caught before 100 % at least 90 % of the time, each shown at 95 %
	// confidence (the one-sided Wilson bound of the rate, not its
	// estimate); among what meets them, the fewest failed requests when the
	// release is bad.
	sc := deploysim.DefaultScenario()
	fmt.Fprintf(w, "# Which strategy and which alarm? %g req/s, a +%g%% bug\n\n", deploysim.DefaultRate, 100*deploysim.DefaultFaultErrorProb)
	fmt.Fprintf(w, "Limits: %s\n\n", limits)

	// ## 2. The space
	//
	// deploysim.DefaultSpace: the nine Lambda presets, custom canaries,
	// linears, exponentials and Argo-style step lists, each under every
	// single CloudWatch alarm of a grid (Errors or ErrorRate, candidate or
	// alias, 10 s or 60 s periods, thresholds, 1 of 1, 2 of 2, 2 of 3), the
	// baseline comparison and the sequential test. -fast narrows it to the
	// presets and a few canaries under fewer alarms, with fewer runs.
	space := deploysim.DefaultSpace()
	if fast {
		g := deploysim.DefaultSpaceGrid()
		g.Canary.Percents, g.Canary.Intervals = []float64{1, 5}, []time.Duration{5 * time.Minute, 15 * time.Minute}
		g.Linear, g.Exponential, g.Strategies = nil, nil, nil
		g.Alarms.Periods = []int{60}
		g.Alarms.Thresholds = map[string][]float64{"Errors": {1, 2}, "ErrorRate": {0.01, 0.05}}
		g.Alarms.MOfN = []string{"1/1", "2/3"}
		g.Search = deploysim.SearchGrid{MinRuns: 8, MaxRuns: 64}
		var err error
		if space, err = g.Space(); err != nil {
			return err
		}
	}

	// ## 3. The search
	//
	// deploysim.Recommend races the configurations: a few runs of each
	// (with the same seeds for all: common random numbers), then twice as
	// many for those still in the race, up to 512. After each round it
	// drops a configuration whose favourable confidence bound already
	// misses a limit, one whose failures are beaten with confidence by a
	// configuration shown to meet the limits, and, once the runs can tell a
	// 5 % rate from a larger one, the worse half. It also runs every preset
	// under the scenario's own alarm, the comparison users start from.
	rec, err := deploysim.Recommend(ctx, sc, space, limits)
	if err != nil {
		return err
	}
	if err := rec.WriteText(w); err != nil {
		return err
	}

	// ## 4. The trade-off
	//
	// The front of failures against false rollbacks: along it, each step to
	// fewer false rollbacks costs failed requests. Every point of the front
	// is topped up to the same number of runs, so the points stand on equal
	// footing. The chart shows every configuration the search ran beyond
	// its first round (grey), the front (blue), the best preset (orange) and
	// the recommendation (green); the dashed line is the 5 % limit.
	if err := chart(outDir, rec); err != nil {
		return err
	}

	// ## 5. What to paste
	//
	// The answer above may be a statistical test, which CodeDeploy cannot
	// run: it rolls back on CloudWatch alarms only. A team on SAM asks the
	// question again over the alarm-watched part of the space, and package
	// emit writes the answer as the template it deploys with (a custom
	// AWS::CodeDeploy::DeploymentConfig when the shape is not a preset).
	// Argo Rollouts and Flagger users would emit theirs (emit.Argo,
	// emit.Flagger), for an ErrorRate alarm.
	alarmsOnly := space
	alarmsOnly.Policies = nil
	for _, p := range space.Policies {
		if _, ok := p.(rollback.Alarms); ok {
			alarmsOnly.Policies = append(alarmsOnly.Policies, p)
		}
	}
	alarmsOnly.NoPreset = true
	sam, err := deploysim.Recommend(ctx, sc, alarmsOnly, limits)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n## With CloudWatch alarms only (%d configurations, %d runs)\n\n", sam.Configurations, sam.Runs)
	if !sam.Feasible {
		fmt.Fprintf(w, "No alarm meets the limits: %s\nclosest: %s\n", sam.Closest, sam.Best.Label())
		return nil
	}
	fmt.Fprintf(w, "recommended: %s\n", sam.Best.Label())
	for _, v := range sam.Best.Verdicts {
		fmt.Fprintf(w, "  %s %.4g (bound %.4g)\n", v.Figure, v.Estimate, v.Bound)
	}
	fmt.Fprintf(w, "  %s %.4g\n\n", limits.Objective, sam.Best.Summary.Value(limits.Objective))
	snippet, err := emit.SAM(sam.Best.Strategy, sam.Best.Policy)
	if err != nil {
		fmt.Fprintf(w, "SAM cannot express it: %v\n", err)
		return nil
	}
	fmt.Fprintf(w, "SAM:\n\n%s", snippet)
	return nil
}

// chart draws mean failures against the false-rollback rate.
func chart(outDir string, rec deploysim.Recommendation) error {
	xy := func(c *deploysim.Candidate) plotter.XY {
		return plotter.XY{X: 100 * c.Summary.Value(metrics.FalseRollbackRate), Y: c.Summary.Value(metrics.CandidateFailures)}
	}
	ok := func(p plotter.XY) bool { return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && p.Y > 0 }
	first := 0
	for _, c := range rec.Candidates {
		if first == 0 || c.Runs < first {
			first = c.Runs
		}
	}
	var all plotter.XYs
	for _, c := range rec.Candidates {
		if p := xy(c); c.Runs > first && ok(p) {
			all = append(all, p)
		}
	}
	var front plotter.XYs
	for _, f := range rec.Pareto {
		if f.Y != metrics.FalseRollbackRate {
			continue
		}
		for _, c := range f.Candidates {
			if p := xy(c); ok(p) {
				front = append(front, p)
			}
		}
	}
	p := plot.New()
	p.Title.Text = "Failures of a bad release vs false rollbacks of a good one"
	p.X.Label.Text = "false rollbacks of a healthy release (%)"
	p.Y.Label.Text = "mean failed requests of a bad release (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	add := func(xys plotter.XYs, c color.Color, r vg.Length, name string) error {
		if len(xys) == 0 {
			return nil
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		s.Color, s.Shape, s.Radius = c, draw.CircleGlyph{}, r
		p.Add(s)
		p.Legend.Add(name, s)
		return nil
	}
	if err := add(all, color.Gray{Y: 0xb0}, vg.Points(1.5), "configurations raced past round 1"); err != nil {
		return err
	}
	if err := add(front, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, vg.Points(3.5), "Pareto front"); err != nil {
		return err
	}
	if rec.Preset != nil {
		if q := xy(rec.Preset); ok(q) {
			if err := add(plotter.XYs{q}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, vg.Points(4), "best preset, default alarm"); err != nil {
				return err
			}
		}
	}
	if q := xy(rec.Best); ok(q) {
		if err := add(plotter.XYs{q}, color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, vg.Points(5), "recommended"); err != nil {
			return err
		}
	}
	yMin, yMax := p.Y.Min, p.Y.Max
	if yMin > 0 && yMax > yMin {
		l, err := plotter.NewLine(plotter.XYs{{X: 100 * limits.MaxFalseRollback, Y: yMin}, {X: 100 * limits.MaxFalseRollback, Y: yMax}})
		if err != nil {
			return err
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		l.Color = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("limit %g%%", 100*limits.MaxFalseRollback), l)
	}
	_, err := notebook.Save(p, outDir, "pareto", 8*vg.Inch, 5*vg.Inch)
	return err
}
