// Low-traffic: why a 10 % canary cannot reliably catch a bug at 1 request
// per second in 5 minutes, and how much traffic each Lambda preset needs
// before its alarm catches a bug 95 times out of 100.
//
// Run it from the repository root:
//
//	go run ./examples/low-traffic           # thousands of runs per point, a minute or two
//	go run ./examples/low-traffic -fast     # a few seconds, noisier numbers
//
// It prints three tables and writes detection.png and detection.svg into
// -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. One deployment, worked by hand: Canary10Percent5Minutes at 1 req/s with
//     a bug that fails 5 % of the candidate's requests. How many of its
//     requests can the alarm see before the canary is promoted? The closed
//     form, then the simulator, agree: about 7 deployments in 10 are caught.
//  2. The same question at every traffic level and for every preset: the
//     detection probability against traffic (table and chart), with the
//     closed form drawn through the simulated points.
//  3. The lowest traffic at which each preset catches the bug 95 % of the
//     time, found by bisection on the simulated rate, beside the closed form.
package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
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
	notebook.Main("low-traffic", "few runs per point (for tests and a first look)", run)
}

// budget is how many simulated deployments each section spends per point.
type budget struct {
	worked, curve, bisect int
	tolerance             float64 // the bisection stops when hi/lo <= 1+tolerance
}

// The failure probability of the bad candidate's requests: its own 0.1 %
// plus the bug's independent 5 %, p = 1-(1-0.001)(1-0.05) = 0.05095; and of
// a healthy one's, p0 = 0.001 (deploysim.DefaultScenario).
var (
	pBad     = 1 - (1-deploysim.DefaultBaselineErrorProb)*(1-bugErrorProb)
	pHealthy = deploysim.DefaultBaselineErrorProb
)

// bugErrorProb is this example's bad candidate: an extra 5 % of its
// invocations fail (deploysim.DefaultScenario's own bug is a subtler 2 %, at
// a quieter 5 req/s; this example keeps the 5 % its narrative was written for).
const bugErrorProb = 0.05

