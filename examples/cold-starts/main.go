// Cold-starts: a healthy release rolled back by its own cold starts, and
// what provisioned concurrency (and the other knobs) do about it.
//
// Run it from the repository root:
//
//	go run ./examples/cold-starts          # 500 runs per row, a minute or so
//	go run ./examples/cold-starts -fast    # a few seconds, noisier numbers
//
// It prints two tables and writes p99-by-minute.{png,svg} and
// provisioned.{png,svg} into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The deployment: a function on a heavy runtime (a JVM: 1.5 s median
//     init) at 50 req/s, deployed with Canary10Percent5Minutes and guarded by
//     a p99 latency alarm on the candidate. The candidate is healthy: same
//     code speed, same errors.
//  2. One deployment, minute by minute: the candidate's published p99 with
//     its environments starting cold, and with provisioned concurrency.
//  3. Many deployments: how often the healthy release is rolled back, and
//     how often a real 3x latency regression is caught, without the
//     execution model, with it, with 1 to 5 provisioned environments, and
//     with two other knobs (EvaluateLowSampleCountPercentile, 2 of 2
//     periods).
package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

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
	notebook.Main("cold-starts", "run 20 deployments per row instead of 500 (for tests and a first look)", run)
}

const (
	rate      = 50.0 // requests per second
	threshold = 1000 // the alarm's p99 threshold, in ms: twice the healthy p99
	slowdown  = 3    // the bad candidate's latency factor
)

// scenario is the healthy deployment of section 1. With cold false, the
// execution model is off: every invocation runs in a warm environment.
func scenario(cold bool, provisioned int, a rollback.Alarm) sim.Scenario {
	sc := deploysim.HealthyScenario()
	sc.Workload = sim.Poisson{Rate: rate}
	sc.Users = sim.Users{}
	sc.Strategy = strategy.LambdaCanary10Percent5Minutes
	sc.Policy = rollback.CodeDeploy(a)
	if cold {
		sc.Concurrency = sim.DefaultConcurrency()
		// [assumed] a JVM function without SnapStart: init of 1.5 s median,
		// 4 s at p99, where the library's default (300 ms, 1 s) suits a
		// small Node.js or Python function.
		sc.Concurrency.InitP50 = 1500 * time.Millisecond
		sc.Concurrency.InitP99 = 4 * time.Second
		sc.Candidate.Provisioned = provisioned
	}
	return sc
}

