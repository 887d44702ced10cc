// Package report puts what deploysim simulated on one page to share: what
// was simulated (in words and as the scenario file), the comparison table,
// the charts that matter (package chart), the assumptions that shaped the
// numbers with links to their sources in docs/model.md, and what the input
// files declared that was not modelled.
//
// A Report is a list of Studies, one per scenario simulated (a comparison,
// or each deployable of the files `deploysim evaluate` reads). WriteHTML
// writes one self-contained HTML file: CSS and SVG charts inline, no script,
// no request to the network when it is opened, and a layout that prints.
// SaveMarkdown writes Markdown with the charts as PNG files beside it, for a
// repository or a wiki. Simulate builds a Study from a scenario in one call.
package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Study is one scenario simulated under one or more strategies.
type Study struct {
	// Title names the study ("Every Lambda preset against a bad release",
	// "template.yaml: MyFunction").
	Title string
	// Description says what was simulated, in sentences.
	Description []string
	// ScenarioYAML is the effective scenario as a scenario file ("" when
	// unknown, as for a table read back from JSON).
	ScenarioYAML string
	// Table is the comparison: one row per strategy.
	Table *metrics.Table
	// Weights are the curves of the weights chart: each strategy's
	// schedule, cut where its first bad run was rolled back.
	Weights []chart.WeightLine
	// Alarm is one bad run as its alarm saw it (nil: no alarm chart).
	Alarm *chart.AlarmRun
	// Assumptions are the modelling choices that shaped the numbers.
	Assumptions []Assumption
	// NotModelled lists what the input declared that deploysim did not
	// simulate (manifest warnings); empty when nothing was left out.
	NotModelled []string
	// Sources are the files the study was read from, if any.
	Sources []string
}

// Assumption is one modelling choice behind a study's numbers, with the
// section of docs/model.md that gives its source.
type Assumption struct {
	Text    string
	Kind    string // "documented", "derived" or "assumed"
	Section string // heading of docs/model.md, e.g. "CloudWatch metrics and alarms"
}

// Anchor is the Markdown heading anchor of Section, as GitHub writes it.
func (a Assumption) Anchor() string { return Anchor(a.Section) }

// Anchor is GitHub's anchor of a Markdown heading: lower case, spaces as
// '-', punctuation other than '-' and '_' dropped.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Simulate compares strategies on sc (deploysim.Compare, runs bad runs and
// their healthy twins per strategy) and simulates run 0 of each strategy
// once more with its series kept, for the weights chart and, for the first
// strategy, the alarm chart. The study's description and assumptions are
// Describe's and Assumptions'.
func Simulate(ctx context.Context, title string, sc sim.Scenario, strategies []strategy.Strategy, runs int) (*Study, error) {
	if len(strategies) == 0 {
		strategies = strategy.LambdaPresets()
	}
	tab, err := deploysim.Compare(ctx, sc, strategies, runs)
	if err != nil {
		return nil, err
	}
	st := &Study{Title: title, Table: &tab, Description: Describe(sc, runs), Assumptions: Assumptions(sc)}
	scs := make([]sim.Scenario, len(strategies))
	for i, s := range strategies {
		scs[i] = sc
		scs[i].Strategy = s
	}
	if err := st.Illustrate(scs); err != nil {
		return nil, err
	}
	return st, nil
}

// Illustrate fills the study's Weights and Alarm: it simulates run 0 of
// each scenario (the seed sim.MonteCarlo gives run 0, so the run is one of
// the table's), keeping the series of the first, and draws each
// strategy's schedule cut where that run was rolled back. labels, when
// given, name the curves (one per scenario); the strategies' names otherwise.
func (st *Study) Illustrate(scs []sim.Scenario, labels ...string) error {
	if st == nil {
		return fmt.Errorf("report: Illustrate: nil Study")
	}
	st.Weights, st.Alarm = nil, nil
	for i, sc := range scs {
		if sc.Strategy == nil {
			return fmt.Errorf("report: Illustrate scenarios[%d].Strategy = nil: must be set", i)
		}
		one := sc
		one.Seed = sim.RunSeed(sc.Seed, 0)
		one.KeepSeries = i == 0
		r, err := sim.Run(one)
		if err != nil {
			return fmt.Errorf("report: run 0 of %s: %w", sc.Strategy.Name(), err)
		}
		label := sc.Strategy.Name()
		if i < len(labels) {
			label = labels[i]
		}
		st.Weights = append(st.Weights, chart.WeightLine{Label: label, Schedule: sc.Strategy.Schedule(), WeightZero: r.WeightZero})
		if i == 0 && r.Series != nil {
			st.Alarm = alarmRun(one, label, &r)
		}
	}
	return nil
}

