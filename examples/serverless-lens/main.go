// Serverless-lens: the AWS Serverless Applications Lens rates all-at-once
// deployments for low-concurrency workloads, blue/green for medium and
// canary or linear for high concurrency. This notebook puts numbers on that
// table for one function with realistic limits, and says where it holds.
//
// Run it from the repository root:
//
//	go run ./examples/serverless-lens          # 100 runs per cell, a few minutes
//	go run ./examples/serverless-lens -fast    # 4 runs per cell, seconds
//
// It prints two tables and writes healthy.{png,svg} and bad.{png,svg} into
// -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The function and its limits: a synchronous API function (median 200 ms,
//     p99 1 s), reserved concurrency with 50 % headroom over its steady
//     concurrency, Lambda's scaling limit, a 300 ms median cold start; at
//     three traffic levels whose steady concurrency is about 0.5, 12 and 125.
//  2. A healthy release: what each strategy costs the callers while it
//     moves traffic to a version with no warm environment — cold starts,
//     their latency spike, throttled requests.
//  3. A bad release (5 % of its requests fail): the failed requests until
//     CodeDeploy's alarm rolls it back, or until the horizon when nothing
//     does.
//  4. Where the table holds and where it does not.
package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/examples/internal/notebook"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func main() {
	notebook.Main("serverless-lens", "run 4 deployments per cell instead of 100 (for tests and a first look)", run)
}

// level is one workload of the Lens table.
type level struct {
	name string
	rate float64 // requests per second
}

var levels = []level{{"low", 2}, {"medium", 50}, {"high", 500}}

const (
	p50, p99    = 200 * time.Millisecond, time.Second
	headroom    = 1.5  // reserved concurrency / peak steady concurrency
	minReserved = 10   // the smallest reservation a team would set
	faultErrors = 0.05 // the bad release's extra error probability
	horizon     = 16 * time.Minute
	bake        = 5 * time.Minute
)

// meanLatency is the lognormal's mean, exp(μ + σ²/2) with μ = ln p50 and
// σ = ln(p99/p50)/z99: 254 ms.
func meanLatency() float64 {
	l := sim.LogNormalFromQuantiles(float64(p50)/1e6, float64(p99)/1e6, nil)
	return math.Exp(l.Mu + float64(l.Sigma*l.Sigma/2)) // converted: no fused multiply-add on arm64
}

// reserved is the reservation of a level: 1.5 × the peak of the steady
// concurrency, a + 4√a with a = λ·E[latency] (Little's law; the busy count
// of Poisson arrivals is Poisson(a), which exceeds a + 4√a about once in
// 30,000 samples), at least 10. Sized on the mean a alone, the reservation
// of the medium level would throttle every few seconds with no deployment
// at all.
func reserved(l level) int {
	a := l.rate * meanLatency() / 1000
	return max(minReserved, int(math.Ceil(headroom*(a+float64(4*math.Sqrt(a))))))
}

// deployment is one column of the table.
type deployment struct {
	name   string
	s      strategy.Strategy
	warmed bool // provisioned concurrency on the new version
}

var deployments = []deployment{
	{"AllAtOnce", strategy.LambdaAllAtOnce, false},
	{"BlueGreen10Minutes", strategy.BlueGreen{Validation: 10 * time.Minute}, false},
	{"BlueGreen10Minutes, green pre-warmed", strategy.BlueGreen{Validation: 10 * time.Minute}, true},
	{"Canary10Percent5Minutes", strategy.LambdaCanary10Percent5Minutes, false},
	{"Linear10PercentEvery1Minute", strategy.LambdaLinear10PercentEvery1Minute, false},
}

