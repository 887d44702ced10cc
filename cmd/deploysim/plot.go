package main

import (
	"context"
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"

	charts "github.com/deploysim/deploysim/chart"
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
	so.warn = s.err // --from warnings
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
	to, err := s.progressTo()
	if err != nil {
		return err
	}
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
		return fmt.Errorf("--x: %w", err)
	}
	yf, err := metrics.ParseFigure(*yName)
	if err != nil {
		return fmt.Errorf("--y: %w", err)
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ss, err := resolveStrategies(&c, s.err)
	if err != nil {
		return err
	}
	if *chart != "schedule" {
		warnScenario(stderr, map[string]bool{}, &c, ss)
	}
	if sc, err := c.Scenario(ss[0]); err == nil && *chart != "schedule" {
		warnBlindAlarms(stderr, sc)
	}
	var p *plot.Plot
	var fig *charts.Figure // the errors chart's two panels
	switch *chart {
	case "schedule":
		p, err = scheduleChart(ss)
	case "errors":
		fig, err = errorsChart(&c, ss[0], *runIndex)
	case "cdf":
		var t *metrics.Table
		if t, _, err = compareTable(ctx, &c, ss, to); err != nil {
			return err
		}
		p, err = cdfChart(t)
	case "pareto":
		p, err = paretoFromScenario(ctx, &c, ss, xf, yf, to)
	case "":
		return fmt.Errorf("--chart is required: schedule, errors, cdf or pareto")
	default:
		return fmt.Errorf("--chart = %q: must be schedule, errors, cdf or pareto", clip(*chart))
	}
	if err != nil {
		return err
	}
	if fig == nil {
		fig = charts.NewFigure(p)
	}
	// Whole or not at all: a failed write leaves the previous chart.
	wt, err := fig.WriterTo(ext)
	if err != nil {
		return err
	}
	return atomicfile.Write(*out, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

// paretoFromScenario simulates the scenario and, when its candidate is bad
// and a figure describes a healthy deployment (duration_s,
// false_rollback_rate), its healthy twin: the same scenario with no fault
// and no horizon, so that the chart weighs how long a good release takes
// against how much a bad one hurts.
func paretoFromScenario(ctx context.Context, c *scenario.File, ss []strategy.Strategy, x, y metrics.Figure, to progressTo) (*plot.Plot, error) {
	bad := *c
	t, _, err := compareTable(ctx, &bad, ss, to)
	if err != nil {
		return nil, err
	}
	xt, yt, note := t, t, ""
	if (c.ErrorRate > 0 || c.LatencyRegression != 1) && (healthyFigure(x) || healthyFigure(y)) {
		good := *c
		good.ErrorRate, good.LatencyRegression, good.Horizon = 0, 1, 0
		h, _, err := compareTable(ctx, &good, ss, to)
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

// scheduleChart draws each strategy's weight schedule.
func scheduleChart(ss []strategy.Strategy) (*plot.Plot, error) { return charts.Schedules(ss) }

// errorsChart runs one deployment with its series kept and draws what the
// first alarm sees, period by period, over the run's weight.
func errorsChart(c *scenario.File, s strategy.Strategy, i int) (*charts.Figure, error) {
	sc, err := c.Scenario(s)
	if err != nil {
		return nil, err
	}
	sc.KeepSeries = true
	r, err := runOne(sc, i)
	if err != nil {
		return nil, err
	}
	if r.Series == nil || len(r.Series.Periods) == 0 {
		return nil, fmt.Errorf("run %d of %s recorded no metric periods", i, s.Name())
	}
	// What to plot: the first alarm's statistic per alarm period, or
	// candidate Errors per base period.
	a := rollback.Alarm{Metric: metrics.Errors, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: r.Series.Resolution}
	hasAlarm := false
	if c.Policy == "alarms" && len(c.Alarms) > 0 {
		if a, err = c.Alarms[0].Rollback(0); err != nil {
			return nil, err
		}
		hasAlarm = true
	}
	v := charts.AlarmRun{Label: fmt.Sprintf("%s, run %d", s.Name(), i), Series: r.Series, Metric: a.Metric, Dimension: a.Dimension, Statistic: a.Statistic, Period: a.Period,
		HasThreshold: hasAlarm, Threshold: a.Threshold, Comparison: a.Comparison.Symbol(), Detected: r.Detected, WeightZero: r.WeightZero, Schedule: s.Schedule()}
	return charts.AlarmFigure(v)
}

// cdfChart draws, per strategy, the distribution of candidate failures.
func cdfChart(t *metrics.Table) (*plot.Plot, error) {
	return charts.Failures(t, metrics.CandidateFailures)
}

// healthyFigure reports whether figure f describes a healthy deployment:
// how long it takes to promote, how often it is rolled back anyway. In a
// scenario with a bad candidate these come from its healthy twin.
func healthyFigure(f metrics.Figure) bool {
	return f == metrics.DeployDuration || f == metrics.FalseRollbackRate
}

// paretoChart plots every strategy's mean y against its mean x and joins the
// Pareto front. xt and yt are the tables the figures come from.
func paretoChart(xt, yt *metrics.Table, x, y metrics.Figure, note string) (*plot.Plot, error) {
	ps := charts.PointsOf(xt, yt, x, y)
	if len(ps) == 0 {
		return nil, fmt.Errorf("--x %s, --y %s: no strategy has both figures in this scenario (time_to_detect_s needs runs that detect, time_to_rollback_s runs rolled back)", x, y)
	}
	p, err := charts.Pareto(ps, x, y)
	if err != nil {
		return nil, err
	}
	p.Title.Text += note
	return p, nil
}
