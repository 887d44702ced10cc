package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/strategy"
	"github.com/spf13/cobra"
)

// newPlotCmd is `deploysim plot`: one chart of the scenario into --out.
func newPlotCmd(s streams) *cobra.Command {
	var po plotOptions
	var so *scenarioOptions
	cmd := &cobra.Command{
		Use:   "plot --chart CHART --out FILE.png|FILE.svg [flags]",
		Short: "Draw a chart (PNG or SVG): weights, errors and alarm, failure CDF, Pareto front",
		Long: `Draws one chart of the scenario (flags as for compare) with gonum/plot; the
file's extension picks PNG or SVG.

charts:
  schedule  the candidate's traffic weight over time, per strategy
  errors    one run (--run i, of the first strategy) period by period: the
            first alarm's statistic on its dimension with the alarm threshold,
            and the instants of the rollback decision and of the weight back
            at 0 (policy alarms; other policies plot candidate Errors)
  cdf       the distribution function of candidate failures per strategy,
            over --runs runs
  pareto    every strategy's mean --y against its mean --x, the Pareto front
            (strategies no other beats on both) joined by a line`,
		Example: `  deploysim plot --chart schedule --out schedule.svg
  deploysim plot --chart errors --strategies Canary10Percent5Minutes --rps 10 --out errors.png
  deploysim plot --chart cdf --runs 200 --out cdf.png
  deploysim plot --chart pareto --x time_to_detect_s --y candidate_failures --out pareto.svg`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlot(cmd.Context(), s, so, &po)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&po.chart, "chart", "", "`CHART`: schedule, errors, cdf or pareto (required)")
	fs.StringVar(&po.out, "out", "", "output `FILE`, .png or .svg (required)")
	fs.IntVar(&po.run, "run", 0, "run index for --chart errors")
	fs.StringVarP(&po.x, "x", "x", "duration_s", "`FIGURE` on the x axis of --chart pareto: candidate_failures, excess_failures, users_hit, candidate_requests, exposure_s, time_to_detect_s, time_to_rollback_s, duration_s, detection_rate, false_rollback_rate … When the candidate is bad, duration_s and false_rollback_rate are measured on the same scenario without the fault (no horizon), so the default chart weighs how long a good release takes against how much a bad one hurts.")
	fs.StringVarP(&po.y, "y", "y", "candidate_failures", "`FIGURE` on the y axis of --chart pareto (as --x)")
	so = addScenarioFlags(fs)
	registerCompletions(cmd)
	return cmd
}

// plotOptions are plot's own flags.
type plotOptions struct {
	chart, out string
	run        int
	x, y       string
}

