package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/emit"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/strategy"
)

// limitOptions are the question's flags, shared by recommend and
// evaluate --recommend.
type limitOptions struct {
	maxFalseRollback, minDetection float64
	maxDuration, maxTimeToRollback time.Duration
	minimize                       string
	confidence                     float64
	space                          string
}

// recommendOptions are recommend's own flags.
type recommendOptions struct {
	limitOptions
	emit   string
	format string
	chart  string
}

// newRecommendCmd is `deploysim recommend`: the strategy and rollback
// policy to use on one scenario, under limits (deploysim.Recommend).
func newRecommendCmd(s streams) *cobra.Command {
	var o recommendOptions
	var so *scenarioOptions
	cmd := &cobra.Command{
		Use:   "recommend [flags]",
		Short: "Find the strategy and alarms that hurt the fewest requests under your limits",
		Long: `Searches a space of strategies (every CodeDeploy Lambda preset, custom
canaries and linears, exponentials, Argo-style steps) and rollback policies
(single CloudWatch alarms on Errors or ErrorRate of the candidate or the
alias, 10 s or 60 s periods, thresholds, M of N; the baseline comparison;
the sequential test) for the configuration that minimises --minimize when
the candidate is bad, among those that meet the limits: --max-false-rollback
(probability a healthy release is rolled back), --min-detection (probability
a bad one is rolled back before 100%), --max-duration (time a healthy release
takes to reach 100%) and --max-time-to-rollback. A limit counts as met only
when its one-sided confidence bound at --confidence is (Wilson for rates,
Student-t for means); when none meets them all, says which limit came
closest.

The search races the configurations on common random numbers (run i of each
uses the same seed): a few runs each, then more for the survivors, dropping
those that surely violate a limit or are beaten with confidence (see
docs/model.md, Recommendation). It prints the recommendation, how it stands
against each limit and against the best Lambda preset under the scenario's
policy (--policy, --alarm), the Pareto front of the objective against each
limited figure, what it spent, and the compare flags that reproduce it with
other seeds. --space FILE narrows or widens the default space (YAML; see
deploysim.ParseSpaceFile). --emit sam|cloudformation|argo|flagger writes a
snippet to paste instead of the report.

--format json writes {"scenario", "constraints", "feasible", "closest",
"best", "preset", "pareto", "evaluated", "compare_args"} (see
deploysim.Recommendation.WriteJSON); best and each pareto entry are compare
rows with "policy" and "alarms" added.`,
		Example: `  deploysim recommend --max-false-rollback 0.05 --min-detection 0.95
  deploysim recommend --rps 1 --max-false-rollback 0.01 --max-duration 30m
  deploysim recommend --max-false-rollback 0.05 --space space.yaml -o json
  deploysim recommend --max-false-rollback 0.05 --emit sam > preference.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRecommend(cmd.Context(), s, so, &o)
		},
	}
	f := cmd.Flags()
	o.addLimitFlags(f)
	f.StringVar(&o.chart, "chart", "", "also write the Pareto chart of the objective against the first limited figure (the false-rollback rate when none is set) to `FILE` (.png or .svg): every configuration the search ran past its first rounds, the front, the best preset and the recommendation")
	f.StringVar(&o.emit, "emit", "", "write a snippet to paste instead of the report: sam, cloudformation, argo or flagger")
	f.StringVarP(&o.format, "format", "o", "table", "output `FORMAT`: table or json")
	so = addScenarioFlags(f, "strategies", "runs")
	so.warn = s.err // --from warnings
	registerCompletions(cmd)
	return cmd
}

// runRecommend turns the flags into a deploysim.Recommend call and writes
// its answer.
func runRecommend(ctx context.Context, s streams, so *scenarioOptions, o *recommendOptions) error {
	if ext := strings.ToLower(filepath.Ext(o.chart)); o.chart != "" && ext != ".png" && ext != ".svg" {
		return fmt.Errorf("--chart = %q: must end in .png or .svg", clip(o.chart))
	}
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("--format = %q: must be table or json", clip(o.format))
	}
	if o.emit != "" && !emit.Known(o.emit) {
		return fmt.Errorf("--emit = %q: must be one of %s", clip(o.emit), emit.Formats)
	}
	cons, err := o.constraints()
	if err != nil {
		return err
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	sc, err := c.Scenario(strategy.LambdaCanary10Percent5Minutes) // Recommend replaces the strategy
	if err != nil {
		return err
	}
	if !sc.Fault.Bad() {
		return fmt.Errorf("--error-rate = 0 and --latency-regression = 1: recommend needs a bad candidate to measure detection and blast radius (its healthy twin gives the false rollbacks)")
	}
	space, err := o.spaceOf()
	if err != nil {
		return err
	}
	rec, err := deploysim.Recommend(ctx, sc, space, cons)
	if err != nil {
		return err
	}
	c.Fill(nil)
	if o.chart != "" {
		if err := recommendChart(rec, o.chart); err != nil {
			return fmt.Errorf("--chart: %w", err)
		}
	}
	if o.emit != "" {
		fmt.Fprintf(s.err, "recommended: %s\n", rec.Best.Label())
		if !rec.Feasible {
			fmt.Fprintf(s.err, "warning: %s\n", rec.Closest)
		}
		return emit.Write(s.out, o.emit, rec.Best.Strategy, rec.Best.Policy)
	}
	if o.format == "json" {
		return rec.WriteJSON(s.out, &c)
	}
	return rec.WriteText(s.out)
}

// addLimitFlags registers the limits, the objective, the confidence and
// --space on f.
func (o *limitOptions) addLimitFlags(f *pflag.FlagSet) {
	f.Float64Var(&o.maxFalseRollback, "max-false-rollback", 0, "largest acceptable probability that a healthy release is rolled back (0: no limit)")
	f.Float64Var(&o.minDetection, "min-detection", 0, "least acceptable probability that a bad release is rolled back before 100% (0: no limit)")
	f.DurationVar(&o.maxDuration, "max-duration", 0, "longest acceptable mean time for a healthy release to reach 100% (0: no limit)")
	f.DurationVar(&o.maxTimeToRollback, "max-time-to-rollback", 0, "longest acceptable mean time from the fault to the weight back at 0 (0: no limit)")
	f.StringVar(&o.minimize, "minimize", "candidate_failures", "`FIGURE` to minimise: candidate_failures, users_hit, time_to_rollback_s or duration_s")
	f.Float64Var(&o.confidence, "confidence", deploysim.DefaultRecommendConfidence, "one-sided confidence at which a limit must be shown met")
	f.StringVar(&o.space, "space", "", "YAML `FILE` narrowing or widening the default space (deploysim.ParseSpaceFile)")
}

// constraints builds the library's question from the flags.
func (o *limitOptions) constraints() (deploysim.Constraints, error) {
	obj, err := metrics.ParseFigure(o.minimize)
	if err != nil {
		return deploysim.Constraints{}, fmt.Errorf("--minimize = %q: must be candidate_failures, users_hit, time_to_rollback_s or duration_s", clip(o.minimize))
	}
	cons := deploysim.Constraints{
		MaxFalseRollback: o.maxFalseRollback, MinDetection: o.minDetection,
		MaxDuration: o.maxDuration, MaxTimeToRollback: o.maxTimeToRollback,
		Objective: obj, Confidence: o.confidence,
	}
	return cons, cons.Validate()
}

// spaceOf is the default space, or --space's.
func (o *limitOptions) spaceOf() (deploysim.Space, error) {
	if o.space == "" {
		return deploysim.DefaultSpace(), nil
	}
	data, err := scenario.ReadFile(o.space, deploysim.MaxSpaceFile)
	if err != nil {
		return deploysim.Space{}, fmt.Errorf("--space: %w", err)
	}
	_, sp, err := deploysim.ParseSpaceFile(o.space, data)
	return sp, err
}

// recommendChart writes the Pareto chart of rec's first front with
// chart.Pareto: the front's members (the recommendation among them) and
// the best preset, each labelled by its place (the text output's Pareto
// table names them). The thousands of configurations raced past are left
// out: a chart of labelled points cannot hold them.
func recommendChart(rec deploysim.Recommendation, path string) error {
	if len(rec.Pareto) == 0 {
		return fmt.Errorf("no Pareto front")
	}
	f := rec.Pareto[0]
	var ps []chart.Point
	seen := map[*deploysim.Candidate]bool{}
	add := func(label string, c *deploysim.Candidate) {
		if c == nil || seen[c] {
			return
		}
		seen[c] = true
		x, y := c.Summary.Value(f.Y), c.Summary.Value(f.X)
		if !math.IsNaN(x) && !math.IsNaN(y) {
			ps = append(ps, chart.Point{Label: label, X: x, Y: y})
		}
	}
	for i, c := range f.Candidates {
		label := fmt.Sprintf("front %d", i+1)
		if c == rec.Best {
			label = "recommended"
		}
		add(label, c)
	}
	add("recommended", rec.Best)
	if rec.Preset != nil {
		add("preset "+rec.Preset.Strategy.String(), rec.Preset)
	}
	p, err := chart.Pareto(ps, f.Y, f.X)
	if err != nil {
		return err
	}
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, ext)
	if err != nil {
		return err
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := wt.WriteTo(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
