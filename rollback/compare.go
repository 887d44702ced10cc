package rollback

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// BaselineComparison judges the candidate against the baseline version interval by
// interval, as Spinnaker Kayenta's judge does (docs/model.md), with
// the two tests the issue asks for:
//
//   - Error rate: a one-sided test of "the candidate fails more often than
//     the baseline" on the window's counts: the pooled two-proportion z test,
//     or (Exact) the conditional binomial test: given n errors in all, the
//     candidate's share is Binomial(n, a/(a+b)) under equal error rates
//     (a, b the versions' invocations); the p-value is P(X >= candidate
//     errors). The binomial tail is conservative for the exact
//     hypergeometric one (Hoeffding 1963).
//   - Latency: Kayenta compares the raw samples of a metric's time series;
//     deploysim keeps no latency samples, only a per-period sketch per
//     version. So the judge compares, across the window's periods, the
//     per-period LatencyQuantile of the candidate with that of the baseline
//     (each period with a sample yields one value per version) with a
//     one-sided Mann–Whitney U test (normal approximation with tie and
//     continuity corrections), and fails only when it is significant and
//     the median candidate value exceeds the median baseline value by more
//     than LatencyTolerance (Kayenta's effect-size tolerance, 25 %). This
//     needs at least MinPeriods periods per version, so its window should
//     span several periods.
//
// Both tests run at the one-sided level 1-Confidence. As a Policy, BaselineComparison
// judges at every multiple of Interval the periods that became visible
// since its last judgement and rolls back on the first Fail; a window with
// too few requests (MinRequests per version) or periods counts per NoData,
// and with NoDataHold it grows until it has enough. Each judgement is a
// fixed-horizon test: its false-fail probability is 1-Confidence per
// interval, so a healthy candidate is rolled back more often the longer it
// is watched — the problem Sequential removes.
type BaselineComparison struct {
	Interval time.Duration // judgement cadence and window
	// Period is the length of the periods whose latency quantiles the
	// Mann–Whitney test compares (0: one minute); it divides Interval, and
	// base periods of a finer series are merged up to it.
	Period     time.Duration
	Confidence float64 // e.g. 0.98 (Kayenta's); the test level is 1-Confidence
	// MinRequests is the fewest invocations each version needs in a window
	// for the error test.
	MinRequests float64
	Exact       bool // conditional binomial test instead of the z test

	// LatencyQuantile in (0, 1) enables the latency test on that per-period
	// quantile (0.99 for p99); 0 disables it.
	LatencyQuantile  float64
	LatencyTolerance float64 // relative effect size, e.g. 0.25
	MinPeriods       int     // fewest periods with latency data per version (default 0 means 3)

	NoData NoDataAction
}

// Name is "compare".
func (c BaselineComparison) Name() string { return "compare" }

// Validate reports a bad setting.
func (c BaselineComparison) Validate() error {
	e := func(field, value, rule string) error {
		return &ConfigError{Owner: "BaselineComparison", Field: field, Value: value, Rule: rule}
	}
	switch {
	case c.Interval <= 0:
		return e("Interval", c.Interval.String(), "must be > 0")
	case c.Period < 0 || c.period() > c.Interval || c.Interval%c.period() != 0:
		return e("Period", c.Period.String(), fmt.Sprintf("must divide Interval (%v); 0 for one minute", c.Interval))
	case !(c.Confidence > 0.5 && c.Confidence < 1):
		return e("Confidence", fmt.Sprint(c.Confidence), "must be in (0.5, 1)")
	case !(c.MinRequests >= 0) || math.IsInf(c.MinRequests, 0):
		return e("MinRequests", fmt.Sprint(c.MinRequests), "must be a finite number >= 0")
	case !(c.LatencyQuantile >= 0 && c.LatencyQuantile < 1):
		return e("LatencyQuantile", fmt.Sprint(c.LatencyQuantile), "must be in (0, 1), or 0 to disable the latency test")
	case !(c.LatencyTolerance >= 0) || math.IsInf(c.LatencyTolerance, 0):
		return e("LatencyTolerance", fmt.Sprint(c.LatencyTolerance), "must be a finite number >= 0")
	case c.MinPeriods < 0:
		return e("MinPeriods", fmt.Sprint(c.MinPeriods), "must be >= 0 (0 for 3)")
	case c.NoData >= numNoData:
		return e("NoData", c.NoData.String(), "must be fail, pass or hold")
	}
	return nil
}