// runPlot draws the chart and writes it to --out.
func runPlot(ctx context.Context, s streams, so *scenarioOptions, po *plotOptions) error {
	stderr := s.err
	chart, out, runIndex, xName, yName := &po.chart, &po.out, &po.run, &po.x, &po.y
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
	switch {
	case *out == "":
		return fmt.Errorf("--out is required: a .png or .svg file")
	case ext != "png" && ext != "svg":
		return fmt.Errorf("--out = %q: must end in .png or .svg", *out)
	case *runIndex < 0:
		return fmt.Errorf("--run = %d: must be >= 0", *runIndex)
	}
	xf, err := metrics.ParseFigure(*xName)
	if err != nil {
		return fmt.Errorf("--x: %v", err)
	}
	yf, err := metrics.ParseFigure(*yName)
	if err != nil {
		return fmt.Errorf("--y: %v", err)
	}
	c, err := so.config()
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ss, err := c.ResolveStrategies()
	if err != nil {
		return err
	}
	if sc, err := c.Scenario(ss[0]); err == nil && *chart != "schedule" {
		warnBlindAlarms(stderr, sc)
	}
	var p *plot.Plot
	switch *chart {
	case "schedule":
		p, err = scheduleChart(ss)
	case "errors":
		p, err = errorsChart(&c, ss[0], *runIndex)
	case "cdf":
		var t *metrics.Table
		if t, _, err = compareTable(ctx, &c, ss, stderr); err != nil {
			return err
		}
		p, err = cdfChart(t)
	case "pareto":
		p, err = paretoFromScenario(ctx, &c, ss, xf, yf, stderr)
	case "":
		return fmt.Errorf("--chart is required: schedule, errors, cdf or pareto")
	default:
		return fmt.Errorf("--chart = %q: must be schedule, errors, cdf or pareto", clip(*chart))
	}
	if err != nil {
		return err
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, ext)
	if err != nil {
		return err
	}
	fh, err := os.Create(*out)
	if err != nil {
		return err
	}
	if _, err := wt.WriteTo(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// paretoFromScenario simulates the scenario and, when its candidate is bad
// and a figure describes a healthy deployment (duration_s,
// false_rollback_rate), its healthy twin: the same scenario with no fault
// and no horizon, so that the chart weighs how long a good release takes
// against how much a bad one hurts.
func paretoFromScenario(ctx context.Context, c *scenario.File, ss []strategy.Strategy, x, y metrics.Figure, stderr io.Writer) (*plot.Plot, error) {
	bad := *c
	t, _, err := compareTable(ctx, &bad, ss, stderr)
	if err != nil {
		return nil, err
	}
	xt, yt, note := t, t, ""
	if (c.ErrorRate > 0 || c.LatencyRegression != 1) && (healthyFigure(x) || healthyFigure(y)) {
		good := *c
		good.ErrorRate, good.LatencyRegression, good.Horizon = 0, 1, 0
		h, _, err := compareTable(ctx, &good, ss, stderr)
		if err != nil {
			return nil, err
		}
		if healthyFigure(x) {
			xt = h
		}
		if healthyFigure(y) {
			yt = h
		}
		note = " (healthy figures from the same scenario without the fault)"
	}
	return paretoChart(xt, yt, x, y, note)
}

// minutes converts simulated time to the charts' x unit.
func minutes(d time.Duration) float64 { return d.Minutes() }

// scheduleChart draws each strategy's weight as a step function up to the
// longest schedule's end (plus a tenth, so the final step shows).
func scheduleChart(ss []strategy.Strategy) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Candidate traffic weight"
	p.X.Label.Text = "minutes since traffic shifting started"
	p.Y.Label.Text = "candidate weight (%)"
	end := time.Minute
	for _, s := range ss {
		end = max(end, s.Schedule().Duration())
	}
	end += end / 10
	for i, s := range ss {
		var pts plotter.XYs
		w := 0.0
		for _, st := range s.Schedule() {
			pts = append(pts, plotter.XY{X: minutes(st.At), Y: 100 * w}, plotter.XY{X: minutes(st.At), Y: 100 * st.Weight})
			w = st.Weight
		}
		pts = append(pts, plotter.XY{X: minutes(end), Y: 100 * w})
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7)
		p.Add(l)
		p.Legend.Add(s.Name(), l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Y.Min, p.Y.Max = 0, 105
	return p, nil
}

// errorsChart runs one deployment with its series kept and draws what the
// first alarm sees, period by period.
func errorsChart(c *scenario.File, s strategy.Strategy, i int) (*plot.Plot, error) {
	sc, err := c.Scenario(s)
	if err != nil {
		return nil, err
	}
	sc.KeepSeries = true
	r, err := runOne(sc, i)
	if err != nil {
		return nil, err
	}
	ser := r.Series
	if ser == nil || len(ser.Periods) == 0 {
		return nil, fmt.Errorf("run %d of %s recorded no metric periods", i, s.Name())
	}
	// What to plot: the first alarm's statistic per alarm period, or
	// candidate Errors per base period.
	a := rollback.Alarm{Metric: metrics.Errors, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: ser.Resolution}
	hasAlarm := false
	if c.Policy == "alarms" && len(c.Alarms) > 0 {
		if a, err = c.Alarms[0].Rollback(0); err != nil {
			return nil, err
		}
		hasAlarm = true
	}
	step := max(1, int(a.Period/ser.Resolution))
	var pts plotter.XYs
	var vs metrics.VersionStats
	for j := 0; j < len(ser.Periods); j += step {
		vs.Reset()
		ser.Aggregate(a.Dimension, j, j+step, &vs)
		v, ok := vs.Value(a.Metric, a.Statistic)
		if !ok {
			continue
		}
		at := time.Duration(j) * ser.Resolution
		pts = append(pts, plotter.XY{X: minutes(at), Y: v}, plotter.XY{X: minutes(at + a.Period), Y: v})
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, run %d: %s %s (%s) per %v period", s.Name(), i, a.Metric, a.Statistic, a.Dimension, a.Period)
	p.X.Label.Text = "minutes since traffic shifting started"
	p.Y.Label.Text = fmt.Sprintf("%s %s", a.Metric, a.Statistic)
	if len(pts) > 0 {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(0)
		p.Add(l)
		p.Legend.Add("candidate", l)
	}
	endX := minutes(time.Duration(len(ser.Periods)) * ser.Resolution)
	if hasAlarm {
		th, err := plotter.NewLine(plotter.XYs{{X: 0, Y: a.Threshold}, {X: endX, Y: a.Threshold}})
		if err != nil {
			return nil, err
		}
		th.Color = color.RGBA{R: 200, A: 255}
		th.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(th)
		p.Legend.Add(fmt.Sprintf("threshold %s %g", a.Comparison.Symbol(), a.Threshold), th)
	}
	ymax := 0.0
	for _, q := range pts {
		ymax = max(ymax, q.Y)
	}
	if hasAlarm {
		ymax = max(ymax, a.Threshold)
	}
	if ymax == 0 {
		ymax = 1
	}
	for _, m := range []struct {
		at    time.Duration
		label string
		col   color.Color
	}{
		{r.Detected, "rollback decided", color.RGBA{R: 230, G: 120, A: 255}},
		{r.WeightZero, "weight back at 0", color.RGBA{G: 120, A: 255}},
	} {
		if m.at == metrics.Never {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: minutes(m.at), Y: 0}, {X: minutes(m.at), Y: ymax * 1.05}})
		if err != nil {
			return nil, err
		}
		l.Color = m.col
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%v)", m.label, m.at), l)
	}
	p.Y.Min = 0
	return p, nil
}