// scenario is the deployment d of the function at level l: healthy (the
// fault is set by the caller for a bad release).
func scenario(l level, d deployment) sim.Scenario {
	sc := sim.BaseScenario()
	sc.Workload = sim.Poisson{Rate: l.rate}
	sc.Strategy = d.s
	for _, v := range []*sim.Version{&sc.Baseline, &sc.Candidate} {
		v.P50, v.P99 = p50, p99
		v.ErrorProb = deploysim.DefaultBaselineErrorProb
	}
	sc.Concurrency = sim.DefaultConcurrency()
	sc.Concurrency.ReservedLimit = reserved(l)
	sc.Concurrency.ScalingLimit = true
	if d.warmed {
		// Provisioned concurrency on green, as much as the steady
		// concurrency needs (a + 3√a), within the reservation.
		a := l.rate * meanLatency() / 1000
		sc.Candidate.Provisioned = min(reserved(l), int(math.Ceil(a+float64(3*math.Sqrt(a)))))
	}
	sc.Policy = rollback.CodeDeploy(deploysim.DefaultAlarm())
	// CodeDeploy watches the alarm only while the deployment runs: a
	// 5-minute AfterAllowTraffic wait gives it time to see an all-at-once
	// flip (without it, AllAtOnce and BlueGreen end at the flip and nothing
	// can roll them back).
	sc.Bake = bake
	sc.Horizon = horizon
	return sc
}

// firstShift is the first instant the strategy gives the new version
// customer traffic.
func firstShift(s strategy.Strategy) time.Duration {
	for _, st := range s.Schedule() {
		if st.Weight > 0 {
			return st.At
		}
	}
	return 0
}

