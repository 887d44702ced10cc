package deploysim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// DefaultRecommendConfidence is the one-sided confidence at which
// Recommend holds a constraint met when Constraints.Confidence is 0.
const DefaultRecommendConfidence = 0.95

// Constraints is the question Recommend answers: the limits a configuration
// must meet, each optional (zero: no limit), and the figure to make as small
// as possible among those that meet them.
//
// A limit counts as met only when the data show it at Confidence: the
// one-sided upper confidence bound of the false-rollback rate (Wilson score
// interval) is at most MaxFalseRollback, the lower bound of the detection
// rate at least MinDetection, and the upper bound of the mean deployment
// duration and of the mean time to roll back (Student-t intervals, as
// metrics.Summary.StatsAt) at most MaxDuration and MaxTimeToRollback. A
// configuration whose estimate meets a limit but whose bound does not is
// not recommended: more runs, or a looser limit, would be needed to say so.
type Constraints struct {
	// MaxFalseRollback bounds the probability that a healthy release is
	// rolled back (metrics.FalseRollbackRate, over the healthy twin's runs).
	MaxFalseRollback float64
	// MinDetection is the least probability that a bad release of the
	// scenario's kind is rolled back before it reaches 100 %
	// (metrics.DetectionRate, over the bad runs).
	MinDetection float64
	// MaxDuration bounds the mean time a healthy release takes to reach
	// 100 % (metrics.DeployDuration).
	MaxDuration time.Duration
	// MaxTimeToRollback bounds the mean time from the fault's onset to the
	// weight being back at 0, over the bad runs that were rolled back
	// (metrics.TimeToRollback).
	MaxTimeToRollback time.Duration
	// Objective is the figure to minimise: CandidateFailures (the zero
	// value), UsersHit, TimeToRollback or DeployDuration. TimeToRollback is
	// read over detected runs only: pair it with MinDetection, or an alarm
	// that rarely fires but fires fast wins.
	Objective metrics.Figure
	// Confidence is the one-sided confidence of every bound, in [0.5, 1);
	// 0 means DefaultRecommendConfidence.
	Confidence float64
}

// Objectives lists the figures Constraints.Objective may name.
var Objectives = []metrics.Figure{metrics.CandidateFailures, metrics.UsersHit, metrics.TimeToRollback, metrics.DeployDuration}

// Validate reports a limit outside its range, naming the field and value.
func (c Constraints) Validate() error {
	bad := func(field string, v any, rule string) error {
		return fmt.Errorf("deploysim: Constraints.%s = %v: %s: %w", field, v, rule, sim.ErrInvalid)
	}
	if !(c.MaxFalseRollback >= 0 && c.MaxFalseRollback <= 1) {
		return bad("MaxFalseRollback", c.MaxFalseRollback, "must be a probability in [0, 1] (0: no limit)")
	}
	if !(c.MinDetection >= 0 && c.MinDetection <= 1) {
		return bad("MinDetection", c.MinDetection, "must be a probability in [0, 1] (0: no limit)")
	}
	if c.MaxDuration < 0 {
		return bad("MaxDuration", c.MaxDuration, "must be >= 0 (0: no limit)")
	}
	if c.MaxTimeToRollback < 0 {
		return bad("MaxTimeToRollback", c.MaxTimeToRollback, "must be >= 0 (0: no limit)")
	}
	ok := false
	names := make([]string, len(Objectives))
	for i, f := range Objectives {
		ok = ok || f == c.Objective
		names[i] = f.String()
	}
	if !ok {
		return bad("Objective", c.Objective, "must be one of "+strings.Join(names, ", "))
	}
	if c.Confidence != 0 && !(c.Confidence >= 0.5 && c.Confidence < 1) {
		return bad("Confidence", c.Confidence, "must be in [0.5, 1) (0: 0.95)")
	}
	return nil
}

func (c Constraints) confidence() float64 {
	if c.Confidence == 0 {
		return DefaultRecommendConfidence
	}
	return c.Confidence
}

// limit is one constraint in the terms of a figure.
type limit struct {
	fig   metrics.Figure
	value float64 // in the figure's display unit (seconds for times)
	lower bool    // a floor (DetectionRate) rather than a ceiling
}

// limits lists the constraints that are set, in the order of the fields.
func (c Constraints) limits() []limit {
	var out []limit
	if c.MaxFalseRollback > 0 {
		out = append(out, limit{metrics.FalseRollbackRate, c.MaxFalseRollback, false})
	}
	if c.MinDetection > 0 {
		out = append(out, limit{metrics.DetectionRate, c.MinDetection, true})
	}
	if c.MaxDuration > 0 {
		out = append(out, limit{metrics.DeployDuration, c.MaxDuration.Seconds(), false})
	}
	if c.MaxTimeToRollback > 0 {
		out = append(out, limit{metrics.TimeToRollback, c.MaxTimeToRollback.Seconds(), false})
	}
	return out
}

