package deploysim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// race is the state of one Recommend search.
type race struct {
	sc    sim.Scenario
	cons  Constraints
	lims  []limit
	space Space
	level float64 // two-sided level whose one-sided half is cons.confidence()
	runs  int     // runs spent so far (bad + healthy)
}

// task is one stretch of runs [from, to) of one candidate, both halves.
type task struct {
	c        *Candidate
	from, to int
	sum      *metrics.Summary
}

// extend runs every candidate of cs up to `to` runs of each half, in
// parallel over Space.Workers goroutines. Each candidate's new runs go into
// a fresh Summary merged into its own after all tasks are done, in task
// order; a Summary's Merge is exact, so the result does not depend on the
// workers.
func (r *race) extend(ctx context.Context, cs []*Candidate, to int) error {
	var tasks []task
	for _, c := range cs {
		if c.Runs < to {
			tasks = append(tasks, task{c: c, from: c.Runs, to: to})
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	workers := r.space.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(tasks))
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		fails = make([]error, len(tasks))
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rn sim.Runner
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				t := &tasks[i]
				t.sum, fails[i] = r.simulate(&rn, t.c.Configuration, t.from, t.to)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deploysim: Recommend: %w", err)
	}
	for i := range tasks {
		if fails[i] != nil {
			return fmt.Errorf("deploysim: Recommend %s: %w", tasks[i].c.Configuration, fails[i])
		}
		t := &tasks[i]
		if err := t.c.Summary.Merge(t.sum); err != nil {
			return fmt.Errorf("deploysim: Recommend %s: %w", t.c.Configuration, err)
		}
		t.c.Runs = t.to
		r.runs += 2 * (t.to - t.from)
	}
	return nil
}

// simulate runs runs [from, to) of the scenario under c and of its healthy
// twin, with the seeds sim.MonteCarlo gives those indices.
func (r *race) simulate(rn *sim.Runner, c Configuration, from, to int) (*metrics.Summary, error) {
	bad := r.sc
	bad.Strategy, bad.Policy = c.Strategy, c.Policy
	healthy := bad.Twin() // as Estimate: the twin skips the figures nobody reads from it
	sum := &metrics.Summary{}
	for i := from; i < to; i++ {
		for _, s := range [2]*sim.Scenario{&bad, &healthy} {
			s.Seed = sim.RunSeed(r.sc.Seed, int64(i))
			run, err := rn.Run(*s)
			if err != nil {
				return nil, fmt.Errorf("run %d (seed %d): %w", i, s.Seed, err)
			}
			sum.Add(&run)
		}
	}
	return sum, nil
}

// judge fills c.Verdicts from its runs.
func (r *race) judge(c *Candidate) {
	c.Verdicts = c.Verdicts[:0]
	for _, l := range r.lims {
		v := Verdict{Figure: l.fig, Limit: l.value, Lower: l.lower}
		var lo, hi float64
		if l.fig.IsRate() {
			p := c.Summary.RateAt(l.fig, r.level)
			v.Estimate, lo, hi = p.Value, p.CILow, p.CIHigh
		} else {
			st := c.Summary.StatsAt(l.fig, r.level)
			v.Estimate, lo, hi = st.Mean, st.CILow, st.CIHigh
			if st.N == 1 {
				lo, hi = math.Inf(-1), math.Inf(1) // one run: no interval yet
			}
		}
		if l.lower {
			v.Bound = lo
			v.Met = lo >= l.value
			v.Violated = hi < l.value
		} else {
			v.Bound = hi
			v.Met = hi <= l.value
			v.Violated = lo > l.value
		}
		c.Verdicts = append(c.Verdicts, v)
	}
}

// objectiveCI is the candidate's objective interval, +Inf when none of its
// runs had the figure (no detection for TimeToRollback: nothing to offer).
func (r *race) objectiveCI(c *Candidate) (lo, hi float64) {
	st := c.Summary.StatsAt(r.cons.Objective, r.level)
	switch {
	case st.N == 0:
		return math.Inf(1), math.Inf(1)
	case st.N == 1:
		return math.Inf(-1), math.Inf(1)
	}
	return st.CILow, st.CIHigh
}