// cdfChart draws, per strategy, the fraction of runs with at most x
// candidate failures, from the summary's quantiles (nearest rank, within the
// sketch's 1 %).
func cdfChart(t *metrics.Table) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Distribution of candidate failures over runs"
	p.X.Label.Text = "candidate failures in a run"
	p.Y.Label.Text = "fraction of runs with at most x"
	for i, r := range t.Rows {
		n := r.Summary.Stats(metrics.CandidateFailures).N
		if n == 0 {
			continue
		}
		// The empirical distribution function as a staircase: for each
		// distinct value v (nearest-rank quantile of rank k), a vertical
		// step from the fraction below v to the fraction at or below it.
		var pts plotter.XYs
		below := 0.0
		for k := int64(1); k <= n; k++ {
			v := r.Summary.Quantile(metrics.CandidateFailures, float64(k)/float64(n))
			if k < n && r.Summary.Quantile(metrics.CandidateFailures, float64(k+1)/float64(n)) == v {
				continue // v's step ends at its last rank
			}
			at := float64(k) / float64(n)
			pts = append(pts, plotter.XY{X: v, Y: below}, plotter.XY{X: v, Y: at})
			below = at
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7)
		p.Add(l)
		p.Legend.Add(r.Label, l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}

// healthyFigure reports whether figure f describes a healthy deployment:
// how long it takes to promote, how often it is rolled back anyway. In a
// scenario with a bad candidate these come from its healthy twin.
func healthyFigure(f metrics.Figure) bool {
	return f == metrics.DeployDuration || f == metrics.FalseRollbackRate
}

// frontPoint is one strategy on the Pareto chart.
type frontPoint struct {
	label string
	x, y  float64
}

// paretoPoints reads every row's mean x and y (Summary.Value), x from xt's
// row and y from yt's (the same table unless one figure is a healthy one),
// leaving out rows where either is NaN.
func paretoPoints(xt, yt *metrics.Table, x, y metrics.Figure) []frontPoint {
	var ps []frontPoint
	for i, r := range xt.Rows {
		vx, vy := r.Summary.Value(x), yt.Rows[i].Summary.Value(y)
		if math.IsNaN(vx) || math.IsNaN(vy) {
			continue
		}
		ps = append(ps, frontPoint{r.Label, vx, vy})
	}
	return ps
}

// paretoFront returns the points no other beats on both figures, sorted by
// x from best to worst then by y, with metrics.Pareto's rules: every figure
// is minimised except DetectionRate, and equal points do not dominate each
// other. It exists because the chart may read x and y from two tables (a
// bad scenario and its healthy twin), which metrics.Pareto cannot.
func paretoFront(ps []frontPoint, x, y metrics.Figure) []frontPoint {
	better := func(f metrics.Figure, a, b float64) bool {
		if f.HigherIsBetter() {
			return a > b
		}
		return a < b
	}
	dominates := func(a, b frontPoint) bool {
		return !better(x, b.x, a.x) && !better(y, b.y, a.y) && (better(x, a.x, b.x) || better(y, a.y, b.y))
	}
	var front []frontPoint
	for _, p := range ps {
		ok := true
		for _, q := range ps {
			if dominates(q, p) {
				ok = false
				break
			}
		}
		if ok {
			front = append(front, p)
		}
	}
	sort.SliceStable(front, func(i, j int) bool {
		a, b := front[i], front[j]
		if a.x != b.x {
			return better(x, a.x, b.x)
		}
		return better(y, a.y, b.y)
	})
	return front
}

// paretoChart plots every strategy's mean y against its mean x and joins the
// Pareto front. xt and yt are the tables the figures come from.
func paretoChart(xt, yt *metrics.Table, x, y metrics.Figure, note string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Pareto front: %s against %s%s", y, x, note)
	p.X.Label.Text = x.String()
	p.Y.Label.Text = y.String()
	ps := paretoPoints(xt, yt, x, y)
	if len(ps) == 0 {
		return nil, fmt.Errorf("--x %s, --y %s: no strategy has both figures in this scenario (time_to_detect_s needs runs that detect, time_to_rollback_s runs rolled back)", x, y)
	}
	all := make(plotter.XYs, len(ps))
	labels := make([]string, len(ps))
	for i, q := range ps {
		all[i] = plotter.XY{X: q.x, Y: q.y}
		labels[i] = q.label
	}
	sc, err := plotter.NewScatter(all)
	if err != nil {
		return nil, err
	}
	sc.Color = color.Gray{Y: 100}
	p.Add(sc)
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: all, Labels: labels})
	if err != nil {
		return nil, err
	}
	p.Add(lb)
	var fp plotter.XYs
	for _, q := range paretoFront(ps, x, y) {
		fp = append(fp, plotter.XY{X: q.x, Y: q.y})
	}
	l, s, err := plotter.NewLinePoints(fp)
	if err != nil {
		return nil, err
	}
	l.Color = color.RGBA{R: 200, A: 255}
	s.Color = l.Color
	p.Add(l, s)
	p.Legend.Add("Pareto front", l, s)
	p.Legend.Top = true
	// Blast radii span orders of magnitude (AllAtOnce against a canary):
	// a log scale keeps the small ones apart.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, q := range ps {
		lo, hi = min(lo, q.y), max(hi, q.y)
	}
	if lo > 0 && hi/lo > 100 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Label.Text += " (log scale)"
	}
	return p, nil
}