// alarmRun is run r of sc as its first CloudWatch alarm saw it, or as
// candidate Errors per period when the policy has no alarm.
func alarmRun(sc sim.Scenario, label string, r *metrics.Run) *chart.AlarmRun {
	v := &chart.AlarmRun{
		Label: fmt.Sprintf("%s, run 0", label), Series: r.Series,
		Metric: metrics.Errors, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum},
		Detected: r.Detected, WeightZero: r.WeightZero, Schedule: sc.Strategy.Schedule(),
	}
	if a, ok := firstAlarm(sc.Policy); ok {
		v.Metric, v.Dimension, v.Statistic, v.Period = a.Metric, a.Dimension, a.Statistic, a.Period
		v.HasThreshold, v.Threshold, v.Comparison = true, a.Threshold, a.Comparison.Symbol()
	}
	return v
}

// alarmsOf is the CloudWatch alarm policy p is, if it is one with alarms.
func alarmsOf(p rollback.Policy) (rollback.Alarms, bool) {
	switch q := p.(type) {
	case *rollback.Alarms:
		if q != nil && len(q.Alarms) > 0 {
			return *q, true
		}
	case rollback.Alarms:
		if len(q.Alarms) > 0 {
			return q, true
		}
	}
	return rollback.Alarms{}, false
}

// firstAlarm is the first CloudWatch alarm policy p watches, if any.
func firstAlarm(p rollback.Policy) (rollback.Alarm, bool) {
	q, ok := alarmsOf(p)
	if !ok {
		return rollback.Alarm{}, false
	}
	return q.Alarms[0], true
}

// Describe says in sentences what a comparison of sc over runs runs per
// strategy simulates.
func Describe(sc sim.Scenario, runs int) []string {
	var out []string
	traffic := fmt.Sprintf("%T", sc.Workload)
	if w, ok := sc.Workload.(sim.Poisson); ok {
		traffic = fmt.Sprintf("Poisson arrivals at %s requests per second", num(w.Rate))
	} else if sc.Workload != nil {
		traffic = fmt.Sprintf("a %s workload averaging %s requests per second over the first hour", strings.TrimPrefix(fmt.Sprintf("%T", sc.Workload), "sim."), num(sc.Workload.Integral(0, time.Hour)/3600))
	}
	out = append(out, fmt.Sprintf("Traffic: %s through a weighted alias that routes each request independently.", traffic))
	if sc.Users.N > 0 {
		out = append(out, fmt.Sprintf("%s users, whose activity follows Zipf's law with exponent %s, so that users hit is counted.", num(float64(sc.Users.N)), num(sc.Users.Exponent)))
	}
	out = append(out, fmt.Sprintf("Both versions fail %s of requests when healthy; latency is lognormal with median %s and 99th percentile %s, timeout %s.",
		pct(sc.Baseline.ErrorProb), dur(sc.Baseline.P50), dur(sc.Baseline.P99), dur(sc.Baseline.Timeout)))
	if sc.Fault.Bad() {
		f := "The candidate is bad:"
		if sc.Fault.ErrorProb > 0 {
			f += fmt.Sprintf(" its bug fails an extra %s of its requests", pct(sc.Fault.ErrorProb))
		}
		if sc.Fault.LatencyFactor > 0 && sc.Fault.LatencyFactor != 1 {
			f += fmt.Sprintf(" its latency is %s× the baseline's", num(sc.Fault.LatencyFactor))
		}
		if sc.Fault.OnsetAt > 0 {
			f += fmt.Sprintf(" from %s on", dur(sc.Fault.OnsetAt))
		}
		out = append(out, f+". Each bad run has a healthy twin (no fault, same seed) that measures false rollbacks and how long a good release takes.")
	} else {
		out = append(out, "The candidate is healthy: every rollback is a false rollback.")
	}
	pol := "no rollback policy: nothing rolls the candidate back"
	if sc.Policy != nil {
		pol = "rollback policy " + sc.Policy.Name()
	}
	out = append(out, fmt.Sprintf("Policy: %s. Datapoints become visible %s after their period ends; a rollback puts the weight back at 0 %s after it is decided.", pol, dur(sc.IngestionDelay), dur(sc.ActionLatency)))
	if sc.Horizon > 0 {
		out = append(out, fmt.Sprintf("Each run lasts %s from the start of traffic shifting, so every strategy's blast radius is counted over the same window; a fault missed keeps failing requests until then.", dur(sc.Horizon)))
	}
	out = append(out, fmt.Sprintf("%d bad runs per strategy (and as many healthy twins), seeds derived from %d: the same seeds for every strategy.", runs, sc.Seed))
	return out
}

