package deploysim

import (
	"context"
	"fmt"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// GridPoint is one point of a sweep: the strategy and the rollback policy a
// row was made from (kept as values, so a caller never re-parses a label),
// any other change to the scenario, and the coordinates that name the point
// in a table.
type GridPoint struct {
	Strategy strategy.Strategy
	// Policy replaces the scenario's policy; nil keeps it.
	Policy rollback.Policy
	// Params are the point's coordinates besides the strategy ("policy",
	// "rps" …), in axis order; they become the table row's Params.
	Params []metrics.Param
	// Changes are applied in order to a copy of the base scenario, after
	// Strategy and Policy are set.
	Changes []func(*sim.Scenario)
}

// Scenario returns base with c applied: its strategy, its policy when set,
// then its changes (a nil change changes nothing; Sweep refuses it).
func (c GridPoint) Scenario(base sim.Scenario) sim.Scenario {
	sc := base
	sc.Strategy = c.Strategy
	if c.Policy != nil {
		sc.Policy = c.Policy
	}
	for _, ch := range c.Changes {
		if ch != nil {
			ch(&sc)
		}
	}
	return sc
}

// Axis is one dimension of a grid besides strategy and policy: a name (a
// table column) and its values, each a label and the change it makes.
type Axis struct {
	Name   string
	Values []AxisValue
}

// AxisValue is one value of an Axis.
type AxisValue struct {
	Label  string
	Change func(*sim.Scenario)
}

// Vary is an Axis over numbers: each value v is labelled with %g and
// applied with set(sc, v). Vary("rps", []float64{1, 10, 100}, func(sc
// *sim.Scenario, v float64) { sc.Workload = sim.Poisson{Rate: v} }).
// With a nil set the values have no Change, which Sweep refuses.
func Vary(name string, values []float64, set func(sc *sim.Scenario, v float64)) Axis {
	a := Axis{Name: name}
	for _, v := range values {
		av := AxisValue{Label: fmt.Sprintf("%g", v)}
		if set != nil {
			av.Change = func(sc *sim.Scenario) { set(sc, v) }
		}
		a.Values = append(a.Values, av)
	}
	return a
}

// Grid returns every combination of a strategy, a policy and one value of
// each axis, strategies outermost, then policies, then the axes in order
// (the last varies fastest). With no policy the scenario's own is kept;
// with one or more, each GridPoint has a "policy" coordinate, its Name.
func Grid(strategies []strategy.Strategy, policies []rollback.Policy, axes ...Axis) []GridPoint {
	var out []GridPoint
	pols := policies
	if len(pols) == 0 {
		pols = []rollback.Policy{nil}
	}
	for _, s := range strategies {
		for _, p := range pols {
			base := GridPoint{Strategy: s, Policy: p}
			if p != nil {
				base.Params = []metrics.Param{{Name: "policy", Value: p.Name()}}
			}
			cs := []GridPoint{base}
			for _, a := range axes {
				var next []GridPoint
				for _, c := range cs {
					for _, v := range a.Values {
						n := c
						n.Params = append(append([]metrics.Param(nil), c.Params...), metrics.Param{Name: a.Name, Value: v.Label})
						n.Changes = append(append([]func(*sim.Scenario){}, c.Changes...), v.Change)
						next = append(next, n)
					}
				}
				cs = next
			}
			out = append(out, cs...)
		}
	}
	return out
}

// SweepRow is one point of a sweep: the GridPoint it was made from and the
// Summary of its runs.
type SweepRow struct {
	Point   GridPoint
	Summary *metrics.Summary
}

// Label is the row's label in a table: the strategy's name ("" for none).
func (r SweepRow) Label() string {
	if r.Point.Strategy == nil {
		return ""
	}
	return r.Point.Strategy.Name()
}

// SweepResult is what Sweep returns: one row per GridPoint, in order.
type SweepResult struct {
	Rows []SweepRow
}

// Table is the result as a metrics.Table (labels and Params only), to
// print, write as JSON or merge with other shards. A nil result is an
// empty table.
func (r *SweepResult) Table() metrics.Table {
	var t metrics.Table
	if r == nil {
		return t
	}
	for _, row := range r.Rows {
		t.Add(row.Label(), row.Summary, row.Point.Params...)
	}
	return t
}

// Sweep estimates every GridPoint on base (Estimate: runs bad runs and, when
// the candidate is bad, as many healthy twins, on the same seeds for every
// GridPoint: common random numbers). A nil strategy, a GridPoint whose scenario
// fails validation or runs <= 0 is an error naming the GridPoint's index and
// label, wrapping sim.ErrInvalid; so is an empty points (Grid of no
// strategy), which would otherwise return an empty result that hides the
// mistake. Cancelling ctx returns ctx.Err() wrapped.
func Sweep(ctx context.Context, base sim.Scenario, points []GridPoint, runs int, opts EstimateOptions) (*SweepResult, error) {
	if runs <= 0 {
		return nil, fmt.Errorf("deploysim: Sweep runs = %d: must be > 0: %w", runs, sim.ErrInvalid)
	}
	if len(points) == 0 {
		return nil, fmt.Errorf("deploysim: Sweep points = []: must list at least one GridPoint (Grid needs at least one strategy): %w", sim.ErrInvalid)
	}
	res := &SweepResult{Rows: make([]SweepRow, 0, len(points))}
	for i, c := range points {
		if c.Strategy == nil {
			return nil, fmt.Errorf("deploysim: Sweep points[%d].Strategy = nil: must be a strategy: %w", i, sim.ErrInvalid)
		}
		for j, ch := range c.Changes {
			if ch == nil {
				return nil, fmt.Errorf("deploysim: Sweep points[%d] (%s %v).Changes[%d] = nil: must be a change (Vary needs a set function): %w", i, c.Strategy.Name(), c.Params, j, sim.ErrInvalid)
			}
		}
		sum, err := Estimate(ctx, c.Scenario(base), runs, opts)
		if err != nil {
			return nil, fmt.Errorf("deploysim: Sweep points[%d] (%s %v): %w", i, c.Strategy.Name(), c.Params, err)
		}
		res.Rows = append(res.Rows, SweepRow{Point: c, Summary: sum})
	}
	return res, nil
}
