// Sequential-vs-alarm: does an anytime-valid sequential test roll a bad
// release back faster than the best CloudWatch threshold alarm that rolls
// good releases back just as rarely — and what happens to each when the
// conditions it was tuned for change?
//
// Run it from the repository root:
//
//	go run ./examples/sequential-vs-alarm          # 1,000 runs per policy and scenario, a minute or so
//	go run ./examples/sequential-vs-alarm -fast    # a few seconds, noisier numbers
//
// It prints three tables and writes tradeoff.{png,svg} and
// rollback-cdf.{png,svg} into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The deployment: Linear10PercentEvery3Minutes at 100 req/s on a
//     function whose versions both fail 0.5 % of requests; the bad candidate
//     fails twice as often (1 %), a regression no fixed threshold separates
//     cleanly from noise in a minute of 10 % canary traffic.
//  2. Both families on a healthy and a bad candidate: rollback.Sequential
//     at several α, and a grid of error-rate alarms (threshold × N).
//  3. The matched comparison: the alarm that rolls back fastest among those
//     with no more false rollbacks than the sequential test at α = 5 %, side
//     by side with it (table and charts).
//  4. Off the tuning point: the same two policies when traffic is ten times
//     lower, when a dependency makes both versions fail 1 %, and on a
//     deployment three times longer.
package main

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/examples/internal/notebook"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func main() {
	notebook.Main("sequential-vs-alarm", "run 40 deployments per policy and scenario instead of 1,000 (for tests and a first look)", run)
}

const (
	rate      = 100.0 // requests per second
	errorProb = 0.005 // both versions' own error probability
	alpha     = 0.05  // the sequential test the alarms are matched against
)

var (
	alphas  = []float64{0.01, 0.05, 0.1, 0.2}
	factors = []float64{1.25, 1.5, 1.75, 2, 2.5} // alarm threshold / healthy error rate
	periods = []int{1, 2, 3}
)

// scenario is the deployment of section 1 with a healthy candidate:
// deploysim.DefaultScenario at rate req/s, both versions failing p, the run
// ending with the deployment.
func scenario(s strategy.Strategy, rate, p float64) sim.Scenario {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: rate}
	sc.Baseline.ErrorProb = p
	sc.Candidate.ErrorProb = p
	sc.Fault = sim.Fault{}
	sc.Users = sim.Users{}
	sc.Horizon = 0
	sc.Strategy = s
	sc.Resolution = sim.Auto
	return sc
}

// doubled is the fault that makes a candidate whose own error probability
// is p fail 2p in all: an independent extra cause with 1-(1-p)(1-f) = 2p.
func doubled(p float64) sim.Fault { return sim.Fault{ErrorProb: 1 - (1-2*p)/(1-p)} }

// measured is one policy on the bad candidate and its healthy twin.
type measured struct {
	label  string
	policy rollback.Policy
	// both holds the bad runs and the healthy ones, each figure read over
	// the runs it is about: detection, blast radius and time to rollback
	// over the bad, false rollbacks over the healthy.
	both *metrics.Summary
}