// Assumptions are the modelling choices of sc that shaped its numbers, each
// with the docs/model.md section that gives its source.
func Assumptions(sc sim.Scenario) []Assumption {
	const (
		routing = "Traffic and routing"
		lambda  = "Lambda versions, latency, errors and concurrency"
		cw      = "CloudWatch metrics and alarms"
		cd      = "CodeDeploy deployments and presets"
	)
	as := []Assumption{
		{"Each request goes to the candidate with probability equal to its weight, independently (Lambda weighted alias routing).", "documented", routing},
	}
	if _, ok := sc.Workload.(sim.Poisson); ok {
		as = append(as, Assumption{"Arrivals are Poisson: real traffic is burstier, which makes per-minute counts and alarms noisier than here (--traffic).", "assumed", routing})
	}
	as = append(as,
		Assumption{fmt.Sprintf("Errors are independent per request: %s healthy, %s more on the bad candidate (--baseline-error-rate, --error-rate).", pct(sc.Baseline.ErrorProb), pct(sc.Fault.ErrorProb)), "assumed", lambda},
		Assumption{fmt.Sprintf("A datapoint is visible %s after its %s period ends (--ingestion-delay): AWS does not document it, and it adds directly to every time to detect.", dur(sc.IngestionDelay), dur(period(sc))), "assumed", cw},
		Assumption{fmt.Sprintf("The weight is back at 0 %s after the rollback decision (--rollback-latency).", dur(sc.ActionLatency)), "assumed", routing},
	)
	if q, ok := alarmsOf(sc.Policy); ok {
		poll := "after every alarm evaluation"
		if q.PollInterval > 0 {
			poll = "every " + dur(q.PollInterval)
		}
		as = append(as,
			Assumption{"Alarms are evaluated as CloudWatch documents: M out of N datapoints, TreatMissingData, the evaluation range.", "documented", cw},
			Assumption{fmt.Sprintf("CodeDeploy reads alarm states %s, and only while the deployment runs (--poll-interval).", poll), "assumed", cd},
		)
	}
	if sc.Users.N > 0 {
		as = append(as, Assumption{fmt.Sprintf("%s users with Zipf activity (exponent %s) stand behind the traffic; only users hit depends on it (--users, --users-exponent).", num(float64(sc.Users.N)), num(sc.Users.Exponent)), "assumed", routing})
	}
	return as
}

func period(sc sim.Scenario) time.Duration {
	if sc.Period > 0 {
		return sc.Period
	}
	return sim.DefaultPeriod
}

// num writes v with the decimals it needs and thousands separated.
func num(v float64) string {
	return chart.FormatNumber(v, chart.Decimals([]float64{v}))
}

// dur writes a duration in the unit that reads best: 100 ms, 5 s, 1 min,
// 2 h, 1 min 30 s.
func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "0 s"
	case d < time.Second:
		return num(float64(d)/float64(time.Millisecond)) + " ms"
	case d%time.Hour == 0:
		return num(d.Hours()) + " h"
	case d%time.Minute == 0:
		return num(d.Minutes()) + " min"
	case d < time.Minute:
		return num(d.Seconds()) + " s"
	}
	return fmt.Sprintf("%d min %s s", int(d/time.Minute), num((d % time.Minute).Seconds()))
}

// pct writes a fraction as a percent ("5 %", "0.1 %").
func pct(p float64) string { return num(100*p) + " %" }
