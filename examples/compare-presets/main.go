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
	"image/color"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim"
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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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
	fmt.Fprintln(w)
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

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	files, err := paretoChart(outDir, byRate, fronts)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Charts:")
	for _, f := range files {
		fmt.Fprintln(w, " ", f)
	}
	return nil
}

// rpsLabel prints a rate as the table's "rps" column does.
func rpsLabel(rate float64) string { return fmt.Sprintf("%g", rate) }

// point places a row on the Pareto chart: its healthy release time in
// minutes and its bad candidate's mean failures.
func point(r metrics.Row) plotter.XY {
	return plotter.XY{X: r.Summary.Value(metrics.DeployDuration) / 60, Y: r.Summary.Value(metrics.CandidateFailures)}
}

// paretoChart draws every preset at every traffic level (release time on x,
// mean candidate failures on a log y axis) and joins each level's front with
// a line; it writes pareto.png and pareto.svg.
func paretoChart(outDir string, byRate []metrics.Table, fronts [][]metrics.Row) ([]string, error) {
	p := plot.New()
	p.Title.Text = "Lambda presets: release time vs blast radius of a 5% bug (dashed: Pareto fronts)"
	p.X.Label.Text = "release time of a healthy candidate (minutes)"
	p.Y.Label.Text = "mean failed candidate requests (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = false // right, in the empty band between the rates' rows
	p.Legend.Left = false
	p.Legend.YOffs = vg.Points(85)
	p.Legend.XOffs = -vg.Points(40)
	colors := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	}
	for i, t := range byRate {
		var xys plotter.XYs
		var labels []string
		for _, r := range t.Rows {
			xy := point(r)
			if math.IsNaN(xy.X) || math.IsNaN(xy.Y) || xy.Y <= 0 {
				continue // no completed healthy run, or a 0 a log axis cannot show
			}
			xys = append(xys, xy)
			labels = append(labels, shortName(r.Label))
		}
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.Color = colors[i%len(colors)]
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(3)
		var fxy plotter.XYs
		for _, r := range fronts[i] {
			if xy := point(r); xy.Y > 0 {
				fxy = append(fxy, xy)
			}
		}
		line, err := plotter.NewLine(fxy)
		if err != nil {
			return nil, err
		}
		line.Color = colors[i%len(colors)]
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, err
		}
		for j := range lb.TextStyle {
			lb.TextStyle[j].Font.Size = vg.Points(7)
			lb.TextStyle[j].Color = colors[i%len(colors)]
		}
		lb.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(2)}
		p.Add(sc, line, lb)
		p.Legend.Add(rpsLabel(rates[i])+" req/s", sc)
	}
	return save(p, outDir, "pareto")
}

// shortName abbreviates a preset's name for chart labels: "C5" for
// Canary10Percent5Minutes, "L1" for Linear10PercentEvery1Minute.
func shortName(name string) string {
	s, err := strategy.Parse(name)
	if err != nil {
		return name
	}
	switch v := s.(type) {
	case strategy.Canary:
		return fmt.Sprintf("C%.0f", v.Interval.Minutes())
	case strategy.Linear:
		return fmt.Sprintf("L%.0f", v.Interval.Minutes())
	case strategy.AllAtOnce:
		return "AllAtOnce"
	}
	return strings.TrimPrefix(name, "CodeDeployDefault.Lambda")
}

// save writes p as name.png and name.svg in outDir and returns their paths.
func save(p *plot.Plot, outDir, name string) ([]string, error) {
	return notebook.Save(p, outDir, name, 8*vg.Inch, 5*vg.Inch)
}
