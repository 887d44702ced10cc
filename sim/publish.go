package sim

import (
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// recorder builds the per-period metric series of a run and decides what a
// policy can see. It is shared by the engines: the per-request engine records
// one invocation at a time, a bucketed engine adds counts and sketches.
//
// CloudWatch stamps a Lambda datapoint with the invocation's start time but
// receives it after the invocation ends (docs/model.md: "Lambda's built-in
// metrics"), so an invocation counts in the period it started in, and is
// recorded when it completes. A period becomes visible at its end plus the
// ingestion delay; an invocation still running then (a long one started near
// the period's end) is added to the visible period when it completes, as
// late data is in CloudWatch.
//
// Only the version dimensions are written per invocation; the alias
// dimension is their merge (sketch merges are exact), rebuilt lazily for the
// periods written since the last look, which keeps one sketch insertion per
// invocation.
type recorder struct {
	period  time.Duration
	delay   time.Duration
	periods []metrics.Period
	visible int // periods [0, visible) are visible to the policy
	stale   int // alias dimensions of periods >= stale may be out of date
	view    metrics.Series

	// aliasConc[i] is the alias's ConcurrentExecutions samples of period i
	// (the sum of the versions' at each sampling instant), which a merge of
	// the versions' samples cannot give; refresh copies it into the alias
	// dimension.
	aliasConc []metrics.Sketch

	// The period of the last invocation recorded, [curStart, curEnd): most
	// invocations fall in it, which saves a division per invocation.
	cur              int
	curStart, curEnd time.Duration
}

func (r *recorder) reset(period, delay time.Duration) {
	for i := range r.periods {
		p := &r.periods[i]
		for d := range p.Dims {
			p.Dims[d].Reset()
		}
	}
	r.periods = r.periods[:0]
	for i := range r.aliasConc {
		r.aliasConc[i].Reset()
	}
	r.aliasConc = r.aliasConc[:0]
	r.period, r.delay = period, delay
	r.visible, r.stale = 0, 0
	r.view = metrics.Series{Resolution: period}
	r.cur, r.curStart, r.curEnd = 0, 0, 0
}

// index is the period that instant t falls in.
func (r *recorder) index(t time.Duration) int { return int(t / r.period) }

// publishAt is when period i becomes visible.
func (r *recorder) publishAt(i int) time.Duration {
	return time.Duration(i+1)*r.period + r.delay
}

// at returns period i, creating the periods up to it (periods with no
// invocations stay empty: their datapoints are missing, not zero).
func (r *recorder) at(i int) *metrics.Period {
	for i >= len(r.periods) {
		if len(r.periods) < cap(r.periods) {
			// Reuse the sketches' memory from an earlier run.
			r.periods = r.periods[:len(r.periods)+1]
		} else {
			r.periods = append(r.periods, metrics.Period{})
		}
	}
	if i < r.stale {
		r.stale = i
	}
	return &r.periods[i]
}

// invocation records one invocation of version v (metrics.Candidate or
// metrics.Baseline) that started at start, ran durMs milliseconds and failed
// or not.
func (r *recorder) invocation(v metrics.Dimension, start time.Duration, durMs float64, failed bool) {
	if start < r.curStart || start >= r.curEnd {
		r.cur = r.index(start)
		r.curStart = time.Duration(r.cur) * r.period
		r.curEnd = r.curStart + r.period
	}
	s := &r.at(r.cur).Dims[v]
	s.Invocations++
	if failed {
		s.Errors++
	}
	s.Duration.Add(durMs)
}

// throttle records a throttled invocation of v at t.
func (r *recorder) throttle(v metrics.Dimension, t time.Duration) {
	r.at(r.index(t)).Dims[v].Throttles++
}

// concurrency records the ConcurrentExecutions samples taken at t: cand and
// base environments busy on each version.
func (r *recorder) concurrency(t time.Duration, cand, base float64) {
	i := r.index(t)
	p := r.at(i)
	p.Dims[metrics.Candidate].Concurrency.Add(cand)
	p.Dims[metrics.Baseline].Concurrency.Add(base)
	for i >= len(r.aliasConc) {
		if len(r.aliasConc) < cap(r.aliasConc) {
			r.aliasConc = r.aliasConc[:len(r.aliasConc)+1]
		} else {
			r.aliasConc = append(r.aliasConc, metrics.Sketch{})
		}
	}
	r.aliasConc[i].Add(cand + base)
}

// publish makes period i visible.
func (r *recorder) publish(i int) {
	r.at(i)
	if i+1 > r.visible {
		r.visible = i + 1
	}
}

// refresh rebuilds the alias dimension of the periods in [r.stale, upto).
func (r *recorder) refresh(upto int) {
	if upto > len(r.periods) {
		upto = len(r.periods)
	}
	for i := r.stale; i < upto; i++ {
		p := &r.periods[i]
		a := &p.Dims[metrics.Alias]
		a.Reset()
		a.Merge(&p.Dims[metrics.Candidate])
		a.Merge(&p.Dims[metrics.Baseline])
		if i < len(r.aliasConc) {
			a.Concurrency.Reset()
			a.Concurrency.Merge(&r.aliasConc[i])
		}
	}
	if upto > r.stale {
		r.stale = upto
	}
}

// observe returns the visible prefix of the series. The result aliases the
// recorder's memory and is valid until the next call.
func (r *recorder) observe() *metrics.Series {
	r.refresh(r.visible)
	r.view.Periods = r.periods[:r.visible]
	return &r.view
}

// series returns a copy of the whole series (every period created so far).
func (r *recorder) series() *metrics.Series {
	r.refresh(len(r.periods))
	s := &metrics.Series{Resolution: r.period, Periods: make([]metrics.Period, len(r.periods))}
	for i := range r.periods {
		for d := range r.periods[i].Dims {
			s.Periods[i].Dims[d].Merge(&r.periods[i].Dims[d])
		}
	}
	return s
}

// latency merges every period's durations of version v into into.
func (r *recorder) latency(v metrics.Dimension, into *metrics.Sketch) {
	for i := range r.periods {
		into.Merge(&r.periods[i].Dims[v].Duration)
	}
}

// MinQueryStep is the finest step the engine publishes for a policy that
// queries ranges (rollback.RangeQuerier): the gcd of the windows, intervals,
// Period and delay must be a whole number of seconds, which bounds the
// bucketed engine's cost at one bucket per second at most.
const MinQueryStep = time.Second

// publishStep is the length of the periods a run publishes for policy p
// (nil: none) when the scenario's period is period and its ingestion delay
// delay, and false when no step serves p:
//
//   - for CloudWatch alarms and the other policies that read CloudWatch-like
//     datapoints, the largest CloudWatch period (10 s, 20 s, 30 s, n·60 s)
//     dividing both period and p.Resolution() (seriesPeriod);
//   - for a policy that queries ranges (Flagger, Argo Rollouts; see
//     rollback.QueriesRanges), which reads any window at any instant, the
//     gcd of period, p.Resolution() and the delay, so that each window
//     [t − delay − W, t − delay) is whole periods; at least MinQueryStep and
//     a whole number of seconds.
func publishStep(period time.Duration, p rollback.Policy, delay time.Duration) (time.Duration, bool) {
	if p == nil {
		return period, true
	}
	r := p.Resolution()
	if !rollback.QueriesRanges(p) {
		return seriesPeriod(period, r)
	}
	g := gcd(period, r)
	if delay > 0 {
		g = gcd(g, delay)
	}
	if g < MinQueryStep || g%time.Second != 0 {
		return 0, false
	}
	return g, true
}

// step is s's publishStep.
func (s *Scenario) step() (time.Duration, bool) {
	return publishStep(s.Period, s.Policy, s.IngestionDelay)
}
