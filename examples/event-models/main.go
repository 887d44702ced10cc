// Event-models: the same bug, shipped the same way, behind three ways of
// invoking a Lambda function — synchronous calls, asynchronous events with
// retries, and an SQS queue read in batches.
//
// Run it from the repository root:
//
//	go run ./examples/event-models          # 1,000 runs per row, under a minute
//	go run ./examples/event-models -fast    # a few seconds, noisier numbers
//
// It prints three tables and writes alarm-view.{png,svg} and
// outcomes.{png,svg} into -out (default: out/ next to this file).
//
// The story, section by section:
//
//  1. The deployment: deploysim's default bug (+5 % errors) at 100 events a
//     second, Canary10Percent5Minutes, the default 1 % error-rate alarm.
//  2. What the alarm sees: the candidate's error rate per minute under each
//     model, from one deployment's published series.
//  3. What the bug costs, over many deployments: failed invocations,
//     retried attempts, events lost for good, messages delayed or sent to
//     the dead-letter queue, and how often a healthy release is rolled back.
//  4. Tuning the alarm for batches: the threshold a queue consumer needs.
//  5. Batches as the event source mapping forms them: pollers, the batching
//     window and partial batch responses decide how many messages reach the
//     dead-letter queue (new: the mapping's pollers are modelled, issue 18).
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
	notebook.Main("event-models", "run 20 deployments per row instead of 1,000 (for tests and a first look)", run)
}

const rate = 100.0 // events per second

// bugErrorProb is this example's bad candidate: an extra 5 % of its
// invocations fail (deploysim.DefaultScenario's own bug is a subtler 2 %, at
// a quieter 5 req/s; this example keeps the 5 % its narrative was written for).
const bugErrorProb = 0.05

// model is one way of invoking the function.
type model struct {
	name  string
	event sim.EventModel
}

// models are the three event models: Lambda's defaults for asynchronous
// invocation (2 retries, after 1 and 2 minutes), and an SQS event source
// mapping with batches of 10 gathered for at most a second (without a
// batching window a free poller takes each message as it arrives; section
// 5), SQS's default 30 s visibility timeout and a redrive to a dead-letter
// queue after 5 receives.
func models() []model {
	q := sim.DefaultQueue()
	q.BatchWindow = time.Second
	return []model{
		{"sync", sim.Sync{}},
		{"async", sim.DefaultAsync()},
		{"queue", q},
	}
}

// scenario is deploysim.DefaultScenario at rate events per second under
// event model m, ending when the deployment has ended and every event or
// message has met its fate (Horizon 0: retries and redeliveries still
// pending keep the run going).
func scenario(m sim.EventModel) sim.Scenario {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: rate}
	sc.Fault = sim.Fault{ErrorProb: bugErrorProb}
	sc.Users = sim.Users{}
	sc.Horizon = 0
	sc.Strategy = strategy.LambdaCanary10Percent5Minutes
	sc.EventModel = m
	sc.Resolution = sim.Auto
	return sc
}