func (c BaselineComparison) period() time.Duration {
	if c.Period == 0 {
		return time.Minute
	}
	return c.Period
}

// Resolution is Period: the latency test needs periods no longer than it.
func (c BaselineComparison) Resolution() time.Duration { return c.period() }

// NewJudge returns the per-run state of BaselineComparison used as a Check.
func (c BaselineComparison) NewJudge() Judge { return &compareJudge{c: c} }

// Start returns the per-run state of BaselineComparison used as a Policy.
func (c BaselineComparison) Start() Monitor { return &compareMonitor{j: compareJudge{c: c}} }

type compareMonitor struct {
	j    compareJudge
	from int
}

func (m *compareMonitor) Next(t time.Duration) time.Duration { return nextTick(t, m.j.c.Interval, 0) }

func (m *compareMonitor) Evaluate(obs Observation) Decision {
	if obs.Series == nil {
		return Decision{}
	}
	to := len(obs.Series.Periods)
	v := m.j.Judge(obs.Series, m.from, to)
	if v == NoData {
		switch m.j.c.NoData {
		case NoDataHold:
			return Decision{} // keep m.from: the window grows
		case NoDataPass:
			v = Pass
		default:
			v = Fail
		}
	}
	m.from = to
	if v != Fail {
		return Decision{}
	}
	return Decision{Rollback: true, Alarm: "compare", Reason: m.j.Explain()}
}

// compareJudge holds the buffers of one run.
type compareJudge struct {
	c          BaselineComparison
	cand, base []float64      // per-period latency quantiles
	cs, bs     metrics.Sketch // one period's latencies, merged from base periods
	// last judgement, for Explain
	verdict            Verdict
	ca, ce, ba, be     float64 // invocations and errors per version
	errP, latP         float64 // p-values (NaN when not run)
	errFail, latFail   bool
	errNoData, latNone bool
	ratio              float64
}