// latencyAlarm is the guard: the candidate's p99 Duration over a minute
// >= 1,000 ms, 1 out of 1, missing data not breaching.
func latencyAlarm() rollback.Alarm {
	return rollback.Alarm{
		Name:              "CandidateP99",
		Metric:            metrics.Duration,
		Dimension:         metrics.Candidate,
		Statistic:         metrics.Statistic{Kind: metrics.Percentile, P: 99},
		Period:            time.Minute,
		EvaluationPeriods: 1,
		DatapointsToAlarm: 1,
		Threshold:         threshold,
		Comparison:        rollback.GreaterThanOrEqualToThreshold,
		TreatMissingData:  rollback.TreatNotBreaching,
	}
}

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 500
	if fast {
		runs = 20
	}

	// ## 1. The deployment
	//
	// Both versions answer in 100 ms at the median and 500 ms at p99
	// (sim.BaseScenario's lognormal). The alarm fires when a minute's p99
	// reaches 1 s, twice the healthy p99: without cold starts, a minute of
	// about 300 canary requests needs 4 of them over 1 s to get there, each
	// with probability 0.04 %, which practically never happens.
	//
	// With the execution model on (sim.DefaultConcurrency, a warm baseline),
	// the candidate is a new version with no environment [doc]: its first
	// request pays the init, and every request that arrives while all its
	// environments are busy — including busy initialising — starts another
	// one. The latency the caller waits for, and the model publishes as
	// Duration, is init + handler. (Lambda's own Duration metric leaves the
	// init out, so the alarm here is the one on what callers see, such as API
	// Gateway's Latency; see sim's execution-model notes.)
	fmt.Fprintln(w, "# Cold starts against a p99 latency alarm")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s at %g req/s; init 1.5 s median (a JVM); alarm: candidate Duration p99 >= %d ms over 1 minute; %d runs per row\n\n",
		strategy.LambdaCanary10Percent5Minutes.Name(), rate, threshold, runs)
	page := notebook.NewPage("Cold starts against a p99 latency alarm",
		"Does a healthy canary's own cold starts trip a p99 latency alarm, and what does provisioned concurrency on the candidate buy?")
	page.Section("Setup")
	page.Para("%s at %g req/s; the new version starts with no warm environments and an init of 1.5 s median (a JVM); the alarm rolls back when the candidate's p99 Duration over a minute reaches %d ms. "+
		"%d healthy and %d bad deployments (the bad one %dx slower) per row.", strategy.LambdaCanary10Percent5Minutes.Name(), rate, threshold, runs, runs, slowdown)
	rec := notebook.Record(w)

	// ## 2. One deployment, minute by minute
	//
	// The same seed with no policy (so nothing stops the deployment and
	// every minute is published) and the per-period series kept; the table
	// reads the candidate's p99 from it, as the alarm would, for 0 and 5
	// provisioned environments.
	provLook := 5
	minutes := make([][]minute, 2)
	for i, prov := range []int{0, provLook} {
		sc := scenario(true, prov, latencyAlarm())
		sc.Policy = nil
		sc.KeepSeries = true
		sc.Seed = 7
		r, err := sim.Run(sc)
		if err != nil {
			return err
		}
		minutes[i] = byMinute(r.Series)
	}
	fmt.Fprintln(w, "## One deployment: the candidate's p99 per minute")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "minute\tcandidate requests\tp99 ms, cold\tp99 ms, %d provisioned\tbreaches (cold)\n", provLook)
	for m := range min(len(minutes[0]), len(minutes[1])) {
		a, b := minutes[0][m], minutes[1][m]
		if a.invocations == 0 {
			continue // after promotion: the run admits no more requests
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%s\t%s\t%v\n", m, a.invocations, ms(a.p99), ms(b.p99), a.p99 >= threshold)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// Minute 0 carries the cold starts: its p99 is an init, well over 1 s,
	// and the alarm sees it at 2:00 and rolls the healthy release back. With
	// five environments initialised before the first shift, the canary's
	// requests find a warm one and the minute looks like every other. The
	// jump to 100 % at 5:00 would bring a second wave of cold starts, but
	// CodeDeploy no longer watches then (and the run, ending with the
	// deployment, stops there).

	// ## 3. Many deployments
	//
	// Each row runs the healthy candidate (false rollbacks, cold starts) and
	// one that is three times slower on every request (a real latency
	// regression: detection, time to rollback), on the same seeds.
	//
	// How many environments to provision? During the canary the candidate
	// serves λ·w = 5 req/s for E[latency] = 127 ms each (the lognormal's
	// mean): a = 0.64 busy at a time on average. Poisson arrivals to an
	// M/G/∞ pool keep the busy count Poisson(a), so k environments are all
	// busy with probability P(Poisson(a) >= k): 13 % for k = 2, 2.7 % for 3,
	// 0.4 % for 4, 0.05 % for 5 — the usual a + 3√a rule gives 3.
	page.Section("One deployment: the candidate's p99 per minute")
	page.Pre(rec.Take())
	page.Chart("p99-by-minute.png", "candidate p99 per minute, cold and provisioned")
	if len(minutes[0]) > 0 && len(minutes[1]) > 0 {
		page.Para("In its first minute the cold candidate's p99 is %s ms against the alarm's %d ms; with %d provisioned environments it is %s ms.",
			ms(minutes[0][0].p99), threshold, provLook, ms(minutes[1][0].p99))
	}

	ignore := latencyAlarm()
	ignore.EvaluateLowSampleCountPercentile = rollback.LowSampleIgnore
	twoOfTwo := latencyAlarm()
	twoOfTwo.EvaluationPeriods, twoOfTwo.DatapointsToAlarm = 2, 2
	rows := []struct {
		label       string
		cold        bool
		provisioned int
		alarm       rollback.Alarm
	}{
		{"always warm (no execution model)", false, 0, latencyAlarm()},
		{"cold candidate", true, 0, latencyAlarm()},
		{"provisioned 1", true, 1, latencyAlarm()},
		{"provisioned 2", true, 2, latencyAlarm()},
		{"provisioned 3", true, 3, latencyAlarm()},
		{"provisioned 5", true, 5, latencyAlarm()},
		{"cold, low-sample percentile ignored", true, 0, ignore},
		{"cold, 2 of 2 periods", true, 0, twoOfTwo},
	}
	fmt.Fprintln(w, "## Many deployments: false rollbacks and detection")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "setting\tfalse rollbacks\tcold starts (both versions)\tcandidate p99 ms\tdetected (%dx slower)\trollback s\n", slowdown)
	var provX, provFR, provDet plotter.XYs
	falseRB := map[string]float64{}
	for _, r := range rows {
		sc := scenario(r.cold, r.provisioned, r.alarm)
		healthy, err := sim.MonteCarlo(ctx, sc, runs, sim.MonteCarloOptions{})
		if err != nil {
			return fmt.Errorf("%s, healthy: %w", r.label, err)
		}
		sc.Fault = sim.Fault{LatencyFactor: slowdown}
		bad, err := sim.MonteCarlo(ctx, sc, runs, sim.MonteCarloOptions{})
		if err != nil {
			return fmt.Errorf("%s, bad: %w", r.label, err)
		}
		fr := healthy.Rate(metrics.FalseRollbackRate)
		det := bad.Rate(metrics.DetectionRate)
		falseRB[r.label] = fr.Value
		fmt.Fprintf(tw, "%s\t%.1f%% [%.1f, %.1f]\t%.1f\t%.0f\t%.1f%%\t%s\n", r.label,
			100*fr.Value, 100*fr.CILow, 100*fr.CIHigh,
			healthy.Value(metrics.ColdStarts), healthy.Value(metrics.CandidateP99Latency),
			100*det.Value, ms(bad.Value(metrics.TimeToRollback)))
		if r.cold && r.alarm.EvaluationPeriods == 1 && r.alarm.EvaluateLowSampleCountPercentile == rollback.LowSampleEvaluate {
			x := float64(r.provisioned)
			provX = append(provX, plotter.XY{X: x})
			provFR = append(provFR, plotter.XY{X: x, Y: 100 * fr.Value})
			provDet = append(provDet, plotter.XY{X: x, Y: 100 * det.Value})
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// What the numbers say (500 runs per row). Without cold starts the alarm
	// never fires on a healthy candidate; with them it rolls back nearly
	// every one. Provisioned concurrency removes the cause: the false
	// rollbacks fall steeply with each environment, to almost none at 5, in
	// step with the chance that a burst finds k environments all busy,
	// P(Poisson(0.64) >= k) = 47 %, 13 %, 2.7 % and 0.05 % for k = 1, 2, 3
	// and 5; and the 3x regression is still caught every time. The other two
	// knobs hide the symptom at a price. EvaluateLowSampleCountPercentile =
	// ignore skips every minute with fewer than 1,000 samples (10/(1-0.99)
	// [doc]) — all of them at 5 req/s — so the alarm never fires at all, on
	// a healthy candidate or a slow one. Two periods out of two let the cold
	// minute pass, but the regression is caught a minute later.
	//
	// The cold starts are counted on both versions: the four or so left with
	// five provisioned environments are the baseline's, whose warm pool
	// (sim.Concurrency.WarmBaseline: a + 3√a environments for its initial
	// traffic) is now and then outgrown by a burst.

	page.Section("Many deployments: false rollbacks and detection")
	page.Pre(rec.Take())
	page.Chart("provisioned.png", "false rollbacks and detection against provisioned concurrency")
	page.Para("A healthy candidate is rolled back in %.1f %% of deployments when it starts cold, %.1f %% when it is always warm, and %.1f %% with 5 provisioned environments; ignoring percentiles of too few samples gives %.1f %%, two periods of two %.1f %%.",
		100*falseRB["cold candidate"], 100*falseRB["always warm (no execution model)"], 100*falseRB["provisioned 5"], 100*falseRB["cold, low-sample percentile ignored"], 100*falseRB["cold, 2 of 2 periods"])
	page.Conclusion("The alarm reads a healthy canary's cold starts as a latency regression: %.1f %% of good releases rolled back here. Provision the candidate during the shift, or let the alarm ignore percentiles of few samples, before trusting a p99 alarm on a canary.",
		100*falseRB["cold candidate"])
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := charts(outDir, minutes, provLook, provFR, provDet)
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

// minute is what one published minute of the candidate holds.
type minute struct {
	invocations, p99 float64
}

// byMinute reads the candidate's invocations and p99 Duration (CloudWatch's
// nearest-rank percentile) per minute from a run's series.
func byMinute(s *metrics.Series) []minute {
	if s == nil {
		return nil
	}
	per := int(time.Minute / s.Resolution)
	var out []minute
	for from := 0; from < len(s.Periods); from += per {
		var v metrics.VersionStats
		s.Aggregate(metrics.Candidate, from, from+per, &v)
		p99, ok := v.Value(metrics.Duration, metrics.Statistic{Kind: metrics.Percentile, P: 99})
		if !ok {
			p99 = math.NaN()
		}
		out = append(out, minute{invocations: v.Invocations, p99: p99})
	}
	return out
}

func ms(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// charts writes p99-by-minute (the candidate's p99 per minute of one
// deployment, cold and provisioned, against the threshold) and provisioned
// (false rollbacks and detection against provisioned concurrency).
func charts(outDir string, minutes [][]minute, provLook int, provFR, provDet plotter.XYs) ([]string, error) {
	blue := color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	orange := color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	red := color.RGBA{0xd6, 0x27, 0x28, 0xff}
	var files []string
	save := func(p *plot.Plot, name string) error {
		saved, err := notebook.SaveFigure(chart.NewFigure(p), outDir, name)
		if err != nil {
			return err
		}
		files = append(files, saved...)
		return nil
	}

	p := plot.New()
	p.Title.Text = "Candidate p99 latency per minute, one healthy deployment"
	p.X.Label.Text = "minute since the deployment started"
	p.Y.Label.Text = "candidate p99 duration (ms), per minute"
	p.Y.Tick.Marker = chart.Ticks{}
	p.Y.Min = 0
	p.X.Tick.Marker = wholeTicks{}
	p.Add(plotter.NewGrid())
	for i, label := range []string{"cold candidate", fmt.Sprintf("%d provisioned", provLook)} {
		var xys plotter.XYs
		for m, v := range minutes[i] {
			if !math.IsNaN(v.p99) && v.p99 > 0 {
				xys = append(xys, plotter.XY{X: float64(m), Y: v.p99})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		c := []color.Color{blue, orange}[i]
		l.Color, sc.Color = c, c
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(label, l, sc)
	}
	n := float64(max(len(minutes[0]), 1))
	thr, err := plotter.NewLine(plotter.XYs{{X: 0, Y: threshold}, {X: n - 1, Y: threshold}})
	if err != nil {
		return nil, err
	}
	thr.Color = red
	thr.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(thr)
	p.Legend.Add(fmt.Sprintf("alarm threshold (%d ms)", threshold), thr)
	top := float64(threshold)
	for _, ms := range minutes {
		for _, v := range ms {
			if !math.IsNaN(v.p99) {
				top = math.Max(top, v.p99)
			}
		}
	}
	p.Y.Max = 1.1 * top // room above the highest point
	p.Legend.Top = true
	if err := save(p, "p99-by-minute"); err != nil {
		return nil, err
	}

	p = plot.New()
	p.Title.Text = "Provisioned concurrency on the candidate"
	p.X.Label.Text = "provisioned environments"
	p.Y.Label.Text = "deployments (%)"
	p.Y.Min, p.Y.Max = 0, 105
	p.X.Tick.Marker = wholeTicks{}
	p.Add(plotter.NewGrid())
	for _, s := range []struct {
		label string
		xys   plotter.XYs
		c     color.Color
	}{{"false rollbacks (healthy)", provFR, red}, {fmt.Sprintf("detected (%dx slower)", slowdown), provDet, blue}} {
		if len(s.xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = s.c, s.c
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s.label, l, sc)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.YOffs = vg.Points(40)
	if err := save(p, "provisioned"); err != nil {
		return nil, err
	}
	return files, nil
}

// wholeTicks labels every whole number of an axis (minutes, environments).
type wholeTicks struct{}

// Ticks implements plot.Ticker.
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ts
}
