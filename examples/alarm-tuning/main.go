// Alarm-tuning: for one preset, which CloudWatch alarm settings roll a bad
// release back fastest without rolling good releases back more than 1 % of
// the time?
//
// Run it from the repository root:
//
//	go run ./examples/alarm-tuning          # 2,000 runs per setting and scenario, a minute or so
//	go run ./examples/alarm-tuning -fast    # a few seconds, noisier numbers
//
// It prints the grid as a table, the same grid beside its closed form, and
// the recommended setting; it writes false-rollbacks.{png,svg} and
// time-to-rollback.{png,svg} into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The deployment: Canary10Percent10Minutes on a function at 20 req/s,
//     and a bug that fails an extra 2 % of requests — subtle enough that the
//     alarm's threshold matters.
//  2. The grid: the alarm on the candidate's error rate, its Threshold
//     (0.5 % to 5 %) against its EvaluationPeriods N (1 to 5, all N
//     breaching), each simulated on a healthy candidate (false rollbacks) and
//     on the bad one (detection, time to rollback).
//  3. The closed form: with Poisson traffic the minutes are independent, so
//     each cell's rates follow from one per-minute breach probability.
//  4. The recommendation: metrics.Best picks the fastest rollback among
//     the settings that keep false rollbacks under 1 % and catch the bug in
//     95 % of deployments.
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
	"strings"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat/distuv"
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
	notebook.Main("alarm-tuning", "run 60 deployments per cell instead of 2,000 (for tests and a first look)", run)
}

// The deployment every cell of the grid simulates.
const (
	rate        = 20.0  // requests per second
	bugErrProb  = 0.02  // the bug's extra error probability
	maxFalseRB  = 0.01  // the false-rollback target
	minDetected = 0.95  // the detection the recommendation also requires
	canaryShare = 0.1   // the preset's canary weight
	healthyProb = 0.001 // both versions' own error probability
	visibleMins = 9     // minutes of canary data the alarm sees before promotion
	actionSecs  = 5.0   // seconds from the decision to the alias flipped back
	periodSecs  = 60.0  // the alarm's period
	delaySecs   = 60.0  // ingestion delay
	preset      = "Canary10Percent10Minutes"
	presetShort = "Canary10Percent10Minutes at 20 req/s"
)