func (j *compareJudge) Judge(s *metrics.Series, from, to int) Verdict {
	c := &j.c
	alpha := 1 - c.Confidence
	j.ca, j.ce, j.ba, j.be = 0, 0, 0, 0
	j.cand, j.base = j.cand[:0], j.base[:0]
	k := 1
	if s.Resolution > 0 && c.period()%s.Resolution == 0 {
		k = int(c.period() / s.Resolution)
	}
	from, to = max(from, 0), min(to, len(s.Periods))
	for i := from; i < to; i++ {
		cd, bd := &s.Periods[i].Dims[metrics.Candidate], &s.Periods[i].Dims[metrics.Baseline]
		j.ca += cd.Invocations
		j.ce += cd.Errors
		j.ba += bd.Invocations
		j.be += bd.Errors
		if c.LatencyQuantile <= 0 {
			continue
		}
		// Latency periods are aligned to the deployment start; the window's
		// first and last may be partial.
		if i == from || i%k == 0 {
			j.cs.Reset()
			j.bs.Reset()
		}
		j.cs.Merge(&cd.Duration)
		j.bs.Merge(&bd.Duration)
		if (i+1)%k == 0 || i == to-1 {
			if j.cs.Count() > 0 && j.bs.Count() > 0 {
				j.cand = append(j.cand, j.cs.Quantile(c.LatencyQuantile))
				j.base = append(j.base, j.bs.Quantile(c.LatencyQuantile))
			}
		}
	}

	j.errP, j.latP = math.NaN(), math.NaN()
	j.errNoData = j.ca < c.MinRequests || j.ba < c.MinRequests || j.ca == 0 || j.ba == 0
	j.errFail = false
	if !j.errNoData {
		if c.Exact {
			j.errP = BinomialTestP(j.ce, j.ce+j.be, j.ca/(j.ca+j.ba))
		} else {
			j.errP = TwoProportionP(j.ce, j.ca, j.be, j.ba)
		}
		j.errFail = j.errP <= alpha
	}

	j.latNone, j.latFail = false, false
	if c.LatencyQuantile > 0 {
		minP := c.MinPeriods
		if minP == 0 {
			minP = 3
		}
		j.latNone = len(j.cand) < minP
		if !j.latNone {
			j.latP = MannWhitneyGreaterP(j.cand, j.base)
			slices.Sort(j.cand)
			slices.Sort(j.base)
			mb := median(j.base)
			j.ratio = median(j.cand) / mb
			j.latFail = j.latP <= alpha && (mb == 0 && median(j.cand) > 0 || j.ratio > 1+c.LatencyTolerance)
		}
	}

	switch {
	case j.errFail || j.latFail:
		j.verdict = Fail
	case j.errNoData || j.latNone:
		j.verdict = NoData
	default:
		j.verdict = Pass
	}
	return j.verdict
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func (j *compareJudge) Explain() string {
	s := fmt.Sprintf("compare %s: errors %g/%g candidate vs %g/%g baseline", j.verdict, j.ce, j.ca, j.be, j.ba)
	if j.errNoData {
		s += fmt.Sprintf(" (fewer than %g requests)", j.c.MinRequests)
	} else {
		s += fmt.Sprintf(", p = %.3g", j.errP)
	}
	if j.c.LatencyQuantile > 0 {
		if j.latNone {
			s += fmt.Sprintf("; latency: %d periods, too few", len(j.cand))
		} else {
			s += fmt.Sprintf("; p%g latency median ratio %.3g over %d periods, p = %.3g", 100*j.c.LatencyQuantile, j.ratio, len(j.cand), j.latP)
		}
	}
	return s
}

// TwoProportionP is the one-sided p-value of the pooled two-proportion z
// test of H0: p1 <= p2 against p1 > p2, from x1 successes in n1 trials and x2
// in n2. It is 1 when no trial succeeded or all did (nothing to compare).
func TwoProportionP(x1, n1, x2, n2 float64) float64 {
	p := (x1 + x2) / (n1 + n2)
	if !(p > 0 && p < 1) {
		return 1
	}
	z := (x1/n1 - x2/n2) / math.Sqrt(p*(1-p)*(1/n1+1/n2))
	return distuv.UnitNormal.Survival(z)
}

// BinomialTestP is the one-sided p-value P(X >= x) for X ~ Binomial(n, p0):
// the exact conditional test of "the candidate's share of the n errors
// exceeds its share p0 of the traffic".
func BinomialTestP(x, n, p0 float64) float64 {
	if x <= 0 || n <= 0 {
		return 1
	}
	if x > n {
		return 0
	}
	// P(X >= x) = I_{p0}(x, n-x+1), the regularised incomplete beta, which
	// keeps small tails accurate where 1-CDF would cancel.
	return mathext.RegIncBeta(x, n-x+1, p0)
}

// MannWhitneyGreaterP is the one-sided p-value of the Mann–Whitney U test of
// "x is stochastically greater than y", by the normal approximation with
// the tie correction of the variance and a continuity correction (as R's
// wilcox.test with exact = FALSE). It allocates nothing and reorders
// neither slice.
func MannWhitneyGreaterP(x, y []float64) float64 {
	n1, n2 := float64(len(x)), float64(len(y))
	if n1 == 0 || n2 == 0 {
		return 1
	}
	// U = #{x_i > y_j} + ½ #{x_i = y_j}, by pairs: windows hold tens of
	// periods, so O(n1·n2) is cheaper than sorting copies.
	var u float64
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	// Tie correction: Σ (t³ - t) over groups of equal values in x ∪ y.
	var ties float64
	count := func(v float64) float64 {
		var c float64
		for _, a := range x {
			if a == v {
				c++
			}
		}
		for _, b := range y {
			if b == v {
				c++
			}
		}
		return c
	}
	seen := func(v float64, xs []float64, upto int) bool {
		for _, a := range xs[:upto] {
			if a == v {
				return true
			}
		}
		return false
	}
	for i, a := range x {
		if !seen(a, x, i) {
			t := count(a)
			ties += float64(t*t*t) - t // converted: no fused multiply-add on arm64
		}
	}
	for i, b := range y {
		if !seen(b, y, i) && !seen(b, x, len(x)) {
			t := count(b)
			ties += float64(t*t*t) - t // converted: no fused multiply-add on arm64
		}
	}
	n := n1 + n2
	mean := float64(n1 * n2 / 2)
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if variance <= 0 {
		return 1
	}
	z := (u - mean - 0.5) / math.Sqrt(variance)
	return distuv.UnitNormal.Survival(z)
}