// String writes the limits as the command line spells them.
func (c Constraints) String() string {
	var parts []string
	for _, l := range c.limits() {
		op := "<="
		if l.lower {
			op = ">="
		}
		parts = append(parts, fmt.Sprintf("%s %s %g", l.fig, op, l.value))
	}
	parts = append(parts, "minimize "+c.Objective.String(), fmt.Sprintf("confidence %g", c.confidence()))
	return strings.Join(parts, ", ")
}

// Configuration is one point of the space: a strategy and the policy that
// watches it. Either may be of the caller's own type.
type Configuration struct {
	Strategy strategy.Strategy
	Policy   rollback.Policy
}

// String is "strategy / policy".
func (c Configuration) String() string {
	p := "none"
	if c.Policy != nil {
		p = c.Policy.Name()
	}
	s := "<nil>"
	if c.Strategy != nil {
		s = c.Strategy.String()
	}
	return s + " / " + p
}

// Verdict is where one limit stands for one configuration.
type Verdict struct {
	Figure metrics.Figure
	Limit  float64 // in the figure's unit (seconds for times)
	Lower  bool    // the limit is a floor (DetectionRate)
	// Estimate is the rate or mean; Bound the one-sided confidence bound on
	// the side that must meet the limit (the upper bound for a ceiling).
	Estimate, Bound float64
	// Met: Bound meets the limit. Violated: even the other bound misses it,
	// so more runs would not help.
	Met, Violated bool
}

// Candidate is one configuration as far as the search evaluated it.
type Candidate struct {
	Configuration
	// Index is the configuration's position in Space.Configurations().
	Index int
	// Summary holds Runs bad runs of the scenario and Runs runs of its
	// healthy twin, run i of each with the seed of run i of every other
	// candidate (sim.RunSeed): what Estimate would return for those runs.
	Summary *metrics.Summary
	Runs    int
	// Verdicts holds one entry per limit set, in Constraints field order.
	Verdicts []Verdict
	// Dropped says why the search stopped running it ("" for the
	// candidates that ran to the end).
	Dropped string
}

// Feasible reports whether every limit is met at the confidence asked
// (false for a nil Candidate).
func (c *Candidate) Feasible() bool {
	if c == nil {
		return false
	}
	for _, v := range c.Verdicts {
		if !v.Met {
			return false
		}
	}
	return true
}

// Objective is the candidate's objective estimate (NaN if no run had it).
func (c *Candidate) objective(f metrics.Figure) float64 { return c.Summary.Value(f) }

// Front is a Pareto front of the objective against one other figure.
type Front struct {
	X, Y       metrics.Figure // X is the objective
	Candidates []*Candidate   // sorted by X, best first
}

// Recommendation is Recommend's answer.
type Recommendation struct {
	Constraints Constraints
	// Best is the recommended configuration: the feasible candidate with the
	// lowest objective estimate; when none is feasible, the candidate
	// closest to feasibility (Feasible false, Closest says how close).
	Best *Candidate
	// Feasible reports whether Best meets every limit at the confidence.
	Feasible bool
	// Closest, when no candidate is feasible, names the limit that came
	// nearest to being met by Best and by how much it missed: limits cannot
	// all be met by this space on this scenario.
	Closest string
	// Pareto holds, for each constrained figure (the false-rollback rate
	// when no limit is set), the front of the objective against it over the
	// candidates the search ran to completion or dropped with at least
	// FrontRuns runs, every member topped up to Space.MaxRuns runs.
	Pareto []Front
	// Preset is the best CodeDeploy Lambda preset under the scenario's own
	// policy, chosen by the same rule over Space.MaxRuns runs each: what the
	// recommendation improves on.
	Preset *Candidate
	// Configurations is the size of the space; Runs the simulated runs the
	// search spent (bad and healthy, Pareto top-ups included); Exhaustive
	// the runs a grid of every configuration at MaxRuns would take;
	// PresetRuns the runs of the preset comparison.
	Configurations, Runs, Exhaustive, PresetRuns int
	// Dropped counts the configurations the search stopped early, by reason.
	Dropped map[string]int
	// Candidates is every configuration as far as it was run, in space order.
	Candidates []*Candidate
}

// The reasons a configuration is dropped.
const (
	DropViolated  = "violates a limit"
	DropDominated = "dominated"
	DropHalving   = "halving"
	DropScreened  = "screened"
)