func run(w io.Writer, outDir string, fast bool) error {
	ctx := context.Background()
	runs := 1000
	if fast {
		runs = 20
	}
	ms := models()
	p0 := deploysim.DefaultBaselineErrorProb
	p1 := 1 - (1-p0)*(1-bugErrorProb)
	batch := float64(sim.DefaultQueue().BatchSize)

	// ## 1. The deployment
	//
	// deploysim.DefaultScenario: both versions fail 0.1 % of invocations,
	// the candidate's bug adds 5 % (p = 5.1 % in all); the alarm fires when
	// the candidate's Errors/Invocations over a minute reach 1 %. The
	// workload's 100 arrivals a second are requests, events or messages
	// depending on the model. Lambda counts invocations, so for the queue a
	// batch of ten messages is one invocation, and it fails — and is
	// retried whole — if any one of its messages fails: with probability
	// 1-(1-p)^10 = 41 % for the bad candidate, and 1.0 % for a healthy one.
	fmt.Fprintln(w, "# One bug, three event models")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s at %g events/s, bug +%.0f%% errors, alarm: candidate ErrorRate >= %.0f%% per minute; %d runs per row\n",
		strategy.LambdaCanary10Percent5Minutes.Name(), rate, 100*bugErrorProb, 100*deploysim.DefaultAlarmThreshold, runs)
	fmt.Fprintf(w, "failure probability per invocation: sync/async %.2f%% (healthy %.2f%%); queue batch of %.0f %.1f%% (healthy %.2f%%)\n\n",
		100*p1, 100*p0, batch, 100*(1-math.Pow(1-p1, batch)), 100*(1-math.Pow(1-p0, batch)))
	page := notebook.NewPage("One bug, three event models",
		"The same bug reaches the candidate through synchronous calls, asynchronous events with Lambda's retries, and SQS batches: what does the alarm see, and who pays?")
	page.Section("Setup")
	page.Para("%s at %g events per second; the bug fails an extra %.0f %% of the candidate's invocations; one alarm rolls back when the candidate's error rate over a minute reaches %.0f %%; %d deployments with the bug and %d without per row. "+
		"An invocation fails with probability %.2f %% (%.2f %% when healthy); a queue batch of %.0f messages fails when any of its messages does: %.1f %% (%.2f %% when healthy).",
		strategy.LambdaCanary10Percent5Minutes.Name(), rate, 100*deploysim.DefaultFaultErrorProb, 100*deploysim.DefaultAlarmThreshold, runs, runs,
		100*p1, 100*p0, batch, 100*(1-math.Pow(1-p1, batch)), 100*(1-math.Pow(1-p0, batch)))
	rec := notebook.Record(w)

	// ## 2. What the alarm sees
	//
	// One deployment per model, on the same seed, with no policy (so the
	// canary runs its five minutes) and the series kept: the candidate's
	// error rate per minute as the alarm would read it.
	views := make([][]float64, len(ms))
	for i, m := range ms {
		sc := scenario(m.event)
		sc.Policy = nil
		sc.KeepSeries = true
		sc.Seed = 3
		r, err := sim.Run(sc)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		views[i] = errorRates(r.Series, 5)
	}
	fmt.Fprintln(w, "## What the alarm sees: the candidate's error rate per minute, one deployment")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "minute")
	for _, m := range ms {
		fmt.Fprintf(tw, "\t%s", m.name)
	}
	fmt.Fprintln(tw)
	for k := 0; k < 5; k++ {
		fmt.Fprintf(tw, "%d", k)
		for i := range ms {
			fmt.Fprintf(tw, "\t%s", pct(views[i][k]))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// Synchronous and asynchronous invocations show the bug's 5 %: each
	// async retry is a new invocation routed afresh, 90 % of them to the
	// baseline, so retries barely change the candidate's rate. The queue's
	// batches amplify it eightfold, and they would amplify a healthy
	// version's 0.1 % to 1 % as well — right on the alarm's threshold.

	// ## 3. What the bug costs
	//
	// Each model runs the bad candidate and a healthy one, on the same seeds.
	// The columns are per deployment, means over the runs:
	//   - failed invocations: the candidate's invocations that failed (for
	//     sync, requests whose callers saw the error);
	//   - retried: async attempts that failed and were retried by Lambda;
	//     for the queue, the invocations (batches) that failed, whose
	//     messages come back after the visibility timeout;
	//   - lost: async events dropped after their last retry;
	//   - delayed: queue messages delivered only after a failed receive;
	//   - dead-lettered: messages (or events) sent to the dead-letter queue.
	page.Section("What the alarm sees: the candidate's error rate per minute, one deployment")
	page.Pre(rec.Take())
	page.Chart("alarm-view.png", "candidate error rate per minute under each model")
	page.Para("Over the first five minutes the alarm reads a mean error rate of %s for sync calls, %s for async events and %s for queue batches, against a threshold of %s: every model trips it, the queue by far.",
		pct(meanOf(views[0])), pct(meanOf(views[1])), pct(meanOf(views[2])), pct(deploysim.DefaultAlarmThreshold))

	fmt.Fprintln(w, "## What the bug costs, per deployment (means)")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tdetected\trollback s\tfailed invocations\tretried\tlost\tdelayed\tdead-lettered\tfalse rollbacks (healthy)")
	costs := make([]cost, len(ms))
	falseRB := make([]float64, len(ms))
	for i, m := range ms {
		bad, healthy, err := both(ctx, scenario(m.event), runs)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		fr := healthy.Rate(metrics.FalseRollbackRate)
		falseRB[i] = fr.Value
		fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%.1f\t%.1f\t%.2f\t%.1f\t%.2f\t%.1f%% [%.1f, %.1f]\n", m.name,
			100*bad.Value(metrics.DetectionRate), num(bad.Value(metrics.TimeToRollback)),
			bad.Value(metrics.CandidateFailures), bad.Value(metrics.FailedAttempts), bad.Value(metrics.LostEvents),
			bad.Value(metrics.DelayedMessages), bad.Value(metrics.DeadLettered), 100*fr.Value, 100*fr.CILow, 100*fr.CIHigh)
		costs[i] = cost{
			failed:  bad.Value(metrics.CandidateFailures),
			lost:    lostForGood(bad),
			delayed: delayedOf(m.name, bad),
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// What the numbers say (1,000 runs per row). All three are caught at the
	// first look, two minutes in, and the alias is back on the baseline at
	// 2:05. What differs is who pays. A synchronous caller sees every failed
	// invocation: those are the blast radius. Lambda retries an asynchronous
	// event one minute, then two, after a failure, each retry routed afresh:
	// 90 % of them reach the baseline even during the canary, and all of
	// them after the rollback, so the event succeeds late instead of failing;
	// losing one takes three failed attempts in a row, about
	// (0.1 × 5.1 % + 0.9 × 0.1 %)³ = 2·10⁻⁷ per event. ("Retried" counts
	// both versions' failed attempts.) The queue retries whole batches after
	// the 30 s visibility timeout: ten messages are delayed for each failed
	// invocation (the baseline's included), nine of them for nothing, and
	// none reaches the dead-letter queue, which takes five failed receives.
	// But the queue pays in false rollbacks: a healthy batch fails 1 % of
	// the time, the alarm's own threshold, so any failed candidate batch in
	// the four watched minutes (about 240 of them) rolls back a good release:
	// 1 - e^(-240 × 0.00995) = 91 %.

	// ## 4. Tuning the alarm for batches
	//
	// The threshold has to sit between the batch failure rates, 1.0 % and
	// 41 %, not between the message failure rates. A minute holds about 60
	// candidate batches; with a threshold of 10 % a healthy minute needs six
	// failed batches out of sixty, where it expects 0.6: P(Binomial(60,
	// 0.01) >= 6) = 0.003 % per minute, while a bad minute expects 24.
	page.Section("What the bug costs, per deployment (means)")
	page.Pre(rec.Take())
	page.Chart("outcomes.png", "what the bug costs by event model")
	page.Para("Sync callers see %.1f failed invocations per bad deployment. Async events fail %.1f invocations but Lambda retries %.1f attempts, and %.2f events are lost for good. "+
		"The queue's batches fail %.1f invocations and delay %.1f messages behind failed batches. "+
		"A healthy release is rolled back %.1f %% of the time behind sync calls and %.1f %% behind the queue: the batch amplifies healthy errors as well.",
		costs[0].failed, costs[1].failed, costs[1].delayed, costs[1].lost, costs[2].failed, costs[2].delayed, 100*falseRB[0], 100*falseRB[2])

	fmt.Fprintln(w, "## The queue with a threshold for batches")
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(rec, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tthreshold\tdetected\trollback s\tfalse rollbacks (healthy)")
	thrFalse := map[float64]float64{}
	for _, thr := range []float64{deploysim.DefaultAlarmThreshold, 0.05, 0.1} {
		sc := scenario(ms[2].event)
		a := deploysim.DefaultAlarm()
		a.Threshold = thr
		sc.Policy = rollback.CodeDeploy(a)
		bad, healthy, err := both(ctx, sc, runs)
		if err != nil {
			return err
		}
		fr := healthy.Rate(metrics.FalseRollbackRate)
		thrFalse[thr] = fr.Value
		fmt.Fprintf(tw, "queue\t%s\t%.1f%%\t%s\t%.1f%% [%.1f, %.1f]\n", pct(thr),
			100*bad.Value(metrics.DetectionRate), num(bad.Value(metrics.TimeToRollback)), 100*fr.Value, 100*fr.CILow, 100*fr.CIHigh)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// At 10 % the queue's alarm keeps its speed and stops rolling back good
	// releases. The general rule: set an error-rate threshold on what Lambda
	// counts — invocations — and for batches that is 1-(1-p)^B, not p.

	page.Section("The queue with a threshold for batches")
	page.Pre(rec.Take())
	page.Para("Raising the queue's threshold from %s to 10 %% takes its false rollbacks from %.1f %% to %.1f %%.", pct(deploysim.DefaultAlarmThreshold), 100*thrFalse[deploysim.DefaultAlarmThreshold], 100*thrFalse[0.1])
	// ## 5. Batches as the event source mapping forms them
	//
	// A message's receives fail independently, so in batches of B, each
	// message failing with p, it reaches the dead-letter queue after R = 5
	// failed receives with probability q^R, q = 1-(1-p)^B; with partial
	// batch responses only the failed messages come back: p^R. Which B? The
	// mapping starts with five pollers and adds 300 a minute while messages
	// wait; each invocation holds its poller, and a free poller takes a
	// message the moment it arrives. Without a batching window the pollers
	// keep up at 100 messages/s and batches hold one message; a one-second
	// window fills them. One deployment each, both versions failing 30 % of
	// messages (a broken downstream, say), 100 messages/s for 10 minutes.
	fmt.Fprintln(w, "## Batches as the event source mapping forms them (30% of messages fail, one deployment each)")
	fmt.Fprintln(w)
	dl, err := batches(rec, fast)
	if err != nil {
		return err
	}
	page.Section("Batches as the event source mapping forms them")
	page.Pre(rec.Take())
	page.Para("Both versions fail 30 %% of messages. With a one-second window every batch holds ten messages and whole-batch retry dead-letters %s of them (closed form 0.9718^5 = 86.7 %%); partial batch responses, %s (0.3^5 = 0.24 %%). "+
		"With no window the pollers keep up with fresh messages but the failed ones come back together: batches are a mixture and %s are dead-lettered.", pct(dl[1]), pct(dl[2]), pct(dl[0]))
	// What the numbers say (10-minute deployments): with a one-second
	// window every batch holds ten messages and whole-batch retry sends
	// 86.9 % of the messages to the dead-letter queue, the closed form's
	// 0.9718^5 = 86.7 %; partial batch responses bring it down to p^5 =
	// 0.24 %. With no window the batch sizes are a mixture (2.9 messages
	// on average, 11 % full): the five pollers keep up with the fresh
	// messages, but the failed ones come back together when their
	// visibility timeout ends and fill the batches, so 30.8 % of the
	// messages are dead-lettered, between the two closed forms. Before
	// issue 18 the simulator had no pollers: without a window every message
	// was invoked alone (p^5 = 0.24 %), whatever the load.
	//
	// The counters say what they count: failed invocations are batches
	// that failed (zero with partial responses, whose invocations succeed),
	// failed receives are messages whose receive failed (ten per failed
	// batch without partial responses).

	page.Conclusion("The alarm sees the same bug differently behind each event model: a batch of %.0f turns a %.1f %% failure per message into %.1f %% per invocation. "+
		"Set an error-rate threshold on what Lambda counts, invocations: for batches that is 1-(1-p)^B, not p.", batch, 100*p1, 100*(1-math.Pow(1-p1, batch)))

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var files []string
	for _, c := range []func() (*plot.Plot, string, error){
		func() (*plot.Plot, string, error) { return alarmView(ms, views) },
		func() (*plot.Plot, string, error) { return outcomes(ms, costs) },
	} {
		p, name, err := c()
		if err != nil {
			return err
		}
		saved, err := notebook.SaveFigure(chart.NewFigure(p), outDir, name)
		if err != nil {
			return err
		}
		files = append(files, saved...)
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

// batches runs section 5: one deployment per mapping setting, with the
// dead-letter fraction against its closed form and the batch sizes.
func batches(w io.Writer, fast bool) ([]float64, error) {
	const p, R = 0.3, 5
	d := 10 * time.Minute
	if fast {
		d = 2 * time.Minute
	}
	var dl []float64
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "window\tpartial\tbatches\tmean size\tfull\tfailed invocations\tfailed receives\tdead-lettered\tclosed form")
	for _, c := range []struct {
		window time.Duration
		pbr    bool
	}{{0, false}, {time.Second, false}, {time.Second, true}} {
		q := sim.DefaultQueue()
		q.BatchWindow, q.PartialBatchResponse = c.window, c.pbr
		sc := scenario(q)
		sc.Policy = nil
		sc.Fault = sim.Fault{}
		sc.Baseline.ErrorProb, sc.Candidate.ErrorProb = p, p
		sc.Strategy = strategy.Steps{{SetWeight: 10}, {Pause: d}}
		sc.Seed = 5
		r, err := sim.Run(sc)
		if err != nil {
			return nil, err
		}
		var n, msgs int64
		for k, c := range r.BatchSizes {
			n += c
			msgs += int64(k) * c
		}
		sent := rate * d.Seconds()
		dl = append(dl, float64(r.DeadLettered)/sent)
		mean := float64(msgs) / float64(n)
		closed := "-"
		switch {
		case c.pbr:
			closed = pct(math.Pow(p, R))
		case float64(r.BatchSizes[10]) >= 0.99*float64(n):
			closed = pct(math.Pow(1-math.Pow(1-p, 10), R)) // full batches
		}
		fmt.Fprintf(tw, "%v\t%v\t%d\t%.2f\t%s\t%d\t%d\t%s\t%s\n", c.window, c.pbr, n, mean,
			pct(float64(r.BatchSizes[10])/float64(n)), r.FailedAttempts, r.FailedMessages,
			pct(float64(r.DeadLettered)/sent), closed)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	fmt.Fprintln(w)
	return dl, nil
}

// delayedOf is what the bad candidate retried or delayed: async attempts
// retried, or queue messages delivered after a failed receive.
func delayedOf(model string, s *metrics.Summary) float64 {
	if model == "queue" {
		return s.Value(metrics.DelayedMessages)
	}
	return s.Value(metrics.FailedAttempts) + s.Value(metrics.DelayedMessages)
}

// cost is what the bad candidate cost one model, per deployment (means):
// its failed invocations, what was lost for good (see lostForGood), and the
// attempts retried or messages delayed.
type cost struct{ failed, lost, delayed float64 }

// both runs sc with the bad candidate and with a healthy one.
func both(ctx context.Context, sc sim.Scenario, runs int) (bad, healthy *metrics.Summary, err error) {
	if bad, err = sim.MonteCarlo(ctx, sc, runs, sim.MonteCarloOptions{}); err != nil {
		return nil, nil, err
	}
	sc.Fault = sim.Fault{}
	if healthy, err = sim.MonteCarlo(ctx, sc, runs, sim.MonteCarloOptions{}); err != nil {
		return nil, nil, err
	}
	return bad, healthy, nil
}

// lostForGood is what never gets served and is not retried any more:
// async events dropped after their retries or maximum age, plus events or
// messages sent to a dead-letter queue. A synchronous failure is not in it:
// its caller saw the error (it is in failed invocations), as the table's
// "lost" and "dead-lettered" columns, whose sum this is, say.
func lostForGood(s *metrics.Summary) float64 {
	return s.Value(metrics.LostEvents) + s.Value(metrics.DeadLettered)
}

// errorRates reads the candidate's ErrorRate of the first n minutes of a
// run's series (NaN for a minute with no invocation).
func errorRates(s *metrics.Series, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = math.NaN()
	}
	if s == nil {
		return out
	}
	per := int(time.Minute / s.Resolution)
	for k := 0; k < n; k++ {
		var v metrics.VersionStats
		s.Aggregate(metrics.Candidate, k*per, (k+1)*per, &v)
		if r, ok := v.Value(metrics.ErrorRate, metrics.Statistic{Kind: metrics.Sum}); ok {
			out[k] = r
		}
	}
	return out
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
}

// alarmView draws the candidate's error rate per minute under each model
// against the alarm's threshold.
func alarmView(ms []model, views [][]float64) (*plot.Plot, string, error) {
	p := plot.New()
	p.Title.Text = "What the alarm sees: candidate error rate per minute (one deployment, +5% bug)"
	p.X.Label.Text = "minute since the deployment started"
	p.Y.Label.Text = "candidate error rate (% of its invocations, per minute)"
	p.X.Tick.Marker = chart.Ticks{}
	p.Y.Tick.Marker = chart.Ticks{}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	for i, m := range ms {
		var xys plotter.XYs
		for k, v := range views[i] {
			if !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: float64(k), Y: 100 * v})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, "", err
		}
		l.Color, sc.Color = palette[i], palette[i]
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(m.name, l, sc)
	}
	thr, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 100 * deploysim.DefaultAlarmThreshold}, {X: 4, Y: 100 * deploysim.DefaultAlarmThreshold}})
	if err != nil {
		return nil, "", err
	}
	thr.Color = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	thr.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(thr)
	p.Legend.Add(fmt.Sprintf("alarm threshold (%g %%)", 100*deploysim.DefaultAlarmThreshold), thr)
	top := 100 * deploysim.DefaultAlarmThreshold
	for _, v := range views {
		for _, x := range v {
			if !math.IsNaN(x) {
				top = math.Max(top, 100*x)
			}
		}
	}
	p.Y.Max = top * 1.1 // room above the highest point
	return p, "alarm-view", nil
}

