// Compare-presets: which of the nine CodeDeploy presets for Lambda should a
// function use, if the release it ships might carry a bug?
//
// Run it from the repository root:
//
//	go run ./examples/compare-presets            # 1,000 runs per cell, a minute or so
//	go run ./examples/compare-presets -fast      # a few seconds, noisier numbers
//	go run ./examples/compare-presets -out /tmp/presets
//
// It prints three tables and writes a Pareto chart (pareto.png, pareto.svg)
// and a notebook page, README.md, whose sentences quote this run's numbers,
// into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The question and the scenario: a candidate version that fails an extra
//     5 % of its requests, deployed behind a weighted alias watched by one
//     CloudWatch alarm, at three traffic levels four orders of magnitude
//     apart: 1, 100 and 10,000 requests per second.
//  2. Both halves of the question, per preset and rate: how many requests
//     and users the bug hurts and how fast it is rolled back; and, when
//     nothing is wrong, how long a release takes and how often the alarm
//     rolls it back anyway.
//  3. The false rollbacks side by side, rate by rate.
//  4. The trade-off: the presets no other preset beats on both speed and
//     blast radius (the Pareto front), per traffic level, and the chart.
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/examples/internal/notebook"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func main() {
	notebook.Main("compare-presets", "run 20 deployments per cell instead of 1,000 (for tests and a first look)", run)
}

// rates are the traffic levels compared, in requests per second.
var rates = []float64{1, 100, 10000}