// measure runs policy p with deploysim.Estimate on sc with a doubled-error
// candidate and on its healthy twin, runs times each, on the same seeds.
func measure(ctx context.Context, sc sim.Scenario, label string, p rollback.Policy, runs int) (measured, error) {
	sc.Policy = p
	sc.Fault = doubled(sc.Candidate.ErrorProb)
	both, err := deploysim.Estimate(ctx, sc, runs, deploysim.EstimateOptions{})
	if err != nil {
		return measured{}, fmt.Errorf("%s: %w", label, err)
	}
	return measured{label, p, both}, nil
}

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 1000
	if fast {
		runs = 40
	}

	// ## 1. The deployment
	//
	// At 10 % weight the candidate serves 600 requests a minute: 3 failures
	// on average when healthy, 6 when bad, with Poisson noise of ±1.7 and
	// ±2.4. A threshold between the two is crossed by chance in many healthy
	// minutes and missed in many bad ones, and Linear10PercentEvery3Minutes
	// gives the alarm 26 minutes to be fooled once.
	//
	// rollback.Sequential asks another question: is the candidate's share
	// of the errors larger than its share of the traffic? Under a healthy
	// candidate its mixture likelihood ratio is a nonnegative supermartingale,
	// so by Ville's inequality the chance it ever reaches 1/α — at any of
	// its looks, however long the deployment — is at most α. It needs no
	// threshold and no knowledge of the healthy error rate.
	preset := strategy.LambdaLinear10PercentEvery3Minutes
	sc := scenario(preset, rate, errorProb)
	fmt.Fprintf(w, "# Sequential test against threshold alarms: %s at %g req/s\n\n", preset.Name(), rate)
	fmt.Fprintf(w, "both versions fail %.1f%%; the bad candidate %.1f%% (2x); %d runs per policy and scenario\n\n", 100*errorProb, 200*errorProb, runs)
	page := notebook.NewPage(fmt.Sprintf("Sequential test against threshold alarms: %s at %g req/s", preset.Name(), rate),
		"Does an anytime-valid sequential test catch a doubled error rate faster than the best threshold alarm, at the same false-rollback rate?")
	page.Section("Setup")
	page.Para("%s at %g req/s; both versions fail %.1f %% of requests; the bad candidate fails twice as many, %.1f %%. "+
		"Sequential tests at α in %v against CloudWatch alarms at %v times the healthy rate over N of N periods, N in %v; %d bad and %d healthy deployments per policy.",
		preset.Name(), rate, 100*errorProb, 200*errorProb, alphas, factors, periods, runs, runs)
	recw := notebook.Record(w)

	// ## 2. Both families
	//
	// Each policy runs on the same seeds, on the doubled candidate
	// (detection, time to rollback, failed requests) and on its healthy twin
	// (false rollbacks), both with deploysim.Estimate. The
	// alarms are deploysim.DefaultAlarm's shape — the candidate's error rate
	// over a minute, N out of N — with thresholds from 1.25 to 2.5 times the
	// healthy rate.
	var all []measured
	table := metrics.Table{Figures: []metrics.Figure{metrics.TimeToRollback}}
	for _, a := range alphas {
		p := rollback.Sequential{Alpha: a}
		m, err := measure(ctx, sc, p.Name(), p, runs)
		if err != nil {
			return err
		}
		all = append(all, m)
		table.Add(m.label, m.both)
	}
	for _, n := range periods {
		for _, f := range factors {
			a := alarm(f*errorProb, n)
			m, err := measure(ctx, sc, a.Name, rollback.CodeDeploy(a), runs)
			if err != nil {
				return err
			}
			all = append(all, m)
			table.Add(m.label, m.both)
		}
	}
	fmt.Fprintln(w, "## Every policy (runs = healthy + bad)")
	fmt.Fprintln(w)
	if err := table.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	page.Section("Every policy")
	if err := page.Table(&table); err != nil {
		return err
	}
	// The sequential test keeps its promise: its false-rollback rate stays
	// under α at every α, well under it in fact, since Ville's bound is
	// reached only by a test that looks continuously forever. The alarms
	// span everything from rolling back nearly every good release to waiting
	// ten minutes for a bad one.

	// ## 3. The matched comparison
	//
	// The sequential test at α = 5 % sets the bar: its measured
	// false-rollback rate. metrics.Best then picks the alarm that rolls
	// a bad candidate back soonest among those that roll back good ones no
	// more often and still catch 95 % of bad ones.
	seq := all[indexOf(alphas, alpha)]
	target := seq.both.Value(metrics.FalseRollbackRate)
	var alarms metrics.Table
	for _, m := range all[len(alphas):] {
		alarms.Add(m.label, m.both)
	}
	rule := fmt.Sprintf("fastest rollback with false rollbacks <= %.2f%% and detection >= 95%%", 100*target)
	rec, err := metrics.Best(&alarms, metrics.TimeToRollback,
		metrics.AtMost(metrics.FalseRollbackRate, target), metrics.AtLeast(metrics.DetectionRate, 0.95))
	if errors.Is(err, metrics.ErrNoneQualifies) {
		// Few runs can leave no alarm that rare: take the one with the fewest
		// false rollbacks instead, and say so.
		rule = "none qualifies; the alarm with the fewest false rollbacks"
		rec, err = metrics.Best(&alarms, metrics.FalseRollbackRate)
	}
	if err != nil {
		return err
	}
	best := all[len(alphas)+rec.Index]
	fmt.Fprintln(w, "## Matched comparison")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "best alarm: %s (%s)\n\n", best.label, rule)
	tw := tabwriter.NewWriter(recw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "policy\tfalse rollbacks\tdetected\trollback s mean\tp50\tp95\tfailed requests (bad) mean")
	for _, m := range []measured{seq, best} {
		rb := m.both.Stats(metrics.TimeToRollback)
		fmt.Fprintf(tw, "%s\t%.1f%%\t%.1f%%\t%.0f\t%.0f\t%.0f\t%.1f\n", m.label,
			100*m.both.Value(metrics.FalseRollbackRate), 100*m.both.Value(metrics.DetectionRate),
			rb.Mean, rb.P50, rb.P95, m.both.Value(metrics.CandidateFailures))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// With no more false rollbacks (0.7 % for the sequential test, 0.5 % for
	// the alarm, over 1,000 healthy runs each), the sequential test rolls the
	// regression back after about 330 s on average against about 430 s for
	// the best alarm (1 % over two minutes in a row), with a p95 of 549 s
	// against 961 s, and the bad candidate fails half as many requests. The
	// alarm needs a threshold twice the healthy rate, to stay quiet on
	// healthy minutes, and two bad minutes in a row, which a 2x regression
	// at 10 % weight does not reliably give it; the sequential test adds up
	// the evidence of every minute instead of judging each on its own. And it
	// got there without tuning: the same α would do on another function.

	// ## 4. Off the tuning point
	//
	// The same two policies, unchanged, on three variations of the healthy
	// deployment: ten times less traffic (each minute is noisier), a bad day
	// for a dependency that makes both versions fail 1 % (the alarm's
	// threshold was set for 0.5 %), and Linear10PercentEvery10Minutes (three
	// times as many looks). Only false rollbacks are measured: nothing is
	// wrong with the candidate.
	variations := []struct {
		name string
		sc   sim.Scenario
	}{
		{"as tuned", sc},
		{"10 req/s", scenario(preset, rate/10, errorProb)},
		{"both versions fail 1%", scenario(preset, rate, 2*errorProb)},
		{strategy.LambdaLinear10PercentEvery10Minutes.Name(), scenario(strategy.LambdaLinear10PercentEvery10Minutes, rate, errorProb)},
	}
	page.Section("Matched comparison")
	page.Para("The best alarm under the rule (%s) is %s.", rule, best.label)
	page.Pre(recw.Take())
	page.Chart("tradeoff.png", "false rollbacks against blast radius")
	page.Chart("rollback-cdf.png", "time to rollback of the matched pair")
	page.Para("%s rolls back %.1f %% of good releases and fails %.1f requests per bad one, rolled back after %.0f s on average; %s rolls back %.1f %% and fails %.1f, after %.0f s.",
		seq.label, 100*seq.both.Value(metrics.FalseRollbackRate), seq.both.Value(metrics.CandidateFailures), seq.both.Value(metrics.TimeToRollback),
		best.label, 100*best.both.Value(metrics.FalseRollbackRate), best.both.Value(metrics.CandidateFailures), best.both.Value(metrics.TimeToRollback))

	fmt.Fprintln(w, "## False rollbacks off the tuning point")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(recw, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variation\t%s\t%s\n", seq.label, best.label)
	for _, v := range variations {
		fmt.Fprintf(tw, "%s", v.name)
		for _, p := range []rollback.Policy{seq.policy, best.policy} {
			v.sc.Policy = p
			s, err := sim.MonteCarlo(ctx, v.sc, runs, sim.MonteCarloOptions{})
			if err != nil {
				return fmt.Errorf("%s, %s: %w", v.name, p.Name(), err)
			}
			r := s.Rate(metrics.FalseRollbackRate)
			fmt.Fprintf(tw, "\t%.1f%% [%.1f, %.1f]", 100*r.Value, 100*r.CILow, 100*r.CIHigh)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// The sequential test stays under α everywhere: its bound does not
	// depend on traffic, on the error rate the versions share, or on how
	// long it watches. The alarm, left as it was tuned, rolls back over a
	// third of healthy releases at 10 req/s (a minute of 60 candidate
	// requests holds one failure or none, and one is already 1.7 %), nearly
	// all of them when a dependency lifts both versions to its threshold,
	// and more of them the longer it watches. A threshold alarm is a
	// fine detector for the conditions it was tuned on; the sequential
	// test's false-rollback rate is one you can promise.

	page.Section("False rollbacks off the tuning point")
	page.Pre(recw.Take())
	page.Para("The alarm was tuned to this scenario; the sequential test was not. The table shows how each holds its false-rollback rate when the scenario moves away from the one the alarm was tuned on.")
	faster := "faster"
	if seq.both.Value(metrics.TimeToRollback) > best.both.Value(metrics.TimeToRollback) {
		faster = "slower"
	}
	page.Conclusion("At a matched false-rollback rate the sequential test (%s) is %s to roll back than the best threshold alarm (%s): %.0f s against %.0f s on average, and its false-rollback bound holds by construction wherever the traffic goes, while the alarm's holds only where it was tuned.",
		seq.label, faster, best.label, seq.both.Value(metrics.TimeToRollback), best.both.Value(metrics.TimeToRollback))
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := charts(outDir, all, seq, best)
	if err != nil {
		return err
	}
	md, err := page.Save(outDir)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Charts and page:")
	for _, f := range append(files, md) {
		fmt.Fprintln(w, " ", f)
	}
	return nil
}

// alarm is deploysim.DefaultAlarm (the candidate's ErrorRate per minute,
// missing data not breaching) with threshold thr, N out of N.
func alarm(thr float64, n int) rollback.Alarm {
	a := deploysim.DefaultAlarm()
	a.Name = fmt.Sprintf("alarm(>=%s%%,%dof%d)", strconv.FormatFloat(100*thr, 'g', 4, 64), n, n)
	a.Threshold = thr
	a.EvaluationPeriods = n
	a.DatapointsToAlarm = n
	return a
}

func indexOf(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// charts writes tradeoff (false rollbacks against the bad candidate's blast radius:
// the alarm grid by N, the sequential test by α, the matched pair ringed)
// and rollback-cdf (the distribution of the time to rollback of the matched
// pair, from Summary quantiles), each as PNG and SVG.
func charts(outDir string, all []measured, seq, best measured) ([]string, error) {
	colors := []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
		color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
	}
	// The blast radius rather than the time to rollback: a mean time over
	// the runs that were rolled back flatters an alarm that misses most bad
	// candidates, whereas the failed requests of every bad run count the
	// missed ones too.
	point := func(m measured) plotter.XY {
		return plotter.XY{X: chart.Log10(100 * m.both.Value(metrics.FalseRollbackRate)), Y: m.both.Value(metrics.CandidateFailures)}
	}
	drawable := func(xy plotter.XY) bool { return !math.IsInf(xy.X, 0) && !math.IsNaN(xy.X) && !math.IsNaN(xy.Y) }

	p := plot.New()
	p.Title.Text = "False rollbacks against the blast radius of a 2x error regression"
	p.X.Label.Text = "false rollbacks of a healthy candidate (%, log scale; zeros not drawn)"
	p.Y.Label.Text = "mean failed requests of the bad candidate"
	p.X.Tick.Marker = chart.Log10Ticks{}
	p.Y.Tick.Marker = chart.Ticks{}
	// A fixed range: one false rollback in 1,000 runs is 0.1 %, and a log
	// axis must not be left to find its range from no points at all.
	p.X.Min, p.X.Max = chart.Log10(0.05), chart.Log10(100)
	p.Add(plotter.NewGrid())
	var seqXY plotter.XYs
	for _, m := range all[:len(alphas)] {
		if xy := point(m); drawable(xy) {
			seqXY = append(seqXY, xy)
		}
	}
	if len(seqXY) > 0 {
		l, sc, err := plotter.NewLinePoints(seqXY)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = color.Black, color.Black
		sc.Shape = draw.BoxGlyph{}
		p.Add(l, sc)
		p.Legend.Add("sequential, α = 1%, 5%, 10%, 20%", l, sc)
	}
	for i, n := range periods {
		var xys plotter.XYs
		for _, m := range all[len(alphas)+i*len(factors) : len(alphas)+(i+1)*len(factors)] {
			if xy := point(m); drawable(xy) {
				xys = append(xys, xy)
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = colors[i], colors[i]
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(fmt.Sprintf("alarm, %d of %d, thresholds 1.25-2.5x", n, n), l, sc)
	}
	var pair plotter.XYs
	for _, m := range []measured{seq, best} {
		if xy := point(m); drawable(xy) {
			pair = append(pair, xy)
		}
	}
	if len(pair) > 0 {
		ring, err := plotter.NewScatter(pair)
		if err != nil {
			return nil, err
		}
		ring.Shape = draw.RingGlyph{}
		ring.Radius = vg.Points(8)
		ring.Color = color.RGBA{0xd6, 0x27, 0x28, 0xff}
		p.Add(ring)
		p.Legend.Add("matched pair", ring)
	}
	p.Legend.Top = true
	p.Legend.Left = false
	var files []string
	top := 0.0
	for _, m := range all {
		if xy := point(m); drawable(xy) {
			top = math.Max(top, xy.Y)
		}
	}
	if top > 0 {
		p.Y.Max = 1.1 * top // room above the highest point
	}
	saved, err := notebook.SaveFigure(&chart.Figure{Panels: []*plot.Plot{p}, Width: 10 * vg.Inch, Height: 5.5 * vg.Inch}, outDir, "tradeoff")
	if err != nil {
		return nil, err
	}
	files = append(files, saved...)

	// The distribution function of the time to rollback over bad runs that
	// were rolled back, drawn from the Summary's quantiles.
	p = plot.New()
	p.Title.Text = "Time to rollback of the bad candidate: matched pair"
	p.X.Label.Text = "time from the start of the deployment to weight 0 (s)"
	p.Y.Label.Text = "rolled-back runs done by then (%)"
	p.X.Tick.Marker = chart.Ticks{}
	p.Y.Tick.Marker = chart.Ticks{}
	p.Y.Min, p.Y.Max = 0, 100
	p.Add(plotter.NewGrid())
	for i, m := range []measured{seq, best} {
		var xys plotter.XYs
		for q := 0.01; q < 1; q += 0.01 {
			if v := m.both.Quantile(metrics.TimeToRollback, q); !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: v, Y: 100 * q})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color = colors[i*3]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(m.label, l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	saved, err = notebook.SaveFigure(chart.NewFigure(p), outDir, "rollback-cdf")
	if err != nil {
		return nil, err
	}
	files = append(files, saved...)
	return files, nil
}