// outcomes draws, per model, the bad candidate's failed invocations, what
// was lost for good (lostForGood: dropped or dead-lettered, the table's
// "lost" + "dead-lettered"), and the attempts retried or messages delayed.
// The y axis is logarithmic (chart.Log1p) when the bars span orders of
// magnitude, and the x range leaves half a category on each side so the
// outer bars are not cut.
func outcomes(ms []model, costs []cost) (*plot.Plot, string, error) {
	p := plot.New()
	p.Title.Text = "What a +5% bug costs per deployment, by event model (means)"
	p.Y.Label.Text = "per bad deployment (mean)"
	p.Y.Tick.Marker = chart.Ticks{}
	p.Add(plotter.NewGrid())
	w := vg.Points(18)
	lo, hi := math.Inf(1), 0.0
	for _, c := range costs {
		for _, v := range []float64{c.failed, c.lost, c.delayed} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	logY := chart.UseLogAxis(lo, hi)
	for j, s := range []struct {
		label string
		get   func(i int) float64
	}{
		{"failed invocations", func(i int) float64 { return costs[i].failed }},
		{lostLabel(costs), func(i int) float64 { return costs[i].lost }},
		{"retried or delayed", func(i int) float64 { return costs[i].delayed }},
	} {
		vals := make(plotter.Values, len(ms))
		for i := range ms {
			if v := s.get(i); !math.IsNaN(v) {
				vals[i] = v
				if logY {
					vals[i] = chart.Log1p(v)
				}
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, "", err
		}
		b.Color = palette[j]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(j-1) * w
		p.Add(b)
		p.Legend.Add(s.label, b)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(ms))-0.5
	if logY {
		p.Y.Tick.Marker = chart.Log1pTicks{}
		p.Y.Label.Text += " (log scale)"
		p.Y.Max = chart.Log1p(hi * 1.3)
	} else {
		p.Y.Max = hi * 1.1
	}
	p.Y.Min = 0
	return p, "outcomes", nil
}

// lostLabel names the lost-for-good bars, saying so when there are none to
// see (a bar of 0 has no height).
func lostLabel(costs []cost) string {
	for _, c := range costs {
		if c.lost > 0 {
			return "lost for good (dropped or dead-lettered)"
		}
	}
	return "lost for good (dropped or dead-lettered): none"
}

// meanOf is the mean of the values of vs that are not NaN (NaN if none).
func meanOf(vs []float64) float64 {
	sum, n := 0.0, 0
	for _, v := range vs {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
