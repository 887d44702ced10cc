package deploysim

import (
	"context"
	"math"
	"slices"
	"strconv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// frontFigures are the figures the objective is traded against: each
// constrained one, or the false-rollback rate when no limit is set.
func (r *race) frontFigures() []metrics.Figure {
	var out []metrics.Figure
	for _, l := range r.lims {
		if l.fig != r.cons.Objective {
			out = append(out, l.fig)
		}
	}
	if len(out) == 0 {
		out = []metrics.Figure{metrics.FalseRollbackRate}
		if r.cons.Objective == metrics.FalseRollbackRate {
			out = []metrics.Figure{metrics.DetectionRate}
		}
	}
	return out
}

// fronts computes the Pareto fronts of the objective against each traded
// figure, over the candidates with at least the halving gate's runs (or
// the second round's), tops their members up to MaxRuns runs and computes
// the fronts again over the topped-up members, so that every point of a
// front stands on the same runs.
func (r *race) fronts(ctx context.Context, cands []*Candidate) ([]Front, error) {
	minRuns := max(r.halvingGate(), 2*r.space.minRuns())
	minRuns = min(minRuns, r.space.maxRuns())
	var pool []*Candidate
	for _, c := range cands {
		if c.Runs >= minRuns {
			pool = append(pool, c)
		}
	}
	if len(pool) == 0 {
		// Everything was dropped early: the front is over the best-run ones.
		most := 0
		for _, c := range cands {
			most = max(most, c.Runs)
		}
		for _, c := range cands {
			if c.Runs == most {
				pool = append(pool, c)
			}
		}
	}
	figs := r.frontFigures()
	members := func(pool []*Candidate) [][]*Candidate {
		out := make([][]*Candidate, len(figs))
		for i, f := range figs {
			out[i] = front(pool, r.cons.Objective, f)
		}
		return out
	}
	first := members(pool)
	var top []*Candidate
	seen := map[int]bool{}
	for _, m := range first {
		for _, c := range m {
			if !seen[c.Index] {
				seen[c.Index] = true
				top = append(top, c)
			}
		}
	}
	slices.SortFunc(top, func(a, b *Candidate) int { return a.Index - b.Index })
	if err := r.extend(ctx, top, r.space.maxRuns()); err != nil {
		return nil, err
	}
	for _, c := range top {
		r.judge(c)
	}
	second := members(top)
	out := make([]Front, len(figs))
	for i, f := range figs {
		out[i] = Front{X: r.cons.Objective, Y: f, Candidates: second[i]}
	}
	return out, nil
}

// front is metrics.Pareto over candidates.
func front(cs []*Candidate, x, y metrics.Figure) []*Candidate {
	rows := make([]metrics.Row, len(cs))
	byLabel := map[string]*Candidate{}
	for i, c := range cs {
		lab := c.Configuration.String() + "#" + strconv.Itoa(c.Index)
		rows[i] = metrics.Row{Label: lab, Summary: c.Summary}
		byLabel[lab] = c
	}
	var out []*Candidate
	for _, row := range metrics.Pareto(rows, x, y) {
		out = append(out, byLabel[row.Label])
	}
	return out
}

// preset evaluates every CodeDeploy Lambda preset under the scenario's own
// policy at MaxRuns runs and returns the best by the recommendation's rule.
func (r *race) preset(ctx context.Context) (*Candidate, error) {
	ps := strategy.LambdaPresets()
	cands := make([]*Candidate, len(ps))
	for i, s := range ps {
		cands[i] = &Candidate{Configuration: Configuration{Strategy: s, Policy: r.sc.Policy}, Index: i, Summary: &metrics.Summary{}}
	}
	if err := r.extend(ctx, cands, r.space.maxRuns()); err != nil {
		return nil, err
	}
	for _, c := range cands {
		r.judge(c)
	}
	// A user picking a preset looks at the rows that meet the most limits
	// and takes the fewest failures among them: when none meets them all,
	// the preset shown is that one, not the one nearest the limits on a
	// relative scale (AllAtOnce, which misses only detection, would be).
	missed := func(c *Candidate) int {
		n := 0
		for _, v := range c.Verdicts {
			if !v.Met {
				n++
			}
		}
		return n
	}
	var best *Candidate
	for _, c := range cands {
		if best == nil {
			best = c
			continue
		}
		if mc, mb := missed(c), missed(best); mc != mb {
			if mc < mb {
				best = c
			}
			continue
		}
		oc, ob := c.objective(r.cons.Objective), best.objective(r.cons.Objective)
		if oc < ob || math.IsNaN(ob) && !math.IsNaN(oc) {
			best = c
		}
	}
	best.Index = -1 // not a point of the space
	return best, nil
}