// violation is how far c's estimates are from meeting the limits, each
// relative to its limit and summed: 0 when every estimate meets its limit.
func violation(c *Candidate) float64 {
	s := 0.0
	for _, v := range c.Verdicts {
		gap := (v.Estimate - v.Limit) / math.Max(math.Abs(v.Limit), 1e-12)
		if v.Lower {
			gap = -gap
		}
		if math.IsNaN(gap) {
			gap = 1
		}
		s += max(0, gap)
	}
	return s
}

// halvingFactor is the share of candidates successive halving keeps per
// round (one in halvingFactor); rounds double the runs, so each round costs
// about half the one before it.
const halvingFactor = 4

// run races the configurations and returns every candidate, in space order.
func (r *race) run(ctx context.Context, cfgs []Configuration) ([]*Candidate, error) {
	cands := make([]*Candidate, len(cfgs))
	for i, c := range cfgs {
		cands[i] = &Candidate{Configuration: c, Index: i, Summary: &metrics.Summary{}}
	}
	alive := slices.Clone(cands)
	lo, hi := r.space.minRuns(), r.space.maxRuns()
	gate := r.halvingGate()
	ladders := thresholdLadders(cfgs)
	for n := lo; ; n = min(2*n, hi) {
		if err := r.extend(ctx, alive, n); err != nil {
			return nil, err
		}
		for _, c := range alive {
			r.judge(c)
		}
		// A limit surely violated: more runs would not change the verdict.
		alive = keep(alive, func(c *Candidate) string {
			for _, v := range c.Verdicts {
				if v.Violated {
					return DropViolated
				}
			}
			return ""
		})
		// Dominated: the objective's interval lies above the upper end of a
		// configuration known to be feasible.
		best := math.Inf(1)
		for _, c := range alive {
			if c.Feasible() {
				_, h := r.objectiveCI(c)
				best = min(best, h)
			}
		}
		alive = keep(alive, func(c *Candidate) string {
			if l, _ := r.objectiveCI(c); l > best {
				return DropDominated
			}
			return ""
		})
		alive = r.ladderDominated(alive, ladders)
		if n >= hi || len(alive) == 0 || (len(alive) == 1 && alive[0].Feasible()) {
			break
		}
		// Successive halving, once the runs can tell the limits apart.
		if 2*n >= gate && len(alive) > r.space.keep() {
			ranked := slices.Clone(alive)
			slices.SortStableFunc(ranked, func(a, b *Candidate) int { return r.rank(a, b) })
			k := max(r.space.keep(), (len(ranked)+halvingFactor-1)/halvingFactor)
			for _, c := range ranked[k:] {
				c.Dropped = DropHalving
			}
			alive = keep(alive, func(c *Candidate) string { return c.Dropped })
		}
	}
	return cands, nil
}

// keep returns the candidates of cs that drop does not name a reason for,
// marking the others with their reason.
func keep(cs []*Candidate, drop func(*Candidate) string) []*Candidate {
	out := cs[:0]
	for _, c := range cs {
		if why := drop(c); why != "" {
			c.Dropped = why
			continue
		}
		out = append(out, c)
	}
	return out
}

// rank orders candidates for halving and for the final pick: feasible
// first, then by violation of the limits (estimates), then by objective
// estimate, then by space order.
func (r *race) rank(a, b *Candidate) int {
	fa, fb := a.Feasible(), b.Feasible()
	if fa != fb {
		if fa {
			return -1
		}
		return 1
	}
	if va, vb := violation(a), violation(b); va != vb {
		if va < vb {
			return -1
		}
		return 1
	}
	oa, ob := a.objective(r.cons.Objective), b.objective(r.cons.Objective)
	if math.IsNaN(oa) {
		oa = math.Inf(1)
	}
	if math.IsNaN(ob) {
		ob = math.Inf(1)
	}
	if oa != ob {
		if oa < ob {
			return -1
		}
		return 1
	}
	return a.Index - b.Index
}

// halvingGate is the fewest runs at which a rate limit can be shown met:
// below it every configuration looks alike on that limit, and halving would
// rank them on the objective alone.
func (r *race) halvingGate() int {
	gate := 0
	for _, l := range r.lims {
		if !l.fig.IsRate() {
			continue
		}
		for n := int64(1); n <= int64(r.space.maxRuns()); n++ {
			var ok bool
			if l.lower {
				ok = metrics.Wilson(n, n, r.level).CILow >= l.value
			} else {
				ok = metrics.Wilson(0, n, r.level).CIHigh <= l.value
			}
			if ok {
				gate = max(gate, int(n))
				break
			}
		}
	}
	return gate
}