// bugErrorProb is this example's bad candidate: an extra 5 % of its
// invocations fail (deploysim.DefaultScenario's own bug is a subtler 2 %, at
// a quieter 5 req/s; this example keeps the 5 % its narrative was written for).
const bugErrorProb = 0.05

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 1000
	if fast {
		runs = 20
	}
	presets := strategy.LambdaPresets()

	// ## 1. The scenario
	//
	// deploysim.DefaultScenario is the library's documented comparison: both
	// versions fail 0.1 % of invocations, and the candidate carries a bug
	// that fails an extra 5 % of its invocations from its first request. One
	// CloudWatch alarm watches the candidate's error rate (Errors /
	// Invocations on ExecutedVersion = candidate) per minute and fires at
	// 1 %, ten times the healthy rate; CodeDeploy polls it every minute and
	// rolls back. Datapoints reach the alarm 60 s after their minute ends.
	// Every run lasts two hours from the start of the deployment, so a bug
	// that a preset lets through to 100 % keeps failing requests until the
	// window closes: that is what "missed" costs.
	//
	// Resolution Auto lets the simulator draw counts per bucket (the time
	// between two events that change the routing or what the alarm sees)
	// instead of single requests when nothing in the scenario needs
	// per-request detail: the same distribution of every count the alarm
	// reads, at a cost that does not grow with traffic (see sim's bucketed
	// engine). At 10,000 req/s a two-hour run is 72 million requests.
	sc := deploysim.DefaultScenario()
	sc.Fault = sim.Fault{ErrorProb: bugErrorProb}
	sc.Resolution = sim.Auto
	fmt.Fprintf(w, "# Which Lambda preset? A %.0f%% bug at 1, 100 and 10,000 req/s\n\n", 100*bugErrorProb)
	fmt.Fprintf(w, "Scenario: deploysim.DefaultScenario — baseline error rate %.1f%%, candidate bug +%.0f%%,\n",
		100*deploysim.DefaultBaselineErrorProb, 100*bugErrorProb)
	fmt.Fprintf(w, "alarm: candidate ErrorRate >= %.0f%% over 1 minute (1 of 1), %v window, %d bad + %d healthy runs per cell.\n\n",
		100*deploysim.DefaultAlarmThreshold, deploysim.DefaultHorizon, runs, runs)
	page := notebook.NewPage(fmt.Sprintf("Which Lambda preset? A %.0f %% bug at 1, 100 and 10,000 req/s", 100*deploysim.DefaultFaultErrorProb),
		"Which of the nine CodeDeploy presets for Lambda should a function use, if the release it ships might carry a bug?")
	page.Section("Setup")
	page.Para("deploysim.DefaultScenario: both versions fail %.1f %% of requests; the candidate's bug fails an extra %.0f %% of its requests from its first one. "+
		"One CloudWatch alarm fires when the candidate's error rate over a minute reaches %.0f %%; CodeDeploy polls it every minute and rolls back. "+
		"Each run lasts %v, so a bug a preset lets through keeps failing requests until then. "+
		"%d bad runs and %d healthy twins (same seeds, no bug) per preset and traffic level: 1, 100 and 10,000 requests per second.",
		100*deploysim.DefaultBaselineErrorProb, 100*deploysim.DefaultFaultErrorProb, 100*deploysim.DefaultAlarmThreshold, deploysim.DefaultHorizon, runs, runs)

	// ## 2. Both halves of the question
	//
	// deploysim.Compare runs every preset on the bad scenario and on its
	// healthy twin (sim.Scenario.Healthy: no fault, the run ends with the
	// deployment), on the same seeds, and merges them into one Summary per
	// preset. Each figure is read over the runs it is about
	// (metrics.Figure.Population): detection, blast radius and time to
	// rollback over the bad runs, false rollbacks and the time to release
	// ("duration s") over the healthy ones; "runs" counts both. Every preset
	// sees the same seeds (common random numbers), so the differences
	// between rows come from the presets. Each traffic level becomes a
	// column "rps" of one table.
	table := metrics.Table{Figures: []metrics.Figure{metrics.CandidateFailures, metrics.UsersHit, metrics.DeployDuration, metrics.TimeToRollback}}
	byRate := make([]metrics.Table, len(rates))
	for i, rate := range rates {
		sc.Workload = sim.Poisson{Rate: rate}
		t, err := deploysim.Compare(ctx, sc, presets, runs)
		if err != nil {
			return fmt.Errorf("%g req/s: %w", rate, err)
		}
		byRate[i] = t
		for _, r := range t.Rows {
			table.Add(r.Label, r.Summary, metrics.Param{Name: "rps", Value: rpsLabel(rate)})
		}
	}
	fmt.Fprintln(w, "## Every preset at every rate")
	fmt.Fprintln(w)
	if err := table.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	page.Section("Every preset at every rate")
	if err := page.Table(&table); err != nil {
		return err
	}
	c5, all := byRate[0].Find("Canary10Percent5Minutes"), byRate[1].Find("AllAtOnce")
	c5mid := byRate[1].Find("Canary10Percent5Minutes")
	page.Para("At 1 req/s Canary10Percent5Minutes rolls the bug back in %.0f %% of bad deployments and fails %.1f requests on average; the deployments it misses reach 100 %% and fail requests until the window ends. "+
		"At 100 req/s every watched preset is rolled back %.0f s after the bug starts on average (Canary10Percent5Minutes: %.1f failed requests), while AllAtOnce, which CodeDeploy stops watching as soon as it is deployed, fails %s.",
		100*c5.Summary.Value(metrics.DetectionRate), c5.Summary.Value(metrics.CandidateFailures),
		c5mid.Summary.Value(metrics.TimeToRollback), c5mid.Summary.Value(metrics.CandidateFailures), chart.FormatNumber(all.Summary.Value(metrics.CandidateFailures), 0))
	// What the numbers say (1,000 runs of each kind per cell).
	//
	// At 1 req/s a 10 % canary sends about six requests a minute to the
	// candidate, and the alarm can only fire on a minute that holds a failed
	// one. Canary10Percent5Minutes catches the bug in about 70 % of
	// deployments (the closed form is worked out in examples/low-traffic);
	// the 30 % it misses go to 100 % and fail 5 % of all traffic until the
	// window ends (about 360 failed requests, the p95 column), which is why
	// its mean blast radius, ~110 requests, is so far above the one or two a
	// caught deployment costs. The longer presets catch it nearly always.
	// AllAtOnce is never rolled back: CodeDeploy reads alarms only while a
	// deployment runs, and AllAtOnce is over at t0.
	//
	// At 100 and 10,000 req/s every watched preset is rolled back at the
	// first evaluation that sees a whole minute of candidate data — 120 s in
	// (the minute, then the 60 s ingestion delay), plus the 5 s alias flip:
	// "rollback s" is 125 in every run. During those two minutes the
	// canaries and the slow linears all send 10 % of traffic, so they hurt
	// the same requests, seed for seed; only Linear10PercentEvery1Minute,
	// already at 20 % in the second minute, hurts half as many again. The
	// blast radius grows with traffic, a hundredfold per step, while the
	// presets' shapes stop mattering.

	// ## 3. The healthy candidate, side by side
	//
	// The false-rollback column of the table, pivoted: one column per rate,
	// beside each preset's schedule.
	fmt.Fprintln(w, "## The healthy candidate: time to release and false rollbacks")
	fmt.Fprintln(w)
	var pivot strings.Builder
	tw := tabwriter.NewWriter(&pivot, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "strategy\tduration min")
	for _, rate := range rates {
		fmt.Fprintf(tw, "\tfalse rollbacks @%s", rpsLabel(rate))
	}
	fmt.Fprintln(tw)
	for j, s := range presets {
		fmt.Fprintf(tw, "%s\t%.0f", s.Name(), s.Schedule().Duration().Minutes())
		for i := range rates {
			p := byRate[i].Rows[j].Summary.Rate(metrics.FalseRollbackRate)
			fmt.Fprintf(tw, "\t%.1f%%", 100*p.Value)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, pivot.String())
	lo, hi := byRate[0].Rows[0], byRate[0].Rows[0]
	for _, r := range byRate[0].Rows {
		if r.Summary.Value(metrics.FalseRollbackRate) < lo.Summary.Value(metrics.FalseRollbackRate) {
			lo = r
		}
		if r.Summary.Value(metrics.FalseRollbackRate) > hi.Summary.Value(metrics.FalseRollbackRate) {
			hi = r
		}
	}
	page.Section("The healthy candidate: time to release and false rollbacks")
	page.Pre(pivot.String())
	page.Para("At 1 req/s a single healthy error among the candidate's few requests of a minute already reaches the 1 %% alarm: false rollbacks run from %.1f %% (%s) to %.1f %% (%s). "+
		"At 100 req/s the worst preset rolls back %.1f %% of good releases.",
		100*lo.Summary.Value(metrics.FalseRollbackRate), lo.Label, 100*hi.Summary.Value(metrics.FalseRollbackRate), hi.Label, 100*maxRate(byRate[1], metrics.FalseRollbackRate))
	// At 1 req/s a single healthy error among the candidate's few requests
	// of a minute is already a 1 % error rate: the longer a preset watches,
	// and the more traffic its later steps send while still watched, the
	// likelier a false rollback — from about 3 % for Canary10Percent5Minutes
	// to over 90 % for Linear10PercentEvery10Minutes. A 1 % error-rate alarm
	// is a low-traffic trap (examples/alarm-tuning tunes one). At 100 req/s
	// and above a minute's error rate sits near 0.1 % and almost never
	// reaches 1 %.

	// ## 4. The trade-off: speed against blast radius
	//
	// A team wants releases that are fast when the candidate is good and cheap
	// when it is bad: metrics.Pareto keeps, per traffic level, the presets no
	// other beats on both the time a healthy release takes (DeployDuration,
	// read over the healthy runs) and the mean number of requests the bad one
	// fails (CandidateFailures, over the bad runs). A preset none of whose
	// healthy runs completed has no duration and is left out.
	fmt.Fprintln(w, "## Pareto front: release time against mean candidate failures")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rps\tstrategy\tduration min\tcandidate failures")
	fronts := make([][]metrics.Row, len(rates))
	for i, rate := range rates {
		fronts[i] = metrics.Pareto(byRate[i].Rows, metrics.DeployDuration, metrics.CandidateFailures)
		for _, r := range fronts[i] {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\n", rpsLabel(rate), r.Label,
				r.Summary.Value(metrics.DeployDuration)/60, r.Summary.Value(metrics.CandidateFailures))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// At 1 req/s the front is long: every extra minute of canary buys fewer
	// failures, and AllAtOnce, the fastest, is also the worst by far. At
	// 100 req/s and above the watched presets all fail about the same number
	// of requests, so the front shrinks to the fastest watched preset and
	// AllAtOnce: slower presets buy nothing more against a loud bug.

	files, err := paretoChart(outDir, byRate)
	if err != nil {
		return err
	}
	page.Section("Pareto front: release time against mean candidate failures")
	page.Chart(files[0], "Pareto fronts per traffic level")
	for i, rate := range rates {
		var names []string
		for _, r := range fronts[i] {
			names = append(names, r.Label)
		}
		page.Para("At %s req/s the front holds %d presets: %s.", chart.FormatNumber(rate, 0), len(fronts[i]), strings.Join(names, ", "))
	}
	page.Conclusion("At 1 req/s every extra minute of canary buys fewer failed requests, at the price of more false rollbacks: there is no free choice. "+
		"At %s req/s and above the watched presets fail about the same number of requests (%s is the fastest on the front), so the slower presets buy nothing more against a loud bug.",
		rpsLabel(rates[1]), fastestWatched(fronts[1]))
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

// maxRate is the highest rate f over t's rows.
func maxRate(t metrics.Table, f metrics.Figure) float64 {
	m := 0.0
	for _, r := range t.Rows {
		m = math.Max(m, r.Summary.Value(f))
	}
	return m
}

// fastestWatched is the fastest preset of a front that is rolled back when
// bad (AllAtOnce never is).
func fastestWatched(front []metrics.Row) string {
	for _, r := range front {
		if r.Summary.Value(metrics.DetectionRate) > 0 {
			return r.Label
		}
	}
	return "none"
}

// rpsLabel prints a rate as the table's "rps" column does.
func rpsLabel(rate float64) string { return fmt.Sprintf("%g", rate) }

// paretoChart draws one Pareto panel per traffic level (release time of a
// healthy candidate against the bad one's mean failed requests) with package
// chart, and writes pareto.png and pareto.svg.
func paretoChart(outDir string, byRate []metrics.Table) ([]string, error) {
	f := &chart.Figure{Height: 11 * vg.Inch}
	for i, t := range byRate {
		p, err := chart.Pareto(chart.PointsOf(&t, &t, metrics.DeployDuration, metrics.CandidateFailures), metrics.DeployDuration, metrics.CandidateFailures)
		if err != nil {
			return nil, fmt.Errorf("%s req/s: %w", rpsLabel(rates[i]), err)
		}
		p.Title.Text = chart.FormatNumber(rates[i], 0) + " req/s"
		f.Panels = append(f.Panels, p)
	}
	return notebook.SaveFigure(f, outDir, "pareto")
}