// target is the detection probability section 3 asks for.
const target = 0.95

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	b := budget{worked: 4000, curve: 1000, bisect: 2000, tolerance: 0.02}
	if fast {
		b = budget{worked: 400, curve: 40, bisect: 200, tolerance: 0.15}
	}

	// ## 1. One deployment, worked by hand
	//
	// The scenario is deploysim.DefaultScenario at 1 req/s: the candidate
	// fails p = 5.1 % of its requests; one CloudWatch alarm fires when the
	// candidate's error rate over a minute reaches 1 %; CodeDeploy polls it
	// every minute. The run ends with the deployment (Horizon 0): we only ask
	// whether the bug is caught, not what it costs afterwards.
	//
	// The timeline decides everything. Canary10Percent5Minutes sends 10 % of
	// traffic to the candidate from t0 and promotes it at 5 minutes, and
	// CodeDeploy stops reading alarms then. A minute's datapoint reaches the
	// alarm 60 s after the minute ends (the ingestion delay), so the last
	// look, at 5:00, sees minutes 0-3 only: the requests of the fifth minute
	// can fail, but nobody sees them fail in time. The candidate's requests
	// the alarm can see are 10 % × 240 s × 1 req/s = 24 on average, and the
	// failures among them are Poisson with mean
	//
	//	m = λ · E · p = 1 × 24 s × 0.05095 = 1.22,
	//
	// where E = ∫ weight dt over the visible minutes (the "visible exposure").
	// No policy that watches errors can roll back a deployment in which none
	// of those requests failed, so for every such policy
	//
	//	P(detect) <= 1 - e^(-m) = 70.6 %.
	//
	// This alarm reaches that bound: with about six candidate requests a
	// minute, one failure is already a 17 % error rate, far over 1 %. The
	// bound is the point: even the most trigger-happy alarm lets 3 bad
	// deployments in 10 through. A common "Errors Sum >= 5 in a minute"
	// alarm does far worse: it needs five failures among the six requests of
	// one minute, P = 1 - P(Poisson(0.31) <= 4)^4, about 7 in 100,000.
	const rate = 1.0
	canary := strategy.LambdaCanary10Percent5Minutes
	exposure := visibleExposure(canary)
	m := rate * exposure * pBad
	fmt.Fprintln(w, "# Low traffic: what a canary can see")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "## 1. %s at %g req/s, a %.0f%% bug\n\n", canary.Name(), rate, 100*bugErrorProb)
	fmt.Fprintf(w, "visible exposure E = %.0f s of full traffic (10%% of the %v before the last alarm look, minus one period and the ingestion delay)\n",
		exposure, canary.Schedule().Duration())
	fmt.Fprintf(w, "expected visible candidate requests λE = %.1f, failures m = λEp = %.3f, P(none) = e^-m = %.1f%%\n\n", rate*exposure, m, 100*math.Exp(-m))
	page := notebook.NewPage("Low traffic: what a canary can see",
		"How much traffic does a canary need to catch a bug before it promotes, and what does it cost at less?")
	page.Section("Setup")
	page.Para("%s at %g req/s; the bug fails an extra %.0f %% of the candidate's requests (%.1f %% in all); one alarm on the candidate's error rate per minute, watched by CodeDeploy. "+
		"The alarm can only act on what it sees before the last look: %.0f s of full traffic (the visible exposure E), so it expects λE = %.1f candidate requests and m = λEp = %.3f failures among them: with probability e^-m = %.1f %% it sees none.",
		canary.Name(), rate, 100*deploysim.DefaultFaultErrorProb, 100*pBad, exposure, rate*exposure, m, 100*math.Exp(-m))
	rec := notebook.Record(w)

	perMinute := rate * 0.1 * 60 * pBad // candidate failures per visible minute
	visibleMinutes := exposure / (0.1 * 60)
	countBound := 1 - math.Pow(distuv.Poisson{Lambda: perMinute}.CDF(4), visibleMinutes)
	policies := []struct {
		label  string
		policy rollback.Policy
		closed float64
	}{
		{"ErrorRate >= 1% (1 of 1)", rollback.CodeDeploy(deploysim.DefaultAlarm()), 1 - math.Exp(-m)},
		{"Errors Sum >= 5 (1 of 1)", rollback.CodeDeploy(countAlarm()), countBound},
	}
	tw := tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "policy\tclosed form\tsimulated [95% CI]\truns")
	fmt.Fprintf(tw, "any visible failure (bound)\t%.1f%%\t-\t-\n", 100*(1-math.Exp(-m)))
	detected := make([]float64, len(policies))
	for i, p := range policies {
		sc := scenario(rate, canary)
		sc.Policy = p.policy
		sum, err := sim.MonteCarlo(ctx, sc, b.worked, sim.MonteCarloOptions{})
		if err != nil {
			return err
		}
		d := sum.Rate(metrics.DetectionRate)
		detected[i] = d.Value
		fmt.Fprintf(tw, "%s\t%s\t%.1f%% [%.1f, %.1f]\t%d\n", p.label, pct(p.closed), 100*d.Value, 100*d.CILow, 100*d.CIHigh, sum.Runs())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// The simulated rate falls inside its interval around the closed form:
	// the simulator's alarm, ingestion delay and CodeDeploy's polling behave
	// as the timeline above says.

	// ## 2. Detection against traffic, every preset
	//
	// The same reasoning holds for every preset, with the visible exposure E
	// of its own schedule: a linear preset's weight grows while it is still
	// watched, and a longer canary is watched longer. The bound
	// 1 - e^(-λEp) is exact as long as one failure in a minute is a 1 %
	// error rate (fewer than 100 candidate requests a minute); above that the
	// alarm needs more failures and the simulated points fall under the
	// curve, where it no longer matters much, as detection is near certain.
	page.Section("The canary at 1 req/s: closed form against simulation")
	page.Pre(rec.Take())
	page.Para("The error-rate alarm catches the bug in %.1f %% of simulated deployments (closed form %.1f %%); an alarm on a count of 5 errors catches it in %.1f %% (closed form %s): at this traffic a count threshold is blind.",
		100*detected[0], 100*policies[0].closed, 100*detected[1], pct(policies[1].closed))

	presets := strategy.LambdaPresets()
	curveRates := []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}
	fmt.Fprintln(w, "## 2. Detection probability against traffic (simulated)")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "strategy\tE s")
	for _, r := range curveRates {
		fmt.Fprintf(tw, "\t%g req/s", r)
	}
	fmt.Fprintln(tw)
	simulated := make([]plotter.XYs, len(presets))
	for j := range presets {
		simulated[j] = make(plotter.XYs, len(curveRates))
	}
	for i, r := range curveRates {
		t, err := deploysim.Compare(ctx, scenario(r, nil), presets, b.curve)
		if err != nil {
			return err
		}
		for j, row := range t.Rows {
			simulated[j][i] = plotter.XY{X: r, Y: row.Summary.Rate(metrics.DetectionRate).Value}
		}
	}
	for j, s := range presets {
		fmt.Fprintf(tw, "%s\t%.0f", s.Name(), visibleExposure(s))
		for i := range curveRates {
			fmt.Fprintf(tw, "\t%.0f%%", 100*simulated[j][i].Y)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// AllAtOnce never detects anything: it is over at t0, before any alarm
	// is read. Among the others, what matters is E, not the preset's length:
	// Linear10PercentEvery1Minute (9 minutes, E = 216 s) sees more than
	// Canary10Percent30Minutes (30 minutes, E = 174 s).

	// ## 3. The traffic each preset needs
	//
	// Setting 1 - e^(-λEp) = 0.95 gives the closed form λ95 = ln 20 / (E p).
	// The simulator finds its own by bisection on the rate (geometric
	// midpoints, the same seeds at every rate so that the estimate moves
	// smoothly), keeping the lowest rate that detected in at least 95 % of
	// its runs. At λ95 the alarm's false-rollback rate follows from the same
	// count: a healthy candidate fails p0 = 0.1 % of requests, so
	// P(false rollback) = 1 - e^(-λ95 E p0) = 1 - 0.05^(p0/p) = 5.7 %, the
	// same for every preset: at low traffic this alarm's trade-off between
	// catching bugs and rolling back good releases is fixed by the ratio of
	// the two error rates, whichever preset runs it.
	page.Section("Detection probability against traffic")
	page.Pre(rec.Take())
	page.Chart("detection.png", "detection probability against traffic per preset")
	page.Para("At %g req/s %s catches the bug in %.0f %% of deployments and %s in %.0f %%; at %g req/s they reach %.0f %% and %.0f %%.",
		curveRates[0], presets[0].Name(), 100*simulated[0][0].Y, presets[len(presets)-2].Name(), 100*simulated[len(presets)-2][0].Y,
		curveRates[len(curveRates)-1], 100*simulated[0][len(curveRates)-1].Y, 100*simulated[len(presets)-2][len(curveRates)-1].Y)

	fmt.Fprintf(w, "## 3. Lowest traffic detecting with %.0f%% probability\n\n", 100*target)
	tw = tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tE s\tclosed form req/s\tsimulated req/s\tdetected at it\trequests/day\tfalse rollbacks: closed form\tsimulated")
	lowest := map[string]float64{}
	for _, s := range presets {
		e := visibleExposure(s)
		if e == 0 {
			fmt.Fprintf(tw, "%s\t0\tnever\tnever\t-\t-\t-\t-\n", s.Name())
			continue
		}
		closed := math.Log(1/(1-target)) / (e * pBad)
		found, det, err := lowestRate(ctx, s, b, closed)
		if err != nil {
			return err
		}
		healthy := scenario(found, s)
		healthy.Fault = sim.Fault{}
		hs, err := sim.MonteCarlo(ctx, healthy, b.bisect, sim.MonteCarloOptions{})
		if err != nil {
			return err
		}
		lowest[s.Name()] = found
		fmt.Fprintf(tw, "%s\t%.0f\t%.4f\t%.4f\t%.1f%%\t%.0f\t%.1f%%\t%.1f%%\n",
			s.Name(), e, closed, found, 100*det, found*86400,
			100*(1-math.Exp(-found*e*pHealthy)), 100*hs.Rate(metrics.FalseRollbackRate).Value)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// The simulated rates land within a few percent of the closed form (the
	// bisection's tolerance and the Monte Carlo error of a 95 % rate over the
	// runs), and so do the simulated false-rollback rates of a healthy
	// candidate at those rates. Read requests/day as a rule of thumb: a function
	// with fewer requests a day than its preset needs cannot rely on that
	// preset's alarm; it needs a longer preset, a larger canary, a synthetic
	// load during the canary, or a pre-traffic hook that tests the candidate.

	page.Section(fmt.Sprintf("Lowest traffic detecting with %.0f %% probability", 100*target))
	page.Pre(rec.Take())
	c5, l10 := presets[0].Name(), presets[len(presets)-2].Name()
	page.Para("%s needs %.3f req/s (%s requests a day) to catch the bug %.0f %% of the time; %s, which watches for longer, needs %.4f req/s. AllAtOnce never catches it: CodeDeploy stops watching as soon as it is deployed.",
		c5, lowest[c5], chart.FormatNumber(lowest[c5]*86400, 0), 100*target, l10, lowest[l10])
	page.Conclusion("A canary sees only the traffic it gets before its last look: below about %.2f req/s a 10 %%, 5-minute canary misses a %.0f %% bug more often than 1 time in 20. "+
		"At low traffic, watch longer (a longer or linear preset), or raise the traffic the candidate gets, rather than tighten the threshold.", lowest[c5], 100*deploysim.DefaultFaultErrorProb)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := detectionChart(outDir, presets, simulated)
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

// scenario is deploysim.DefaultScenario at rate req/s, ending with the
// deployment (Horizon 0) and without a user population, which this example
// does not look at.
func scenario(rate float64, s strategy.Strategy) sim.Scenario {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: rate}
	sc.Fault = sim.Fault{ErrorProb: bugErrorProb}
	sc.Users = sim.Users{}
	sc.Horizon = 0
	sc.Strategy = s
	sc.Resolution = sim.Auto
	return sc
}

// countAlarm is the alarm many teams start with: the candidate's Errors Sum
// over a minute >= 5.
func countAlarm() rollback.Alarm {
	a := deploysim.DefaultAlarm()
	a.Name = "CandidateErrors"
	a.Metric = metrics.Errors
	a.Threshold = 5
	return a
}

// visibleExposure is E = ∫ weight dt, in seconds, over the metric periods
// whose datapoints CodeDeploy can still act on: the last poll while the
// deployment runs is at the schedule's end rounded down to the poll interval
// (CodeDeploy polls at every multiple of DefaultPollInterval, evaluation
// before poll, both before the final weight step of the same instant), and a
// period is visible DefaultIngestionDelay after it ends. Canary10Percent5Minutes:
// last poll at 5:00, periods up to 4:00 visible, E = 0.1 × 240 s = 24 s.
func visibleExposure(s strategy.Strategy) float64 {
	sched := s.Schedule()
	d := sched.Duration()
	poll := rollback.DefaultPollInterval
	last := d / poll * poll
	if last <= 0 {
		return 0
	}
	k := (last - sim.DefaultIngestionDelay) / sim.DefaultPeriod
	if k <= 0 {
		return 0
	}
	end := k * sim.DefaultPeriod
	var e float64
	for i, st := range sched {
		from := st.At
		to := end
		if i+1 < len(sched) {
			to = min(to, sched[i+1].At)
		}
		if to > from {
			e += float64(st.Weight * (to - from).Seconds()) // converted: no fused multiply-add on arm64
		}
	}
	return e
}

// detection is the simulated detection rate of s at rate req/s.
func detection(ctx context.Context, s strategy.Strategy, rate float64, runs int) (float64, error) {
	sum, err := sim.MonteCarlo(ctx, scenario(rate, s), runs, sim.MonteCarloOptions{})
	if err != nil {
		return 0, err
	}
	return sum.Rate(metrics.DetectionRate).Value, nil
}

// lowestRate finds, by bisection on log(rate), the lowest rate at which s
// detects the bug in at least target of b.bisect runs, starting from a
// bracket around guess. It returns that rate and its detection rate.
func lowestRate(ctx context.Context, s strategy.Strategy, b budget, guess float64) (float64, float64, error) {
	lo, hi := guess/2, guess*2
	dLo, err := detection(ctx, s, lo, b.bisect)
	if err != nil {
		return 0, 0, err
	}
	for dLo >= target && lo > 1e-6 {
		hi, lo = lo, lo/2
		if dLo, err = detection(ctx, s, lo, b.bisect); err != nil {
			return 0, 0, err
		}
	}
	dHi, err := detection(ctx, s, hi, b.bisect)
	if err != nil {
		return 0, 0, err
	}
	for dHi < target {
		if hi > 1e4 {
			return math.Inf(1), dHi, nil
		}
		lo, hi = hi, hi*2
		if dHi, err = detection(ctx, s, hi, b.bisect); err != nil {
			return 0, 0, err
		}
	}
	for hi/lo > 1+b.tolerance {
		mid := math.Sqrt(lo * hi)
		d, err := detection(ctx, s, mid, b.bisect)
		if err != nil {
			return 0, 0, err
		}
		if d >= target {
			hi, dHi = mid, d
		} else {
			lo = mid
		}
	}
	return hi, dHi, nil
}

// pct prints a probability in percent with enough digits to tell a tiny one
// from zero.
func pct(p float64) string {
	if p < 0.001 {
		return fmt.Sprintf("%.4f%%", 100*p)
	}
	return fmt.Sprintf("%.1f%%", 100*p)
}

// detectionChart draws, per preset, the simulated detection rates (points)
// and the closed form 1 - e^(-λEp) (line) against the rate on a log axis,
// and writes detection.png and detection.svg.
func detectionChart(outDir string, presets []strategy.Strategy, simulated []plotter.XYs) ([]string, error) {
	p := plot.New()
	p.Title.Text = "Chance to catch a 5 % bug against traffic: simulated (points) and 1 - exp(-λEp) (lines)"
	p.X.Label.Text = "traffic (requests per second, log scale)"
	p.Y.Label.Text = "bad releases rolled back (%)"
	p.X.Tick.Marker = chart.Log10Ticks{}
	p.Y.Tick.Marker = chart.Ticks{}
	p.Y.Min, p.Y.Max = 0, 105
	grid := plotter.NewGrid()
	p.Add(grid)
	lo, hi := simulated[0][0].X, simulated[0][len(simulated[0])-1].X
	for j, s := range presets {
		c := palette[j%len(palette)]
		e := visibleExposure(s)
		var curve plotter.XYs
		for i := 0; i <= 100; i++ {
			r := lo * math.Pow(hi/lo, float64(i)/100)
			curve = append(curve, plotter.XY{X: chart.Log10(r), Y: 100 * (1 - math.Exp(-r*e*pBad))})
		}
		l, err := plotter.NewLine(curve)
		if err != nil {
			return nil, err
		}
		l.Color = c
		pts := make(plotter.XYs, len(simulated[j]))
		for i, q := range simulated[j] {
			pts[i] = plotter.XY{X: chart.Log10(q.X), Y: 100 * q.Y}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.Color = c
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(2.5)
		p.Add(l, sc)
		p.Legend.Add(s.Name(), l, sc)
	}
	var files []string
	saved, err := notebook.SaveFigure(&chart.Figure{Panels: []*plot.Plot{p}, Width: 10 * vg.Inch, Height: 6 * vg.Inch}, outDir, "detection")
	if err != nil {
		return nil, err
	}
	files = append(files, saved...)
	return files, nil
}

// palette has one colour per preset (Tableau 10).
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
	color.RGBA{0xbc, 0xbd, 0x22, 0xff},
}