// cell is what one strategy at one level measured.
type cell struct {
	cold, throttled, p99, falseRB float64 // healthy release
	failed, detected, ttr         float64 // bad release
}

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 100
	if fast {
		runs = 4
	}

	// ## 1. The function and its limits
	//
	// A synchronous API behind API Gateway: a throttled invocation is a 429
	// the caller sees, as a failed request. The reservation is what a team
	// sizes from its metrics: 50 % above the steady concurrency λ·E[latency]
	// (Little's law, E[latency] = 254 ms for the lognormal of median 200 ms
	// and p99 1 s). Lambda scales by at most 1,000 new environments per 10 s
	// [doc]; a new version starts with none [doc]; a cold start's init is
	// lognormal, median 300 ms, p99 1 s (the library's default, a small
	// Node.js or Python function). The alarm is the one CodeDeploy watches
	// in the README: the candidate's error rate >= 1 % over a minute.
	fmt.Fprintln(w, "# The Serverless Lens table, in numbers")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "level\treq/s\tsteady concurrency\treserved concurrency")
	for _, l := range levels {
		fmt.Fprintf(tw, "%s\t%g\t%.1f\t%d\n", l.name, l.rate, l.rate*meanLatency()/1000, reserved(l))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d runs per cell, horizon %v, bad release: +%g%% errors\n\n", runs, horizon, 100*faultErrors)

	// The reference of each level: the same traffic with every invocation
	// warm (the execution model off), so that the worst minute's p99 that
	// latency alone gives is on the table beside the deployments'.
	ref := make([]cell, len(levels))
	for i, l := range levels {
		sc := scenario(l, deployments[0])
		sc.Concurrency = sim.Concurrency{}
		c, err := healthyRuns(sc, runs)
		if err != nil {
			return fmt.Errorf("%s, reference: %w", l.name, err)
		}
		ref[i] = c
	}

	cells := make([][]cell, len(levels))
	for i, l := range levels {
		cells[i] = make([]cell, len(deployments))
		for j, d := range deployments {
			sc := scenario(l, d)
			c, err := healthyRuns(sc, runs)
			if err != nil {
				return fmt.Errorf("%s, %s, healthy: %w", l.name, d.name, err)
			}
			sc.Fault = sim.Fault{ErrorProb: faultErrors}
			bad, err := sim.MonteCarlo(ctx, sc, runs, sim.MonteCarloOptions{})
			if err != nil {
				return fmt.Errorf("%s, %s, bad: %w", l.name, d.name, err)
			}
			c.failed = bad.Value(metrics.CandidateFailures) + bad.Value(metrics.ThrottledRequests)
			c.detected = bad.Rate(metrics.DetectionRate).Value
			// From the first customer request on the new version, not from
			// the start of the deployment (BlueGreen validates for 10
			// minutes with no customer traffic first).
			c.ttr = bad.Value(metrics.TimeToRollback) - firstShift(d.s).Seconds()
			cells[i][j] = c
		}
	}

	// ## 2. A healthy release
	//
	// Cold starts count both versions (the baseline starts with the warm
	// pool its traffic keeps, sim.Concurrency.WarmBaseline); throttled are
	// the requests refused over the reservation or the scaling limit; the
	// worst minute's p99 is the largest per-minute p99 latency of the alias
	// (all callers, init included: what API Gateway's Latency would show),
	// against 1 s without cold starts.
	fmt.Fprintln(w, "## A healthy release: what moving traffic costs")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "level\tstrategy\tcold starts\tthrottled\tworst minute p99 ms\tfalse rollbacks")
	for i, l := range levels {
		for j, d := range deployments {
			c := cells[i][j]
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.0f\t%.0f%%\n", l.name, d.name, c.cold, c.throttled, c.p99, 100*c.falseRB)
		}
		c := ref[i]
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.0f\t%.0f%%\n", l.name, "(reference: AllAtOnce, always warm)", c.cold, c.throttled, c.p99, 100*c.falseRB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)

	// ## 3. A bad release
	//
	// Failed requests are the candidate's errors plus every throttled
	// request, until the rollback or the horizon; detected is the share of
	// bad releases CodeDeploy rolled back, and rollback s the time from the
	// first shift of customer traffic to the alias back at the old version.
	fmt.Fprintln(w, "## A bad release: failed requests until it is rolled back")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "level\tstrategy\tfailed requests\tdetected\trollback s")
	for i, l := range levels {
		for j, d := range deployments {
			c := cells[i][j]
			ttr := "-"
			if !math.IsNaN(c.ttr) {
				ttr = fmt.Sprintf("%.0f", c.ttr)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.0f%%\t%s\n", l.name, d.name, c.failed, 100*c.detected, ttr)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)

	// ## 4. Where the table holds, and where it does not (100 runs per cell)
	//
	// Canary and linear for high concurrency: holds. At 500 req/s a bad
	// release fails about 320 requests under Canary10Percent5Minutes and
	// 480 under Linear10PercentEvery1Minute before the rollback, against
	// about 3,190 when all traffic moved at once; and the gradual shifts
	// never outgrow the reservation, where the all-at-once flip puts 500
	// req/s on a version with no environment: about 250 cold starts in a
	// few seconds and a few throttled requests (about 3 per deployment with
	// 50 % headroom; tighter reservations throttle more).
	//
	// All-at-once for low concurrency: holds, for a reason the table does
	// not give. At 2 req/s a canary minute has about 12 requests, and a
	// single error of the 0.1 % baseline rate is 8 %, over the 1 % alarm: 15
	// % of healthy releases are rolled back under the canary and 47 % under
	// linear (ten such minutes), against 1 to 3 % for the flips (whose five
	// watched minutes carry all the traffic, 120 requests each). A bad
	// release costs about 12 failed requests all-at-once: little in absolute
	// terms, though still five times the canary's.
	//
	// Where it does not hold. The blast radius ratio is the canary's weight
	// at every level (a tenth, however busy the function is), so on failed
	// requests alone canary wins at low concurrency too; the table's choice
	// there is about noise and speed. Blue/green for medium concurrency is,
	// as simulated, an all-at-once flip delayed by its validation: the
	// same cold starts (36 against 32), the same failed requests of a bad
	// release (320 against 319), since no customer traffic reaches green
	// before the flip — only tests run in that window, and each bug they
	// catch costs no request at all (a pre-traffic hook, sim.Hook, models
	// that). Pre-warming green with provisioned concurrency (a + 3√a
	// environments) is what makes the flip cheap: cold starts fall to about
	// 11 at medium and 29 at high concurrency. And the cold-start latency
	// spike the Lens warns of is invisible in a minute's p99 at medium and
	// high concurrency (cold starts are under 1 % of a minute's requests:
	// compare each level's always-warm reference); at low concurrency the
	// worst minute's p99 is dominated by the noise of 120 requests a
	// minute, with or without cold starts.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := charts(outDir, cells)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Charts:")
	for _, f := range files {
		fmt.Fprintln(w, " ", f)
	}
	return nil
}

var palette = []color.Color{
	color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff},
	color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
}

// charts writes healthy (cold starts of a healthy release per strategy
// and level) and bad (failed requests of a bad release).
func charts(outDir string, cells [][]cell) ([]string, error) {
	var files []string
	for _, ch := range []struct {
		name, title, y string
		v              func(c cell) float64
	}{
		{"healthy", "A healthy release: cold starts while traffic moves", "cold starts per deployment (+1, log)", func(c cell) float64 { return c.cold }},
		{"bad", "A bad release (+5 % errors): requests failed before rollback", "failed requests per deployment (+1, log)", func(c cell) float64 { return c.failed }},
	} {
		p := plot.New()
		p.Title.Text = ch.title
		p.X.Label.Text = "concurrency level"
		p.Y.Label.Text = ch.y
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "low (2 req/s)"}, {Value: 1, Label: "medium (50 req/s)"}, {Value: 2, Label: "high (500 req/s)"}}
		p.X.Min, p.X.Max = -0.2, 2.2
		p.Add(plotter.NewGrid())
		for j, d := range deployments {
			var xys plotter.XYs
			for i := range levels {
				xys = append(xys, plotter.XY{X: float64(i) + float64(0.03*float64(j-2)), Y: ch.v(cells[i][j]) + 1})
			}
			l, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color = palette[j], palette[j]
			sc.Shape = draw.CircleGlyph{}
			if d.warmed {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l, sc)
			p.Legend.Add(d.name, l, sc)
		}
		p.Legend.Top = true
		p.Legend.Left = true
		saved, err := notebook.Save(p, outDir, ch.name, 8*vg.Inch, 5*vg.Inch)
		if err != nil {
			return nil, err
		}
		files = append(files, saved...)
	}
	return files, nil
}