// pick returns the recommended candidate: the best-ranked of the feasible
// candidates the race did not drop, or of all feasible ones when it
// dropped them all, or of every candidate when none is feasible. A dropped
// candidate's estimates stand on fewer runs: compared with the survivors'
// they would favour whichever got the luckier few runs.
func (r *race) pick(cands []*Candidate) (*Candidate, bool) {
	var pool, feasible []*Candidate
	for _, c := range cands {
		if c.Feasible() {
			feasible = append(feasible, c)
			if c.Dropped == "" {
				pool = append(pool, c)
			}
		}
	}
	if len(pool) == 0 {
		pool = feasible
	}
	if len(pool) == 0 {
		pool = cands
	}
	var best *Candidate
	for _, c := range pool {
		if best == nil || r.rank(c, best) < 0 {
			best = c
		}
	}
	return best, best != nil && best.Feasible()
}

// A threshold ladder is a set of configurations that differ only in the
// threshold of their one CloudWatch alarm (same strategy, metric,
// statistic, period, M of N, missing-data rule, cadences). Under common
// random numbers their runs are the same simulation until the first of them
// rolls back, and a GreaterThan(OrEqualTo) alarm with a higher threshold
// breaches on a subset of the datapoints a lower one does: so, run by run,
// the higher threshold rolls back no earlier (fewer false rollbacks, later
// detection, at least as many failures). When one rung of a ladder is
// feasible, every higher one is dominated on candidate failures and users
// hit.
type ladder []int // configuration indices, by increasing threshold

func thresholdLadders(cfgs []Configuration) map[int]ladder {
	type member struct {
		idx int
		th  float64
	}
	groups := map[string][]member{}
	var order []string
	for i, c := range cfgs {
		p, ok := c.Policy.(rollback.Alarms)
		if !ok || len(p.Alarms) != 1 {
			continue
		}
		a := p.Alarms[0]
		if a.Comparison != rollback.GreaterThanOrEqualToThreshold && a.Comparison != rollback.GreaterThanThreshold {
			continue
		}
		th := a.Threshold
		a.Threshold, a.Name = 0, ""
		p.Alarms = []rollback.Alarm{a}
		key := fmt.Sprintf("%s|%#v|%#v", strategyKey(c.Strategy), p, a)
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], member{i, th})
	}
	out := map[int]ladder{}
	for _, k := range order {
		ms := groups[k]
		if len(ms) < 2 {
			continue
		}
		slices.SortStableFunc(ms, func(a, b member) int {
			switch {
			case a.th < b.th:
				return -1
			case a.th > b.th:
				return 1
			}
			return a.idx - b.idx
		})
		l := make(ladder, len(ms))
		for j, m := range ms {
			l[j] = m.idx
		}
		for _, m := range ms {
			out[m.idx] = l
		}
	}
	return out
}

func strategyKey(s strategy.Strategy) string { return fmt.Sprintf("%T:%s", s, s) }

// ladderDominated drops, in each threshold ladder, the rungs above the
// lowest feasible one (objective CandidateFailures or UsersHit only).
func (r *race) ladderDominated(alive []*Candidate, ladders map[int]ladder) []*Candidate {
	if r.cons.Objective != metrics.CandidateFailures && r.cons.Objective != metrics.UsersHit {
		return alive
	}
	byIdx := map[int]*Candidate{}
	for _, c := range alive {
		byIdx[c.Index] = c
	}
	drop := map[int]bool{}
	done := map[*int]bool{}
	for _, c := range alive {
		l, ok := ladders[c.Index]
		if !ok || done[&l[0]] {
			continue
		}
		done[&l[0]] = true
		feasibleBelow := false
		for _, i := range l {
			m := byIdx[i]
			if m == nil {
				continue
			}
			if feasibleBelow {
				drop[i] = true
			} else if m.Feasible() {
				feasibleBelow = true
			}
		}
	}
	return keep(alive, func(c *Candidate) string {
		if drop[c.Index] {
			return DropDominated
		}
		return ""
	})
}