var (
	thresholds = []float64{0.005, 0.01, 0.02, 0.03, 0.05}
	periods    = []int{1, 2, 3, 5}
)

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 2000
	if fast {
		runs = 60
	}

	// ## 1. The deployment
	//
	// deploysim.DefaultScenario with three changes: 20 req/s, a subtler bug
	// (+2 % errors, so the bad candidate fails p = 2.1 % of its requests
	// against p0 = 0.1 % for a healthy one), and Canary10Percent10Minutes.
	// The canary sends 120 requests a minute to the candidate: a bad minute
	// holds 2.5 failures on average, a healthy one 0.12. CodeDeploy watches
	// until promotion at 10:00, so the alarm judges minutes 0-8.
	s, err := strategy.Parse(preset)
	if err != nil {
		return err
	}
	base := deploysim.DefaultScenario()
	base.Workload = sim.Poisson{Rate: rate}
	base.Users = sim.Users{}
	base.Horizon = 0
	base.Strategy = s
	base.Resolution = sim.Auto
	bad := base
	bad.Fault = sim.Fault{ErrorProb: bugErrProb}
	fmt.Fprintf(w, "# Tuning the rollback alarm of %s\n\n", presetShort)
	fmt.Fprintf(w, "bad candidate: +%.0f%% errors; healthy: %.1f%%; %d runs per setting and scenario\n\n", 100*bugErrProb, 100*healthyProb, runs)
	page := notebook.NewPage("Tuning the rollback alarm of "+presetShort,
		"Which error-rate threshold and how many evaluation periods roll a bad release back fastest without rolling good ones back?")
	page.Section("Setup")
	page.Para("%s at %g req/s; the bad candidate fails an extra %.0f %% of its requests, the healthy one %.1f %% like the baseline. "+
		"The alarm fires on the candidate's error rate per minute at thresholds %s, over N of N periods for N in %v; %d bad and %d healthy deployments per setting.",
		s.Name(), rate, 100*bugErrProb, 100*healthyProb, thrList(), periods, runs, runs)
	recw := notebook.Record(w)

	// ## 2. The grid
	//
	// Each setting is a CodeDeploy alarm on the candidate's error rate per
	// minute: ErrorRate >= Threshold for N out of N periods, missing data
	// not breaching. deploysim.Estimate runs each setting on the bad
	// candidate and on its healthy twin, on the same seeds for every
	// setting, and merges them into one Summary whose figures are each read
	// over the runs they are about: detection and time to rollback over the
	// bad runs, false rollbacks over the healthy ones. One table row holds
	// both sides of the trade-off, and metrics.Best can weigh them.
	// The grid: one deploysim.GridPoint per alarm setting, each keeping the
	// policy value it was made from; deploysim.Sweep estimates them all.
	var points []deploysim.GridPoint
	for _, n := range periods {
		for _, thr := range thresholds {
			points = append(points, deploysim.GridPoint{Strategy: s, Policy: rollback.CodeDeploy(alarm(thr, n)),
				Params: []metrics.Param{{Name: "threshold", Value: thrLabel(thr)}, {Name: "N", Value: strconv.Itoa(n)}}})
		}
	}
	swept, err := deploysim.Sweep(ctx, bad, points, runs, deploysim.EstimateOptions{})
	if err != nil {
		return err
	}
	table := swept.Table()
	table.Figures = []metrics.Figure{metrics.TimeToRollback}
	fmt.Fprintln(w, "## The grid (runs = bad + healthy)")
	fmt.Fprintln(w)
	if err := table.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// Reading down a column of thresholds: a low threshold fires on a single
	// healthy error (0.5 % of 120 requests is less than one), so it rolls
	// back most good releases; each step up needs one more failure in a
	// minute, which cuts false rollbacks by an order of magnitude but also
	// lets a bad minute pass more often, so the rollback comes later and at
	// 5 % the bug is mostly missed. Raising N does the same to false
	// rollbacks at a lower threshold, at the price of at least one more
	// minute per period.

	// ## 3. The closed form
	//
	// Poisson traffic makes the minutes independent. In one minute the
	// candidate serves n ~ Poisson(120) requests, of which k ~ Binomial(n, p)
	// fail, and the minute breaches when n > 0 and k/n >= Threshold. With q
	// that probability, a setting fires when N breaching minutes in a row
	// occur among the 9 it can see, and the decision comes 2 minutes after
	// the start of the N-th (the minute, then the ingestion delay; alarm and
	// poll share the minute marks). A small Markov chain on "breaches in a
	// row so far" gives P(fire) and the distribution of the firing minute,
	// hence the mean time to rollback (decision + 5 s). The simulated grid
	// should sit within its Monte Carlo error of these numbers.
	page.Section("The grid")
	if err := page.Table(&table); err != nil {
		return err
	}

	fmt.Fprintln(w, "## Closed form beside simulation")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(recw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "threshold\tN\tfalse rollbacks: closed\tsim\tdetected: closed\tsim\trollback s: closed\tsim")
	for _, n := range periods {
		for _, thr := range thresholds {
			row := table.Find(s.Name(), metrics.Param{Name: "threshold", Value: thrLabel(thr)}, metrics.Param{Name: "N", Value: strconv.Itoa(n)})
			fr, _ := fireProbability(breachProbability(thr, healthyProb), n)
			det, mean := fireProbability(breachProbability(thr, pBad()), n)
			fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.2f%%\t%.1f%%\t%.1f%%\t%s\t%s\n", thrLabel(thr), n,
				100*fr, 100*row.Summary.Value(metrics.FalseRollbackRate),
				100*det, 100*row.Summary.Value(metrics.DetectionRate),
				secs(mean), secs(row.Summary.Value(metrics.TimeToRollback)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)

	// ## 4. The recommendation
	//
	// metrics.Best takes the table, the figure to minimise (mean time to
	// rollback) and the constraints: false rollbacks at most 1 %, detection
	// at least 95 %, on the estimates. The stricter reading asks the upper
	// end of the false-rollback rate's 95 % interval to stay under 1 %: the
	// data must show the setting meets the target, which takes enough runs
	// (with no false rollback at all, the Wilson interval's upper end drops
	// under 1 % only after about 380 runs).
	page.Section("Closed form beside simulation")
	page.Pre(recw.Take())
	page.Chart("false-rollbacks.png", "false rollbacks against the threshold")
	page.Chart("time-to-rollback.png", "time to roll back against the threshold")

	fmt.Fprintln(w, "## Recommendation")
	fmt.Fprintln(w)
	rec, err := metrics.Best(&table, metrics.TimeToRollback,
		metrics.AtMost(metrics.FalseRollbackRate, maxFalseRB), metrics.AtLeast(metrics.DetectionRate, minDetected))
	if err != nil {
		return fmt.Errorf("no setting meets the target: %w", err)
	}
	fmt.Fprintf(w, "on the estimates: threshold %s, N = %s: rollback after %.0f s on average, %.2f%% false rollbacks, %.1f%% detected\n",
		param(rec.Row, "threshold"), param(rec.Row, "N"), rec.Value,
		100*rec.Row.Summary.Value(metrics.FalseRollbackRate), 100*rec.Row.Summary.Value(metrics.DetectionRate))
	strict := metrics.AtMost(metrics.FalseRollbackRate, maxFalseRB)
	strict.Confident = true
	if r2, err := metrics.Best(&table, metrics.TimeToRollback, strict, metrics.AtLeast(metrics.DetectionRate, minDetected)); err == nil {
		fmt.Fprintf(w, "with 95%% confidence: threshold %s, N = %s: rollback after %.0f s on average\n", param(r2.Row, "threshold"), param(r2.Row, "N"), r2.Value)
	} else if errors.Is(err, metrics.ErrNoneQualifies) {
		fmt.Fprintf(w, "with 95%% confidence: no setting qualifies with %d runs per scenario (run more)\n", runs)
	} else {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "why the others lost:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "threshold\tN\treason")
	for _, v := range rec.Others {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", param(v.Row, "threshold"), param(v.Row, "N"), v.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// The winner is a threshold that needs three failures in one minute,
	// judged on a single period: a second period would halve the false
	// rollbacks it no longer needs to halve and cost a minute. A lower
	// threshold with two periods also meets the target but rolls back later.

	page.Section("Recommendation")
	page.Para("With at most %.1f %% false rollbacks and at least %.0f %% of bad releases caught, the fastest setting on these runs is threshold %s over N = %s: it rolls a bad release back %.0f s after the bug starts on average, rolls back %.2f %% of good releases and catches %.1f %% of bad ones.",
		100*maxFalseRB, 100*minDetected, param(rec.Row, "threshold"), param(rec.Row, "N"), rec.Value,
		100*rec.Row.Summary.Value(metrics.FalseRollbackRate), 100*rec.Row.Summary.Value(metrics.DetectionRate))
	page.Conclusion("Threshold %s with N = %s, as measured here: a lower threshold or a single period rolls healthy releases back too often, a higher one or more periods waits longer for the same bug. "+
		"The closed forms beside the simulation say why, and the charts show where each setting stands.", param(rec.Row, "threshold"), param(rec.Row, "N"))
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := charts(outDir, &table, s.Name(), rec)
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

// pBad is the bad candidate's failure probability: its own 0.1 % or the
// bug's independent 2 %.
func pBad() float64 { return 1 - (1-healthyProb)*(1-bugErrProb) }

// alarm is the grid's alarm: deploysim.DefaultAlarm (candidate ErrorRate
// per minute, missing data not breaching) with Threshold thr and N out of N.
func alarm(thr float64, n int) rollback.Alarm {
	a := deploysim.DefaultAlarm()
	a.Name = fmt.Sprintf("ErrorRate>=%s,%dof%d", thrLabel(thr), n, n)
	a.Threshold = thr
	a.EvaluationPeriods = n
	a.DatapointsToAlarm = n
	return a
}

func thrLabel(thr float64) string { return strconv.FormatFloat(100*thr, 'g', -1, 64) + "%" }

func secs(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// param returns the value of a row's grid coordinate.
func param(r metrics.Row, name string) string {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// breachProbability is the probability that one canary minute breaches
// threshold thr when each request fails with probability p: the candidate's
// n ~ Poisson(rate × share × 60) requests hold k ~ Binomial(n, p) failures,
// and the minute breaches when n > 0 and k/n >= thr (compared in float64, as
// the alarm compares). Terms beyond n = 400 (Poisson(120) tail < 1e-80) are
// dropped.
func breachProbability(thr, p float64) float64 {
	mean := rate * canaryShare * periodSecs
	pn := distuv.Poisson{Lambda: mean}
	var q float64
	for n := 1; n <= 400; n++ {
		w := pn.Prob(float64(n))
		if w == 0 {
			continue
		}
		b := distuv.Binomial{N: float64(n), P: p}
		var tail float64
		for k := n; k >= 0 && float64(k)/float64(n) >= thr; k-- {
			tail += b.Prob(float64(k))
		}
		q += float64(w * tail) // converted: no fused multiply-add on arm64 (the same page on every GOARCH)
	}
	return q
}

// fireProbability returns the probability that N breaching minutes in a row
// occur among the visible ones when each breaches independently with
// probability q, and the mean time to rollback given that they do: the
// decision comes 2 minutes after the start of the N-th breaching minute
// (its end plus the ingestion delay, at an alarm evaluation and poll), and
// the alias flips actionSecs later.
func fireProbability(q float64, n int) (float64, float64) {
	// state[j]: probability that no alarm has fired and the last j minutes
	// breached (j < n).
	state := make([]float64, n)
	state[0] = 1
	var fired, weighted float64
	for m := 0; m < visibleMins; m++ {
		next := make([]float64, n)
		for j, pj := range state {
			next[0] += float64(pj * (1 - q))
			if j+1 == n {
				fired += float64(pj * q)
				weighted += float64(pj * q * (float64(float64(m+1)*periodSecs) + delaySecs + actionSecs))
			} else {
				next[j+1] += float64(pj * q)
			}
		}
		state = next
	}
	if fired == 0 {
		return 0, math.NaN()
	}
	return fired, weighted / fired
}

// charts draws false rollbacks and mean time to rollback against the
// threshold, one line per N, the closed form dashed and the recommended
// setting circled, and writes false-rollbacks and time-to-rollback as PNG
// and SVG.
func charts(outDir string, t *metrics.Table, label string, rec metrics.Choice) ([]string, error) {
	colors := []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
		color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
	}
	recThr, _ := strconv.ParseFloat(param(rec.Row, "threshold")[:len(param(rec.Row, "threshold"))-1], 64)
	var files []string
	for _, c := range []struct {
		name, title, ylabel string
		fig                 metrics.Figure
		scale               float64
		closed              func(thr float64, n int) float64
	}{
		{"false-rollbacks", "False rollbacks of a healthy release, " + presetShort, "false rollbacks (%)", metrics.FalseRollbackRate, 100,
			func(thr float64, n int) float64 {
				fr, _ := fireProbability(breachProbability(thr, healthyProb), n)
				return 100 * fr
			}},
		{"time-to-rollback", "Mean time to roll back a +2% bug, " + presetShort, "time to rollback (s)", metrics.TimeToRollback, 1,
			func(thr float64, n int) float64 { _, m := fireProbability(breachProbability(thr, pBad()), n); return m }},
	} {
		p := plot.New()
		p.Title.Text = c.title + " (points: simulated, dashed: closed form)"
		p.X.Label.Text = "alarm threshold on the candidate's error rate (%)"
		p.Y.Label.Text = c.ylabel
		p.Add(plotter.NewGrid())
		p.X.Tick.Marker = chart.Ticks{}
		p.Y.Tick.Marker = chart.Ticks{}
		floor := math.Inf(-1)
		ty := func(v float64) float64 { return v }
		if c.fig == metrics.FalseRollbackRate {
			// Rates span five orders of magnitude: a log axis (Log10
			// coordinates), on which zeros (no false rollback in the runs)
			// cannot be drawn.
			ty = chart.Log10
			p.Y.Tick.Marker = chart.Log10Ticks{}
			p.Y.Label.Text += ", log scale; zeros not drawn"
			floor = 1e-3
		}
		for i, n := range periods {
			var sim, closed plotter.XYs
			for _, thr := range thresholds {
				r := t.Find(label, metrics.Param{Name: "threshold", Value: thrLabel(thr)}, metrics.Param{Name: "N", Value: strconv.Itoa(n)})
				if v := r.Summary.Value(c.fig); !math.IsNaN(v) && c.scale*v > floor {
					sim = append(sim, plotter.XY{X: 100 * thr, Y: ty(c.scale * v)})
				}
				if v := c.closed(thr, n); !math.IsNaN(v) && v > floor {
					closed = append(closed, plotter.XY{X: 100 * thr, Y: ty(v)})
				}
			}
			col := colors[i%len(colors)]
			var thumbs []plot.Thumbnailer
			if len(closed) > 0 {
				l, err := plotter.NewLine(closed)
				if err != nil {
					return nil, err
				}
				l.Color = col
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
				p.Add(l)
				thumbs = []plot.Thumbnailer{l}
			}
			if len(sim) > 0 {
				l, sc, err := plotter.NewLinePoints(sim)
				if err != nil {
					return nil, err
				}
				l.Color, sc.Color = col, col
				sc.Shape = draw.CircleGlyph{}
				p.Add(l, sc)
				thumbs = []plot.Thumbnailer{l, sc}
			}
			if len(thumbs) > 0 {
				p.Legend.Add(fmt.Sprintf("N = %d of %d", n, n), thumbs...)
			}
		}
		if v := rec.Row.Summary.Value(c.fig); !math.IsNaN(v) && c.scale*v > floor {
			mark, err := plotter.NewScatter(plotter.XYs{{X: recThr, Y: ty(c.scale * v)}})
			if err != nil {
				return nil, err
			}
			mark.Shape = draw.RingGlyph{}
			mark.Radius = vg.Points(8)
			mark.Color = color.Black
			p.Add(mark)
			p.Legend.Add("recommended", mark)
		}
		saved, err := notebook.SaveFigure(&chart.Figure{Panels: []*plot.Plot{p}, Width: 10 * vg.Inch, Height: 5.5 * vg.Inch}, outDir, c.name)
		if err != nil {
			return nil, err
		}
		files = append(files, saved...)
	}
	return files, nil
}

// thrList writes the thresholds swept ("0.5%, 1%, …").
func thrList() string {
	var out []string
	for _, t := range thresholds {
		out = append(out, thrLabel(t))
	}
	return strings.Join(out, ", ")
}