// healthyRuns runs the healthy release runs times (seeds as sim.MonteCarlo
// derives them) and averages what the Summary does not keep: the worst
// minute's p99 of the alias, from each run's series. Two runs at a time;
// results are indexed by run, so the order of completion does not matter.
func healthyRuns(sc sim.Scenario, runs int) (cell, error) {
	type res struct {
		cold, throttled, p99 float64
		fr                   bool
		err                  error
	}
	out := make([]res, runs)
	sc.KeepSeries = true
	next := make(chan int)
	done := make(chan struct{})
	for range 2 {
		go func() {
			var r sim.Runner
			for i := range next {
				s := sc
				s.Seed = sim.RunSeed(sc.Seed, int64(i))
				m, err := r.Run(s)
				if err != nil {
					out[i].err = err
					continue
				}
				worst := 0.0
				for _, p := range m.Series.Periods {
					if v, ok := p.Dims[metrics.Alias].Value(metrics.Duration, metrics.Statistic{Kind: metrics.Percentile, P: 99}); ok {
						worst = math.Max(worst, v)
					}
				}
				out[i] = res{cold: float64(m.ColdStarts()), throttled: float64(m.Throttles()), p99: worst, fr: m.Outcome == metrics.FalseRollback}
			}
			done <- struct{}{}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	<-done
	<-done
	var c cell
	for _, r := range out {
		if r.err != nil {
			return c, r.err
		}
		c.cold += r.cold / float64(runs)
		c.throttled += r.throttled / float64(runs)
		c.p99 += r.p99 / float64(runs)
		if r.fr {
			c.falseRB += 1 / float64(runs)
		}
	}
	return c, nil
}