// ErrNotBad is returned by Recommend for a scenario whose candidate is
// healthy: detection and blast radius need a fault to measure.
var ErrNotBad = errors.New("deploysim: Recommend needs a bad candidate (Scenario.Fault): its healthy twin is simulated alongside")

// Recommend searches space for the configuration that minimises
// cons.Objective on sc while meeting cons's limits, and returns it with the
// Pareto fronts and what the search spent. sc's Strategy and Policy are
// replaced by each configuration's; sc must have a bad candidate (the
// objective is read over its runs, the false-rollback rate and duration
// over its healthy twin sc.Healthy(), as Estimate does).
//
// The search races the configurations (Maron & Moore's racing; Jamieson &
// Talwalkar's successive halving): every configuration gets Space.MinRuns
// runs of each half, then the survivors twice as many, and so on up to
// Space.MaxRuns. Run i of every configuration uses the seed of run i
// (sim.RunSeed(sc.Seed, i)): common random numbers, so that configurations
// are compared on the same traffic and the same draws. After each round a
// configuration is dropped when a limit is surely violated (its favourable
// confidence bound misses the limit), when its objective's confidence
// interval lies wholly above that of a configuration already known to be
// feasible, or, while more than Space.Keep remain, when it ranks in the
// worse half by (estimated violation of the limits, objective estimate).
// Configurations are then ordered, and the result is the same for the same
// inputs whatever Space.Workers is.
//
// Errors: bad constraints or space settings, an invalid configuration
// (named, wrapping sim.ErrInvalid), a healthy scenario (ErrNotBad);
// cancelling ctx returns an error wrapping ctx.Err().
func Recommend(ctx context.Context, sc sim.Scenario, space Space, cons Constraints) (Recommendation, error) {
	if err := cons.Validate(); err != nil {
		return Recommendation{}, err
	}
	if !sc.Fault.Bad() {
		return Recommendation{}, ErrNotBad
	}
	if err := space.validate(); err != nil {
		return Recommendation{}, err
	}
	cfgs := space.Configurations()
	if len(cfgs) == 0 {
		return Recommendation{}, fmt.Errorf("deploysim: Recommend: the space is empty (no strategy or no policy): %w", sim.ErrInvalid)
	}
	for i, c := range cfgs {
		t := sc
		t.Strategy, t.Policy = c.Strategy, c.Policy
		if err := t.Validate(); err != nil {
			return Recommendation{}, fmt.Errorf("deploysim: Recommend configuration %d (%s): %w", i, c, err)
		}
	}
	r := &race{sc: sc, cons: cons, lims: cons.limits(), space: space, level: 2*cons.confidence() - 1}
	if r.level <= 0 {
		r.level = 1e-9 // 50 % one-sided: the bound is the estimate
	}
	rec := Recommendation{Constraints: cons, Configurations: len(cfgs), Dropped: map[string]int{}}
	cands, err := r.run(ctx, cfgs)
	if err != nil {
		return Recommendation{}, err
	}
	rec.Candidates = cands
	for _, c := range cands {
		if c.Dropped != "" {
			rec.Dropped[c.Dropped]++
		}
	}
	rec.Best, rec.Feasible = r.pick(cands)
	if !rec.Feasible && rec.Best != nil {
		rec.Closest = closest(rec.Best)
	}
	if rec.Pareto, err = r.fronts(ctx, cands); err != nil {
		return Recommendation{}, err
	}
	rec.Runs = r.runs
	if !space.NoPreset {
		if rec.Preset, err = r.preset(ctx); err != nil {
			return Recommendation{}, err
		}
		rec.PresetRuns = r.runs - rec.Runs
	}
	rec.Exhaustive = 2 * space.maxRuns() * len(cfgs)
	return rec, nil
}

// closest describes the limit Best missed by the least, relative to it.
func closest(c *Candidate) string {
	bestGap, what := math.Inf(1), ""
	var missed []string
	for _, v := range c.Verdicts {
		if v.Met {
			continue
		}
		gap := (v.Bound - v.Limit) / math.Max(math.Abs(v.Limit), 1e-12)
		if v.Lower {
			gap = -gap
		}
		if math.IsNaN(gap) {
			gap = math.Inf(1)
		}
		missed = append(missed, v.Figure.String())
		if gap < bestGap || what == "" {
			bestGap = gap
			what = fmt.Sprintf("%s: bound %.4g against the limit %g (%s by %.1f %%)", v.Figure, v.Bound, v.Limit, map[bool]string{true: "short", false: "over"}[v.Lower], 100*gap)
		}
	}
	return fmt.Sprintf("the limits cannot all be met at this confidence; the closest configuration misses %s; nearest: %s", strings.Join(missed, ", "), what)
}
