package manifest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
)

// metricCheck is c as rollback's fixed-threshold check.
func (c Check) metricCheck() rollback.MetricCheck {
	return rollback.MetricCheck{
		ID: c.Name, Metric: c.Metric, Dimension: c.Dimension, Statistic: c.Statistic,
		Comparison: c.FailWhen, Threshold: c.Threshold,
	}
}

// argoConsecutiveErrorLimit is Argo Rollouts' default consecutiveErrorLimit:
// a query that returns nothing is a measurement error, not a failed value, and
// more than this many errors in a row fail the analysis (docs/model.md).
const argoConsecutiveErrorLimit = 4

// argoPolicy runs the checks of a Rollout's analyses (rollback.Policy), one
// AnalysisRun metric per Check, as Argo Rollouts does:
//
//   - measurements at Start, Start+Interval, …, Count of them (Count 0: for
//     as long as the deployment runs, a background analysis), each reading
//     the metric over the last Window of visible periods (the query's range);
//   - a measurement that breaks the threshold fails; the metric fails the
//     rollout when its failures exceed Limit (failureLimit);
//   - a measurement with no data passes when the condition accepts an empty
//     result (PassOnNoData), and otherwise is an error; more than
//     ErrorLimit (consecutiveErrorLimit) errors in a row fail the rollout.
//
// rollback.Analysis runs one cadence for all its metrics from the deployment
// start and never stops; an Argo step analysis starts at its step and ends
// after count measurements, which changes how often a healthy candidate is
// rolled back, hence this policy.
type argoPolicy struct {
	checks []Check
}

func argoPolicyOf(checks []Check) rollback.Policy {
	if len(checks) == 0 {
		return nil
	}
	return argoPolicy{checks: checks}
}

// Name is "argo(a,b)".
func (p argoPolicy) Name() string {
	var b strings.Builder
	b.WriteString("argo(")
	for i, c := range p.checks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Name)
	}
	b.WriteByte(')')
	return b.String()
}

// QueriesRanges is true: Argo's metrics are Prometheus range queries.
func (p argoPolicy) QueriesRanges() bool { return true }

// Validate reports a check with a bad cadence or threshold.
func (p argoPolicy) Validate() error {
	if len(p.checks) == 0 {
		return fmt.Errorf("manifest: argo analysis: no checks")
	}
	for _, c := range p.checks {
		switch {
		case c.Interval <= 0 && c.Count != 1:
			return fmt.Errorf("manifest: Check %q.Interval = %v: must be > 0 unless Count is 1", c.Name, c.Interval)
		case c.Window <= 0:
			return fmt.Errorf("manifest: Check %q.Window = %v: must be > 0", c.Name, c.Window)
		case c.Count < 0:
			return fmt.Errorf("manifest: Check %q.Count = %d: must be >= 0", c.Name, c.Count)
		case c.Limit < 0:
			return fmt.Errorf("manifest: Check %q.Limit = %d: must be >= 0", c.Name, c.Limit)
		case c.ErrorLimit < 0:
			return fmt.Errorf("manifest: Check %q.ErrorLimit = %d: must be >= 0", c.Name, c.ErrorLimit)
		case c.Start < 0:
			return fmt.Errorf("manifest: Check %q.Start = %v: must be >= 0", c.Name, c.Start)
		}
		if err := c.metricCheck().Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Resolution is the greatest common divisor of every window, interval and
// start, so that each measurement reads whole periods.
func (p argoPolicy) Resolution() time.Duration {
	var g time.Duration
	for _, c := range p.checks {
		for _, d := range []time.Duration{c.Window, c.Interval, c.Start} {
			if d > 0 {
				g = gcdDur(g, d)
			}
		}
	}
	return g
}

func gcdDur(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Start returns the per-run state.
func (p argoPolicy) Start() rollback.Monitor {
	m := &argoMonitor{p: p, runs: make([]checkRun, len(p.checks))}
	for i, c := range p.checks {
		m.runs[i].judge = c.metricCheck().NewJudge()
	}
	return m
}

type checkRun struct {
	judge    rollback.Judge
	taken    int // measurements taken
	failures int
	errs     int // consecutive measurements without data
}

type argoMonitor struct {
	p    argoPolicy
	runs []checkRun
}

// at returns the instant of measurement k of c.
func (c *Check) at(k int) time.Duration { return c.Start + time.Duration(k)*c.Interval }

func (c *Check) finished(taken int) bool {
	return (c.Count > 0 && taken >= c.Count) || (c.Interval <= 0 && taken >= 1)
}

// Next is the first measurement instant of any check strictly after t; the
// largest Duration when every check is done.
func (m *argoMonitor) Next(t time.Duration) time.Duration {
	next := time.Duration(math.MaxInt64)
	for i := range m.p.checks {
		c, r := &m.p.checks[i], &m.runs[i]
		if c.finished(r.taken) {
			continue
		}
		at := c.at(r.taken)
		if at <= t {
			if c.Interval <= 0 {
				continue
			}
			k := int((t-c.Start)/c.Interval) + 1
			if c.Count > 0 && k >= c.Count {
				continue
			}
			at = c.at(k)
		}
		if at < next {
			next = at
		}
	}
	return next
}

// Evaluate takes every measurement due at obs.Now.
func (m *argoMonitor) Evaluate(obs rollback.Observation) rollback.Decision {
	for i := range m.p.checks {
		c, r := &m.p.checks[i], &m.runs[i]
		due := false
		for !c.finished(r.taken) && c.at(r.taken) <= obs.Now {
			r.taken++ // instants the caller skipped are not measured
			due = true
			if c.Interval <= 0 {
				break
			}
		}
		if !due || obs.Series == nil || obs.Series.Resolution <= 0 {
			continue
		}
		// The one window rule of range queries (rollback.Window).
		from, to := rollback.Window(obs, c.Window)
		switch r.judge.Judge(obs.Series, from, to) {
		case rollback.NoData:
			if c.PassOnNoData {
				r.errs = 0
				continue
			}
			r.errs++
			if r.errs > c.ErrorLimit {
				return rollback.Decision{Rollback: true, Alarm: c.Name,
					Reason: fmt.Sprintf("metric %s errored: %d consecutive measurements without data (consecutiveErrorLimit %d)", c.Name, r.errs, c.ErrorLimit)}
			}
		case rollback.Fail:
			r.errs = 0
			r.failures++
			if r.failures > c.Limit {
				return rollback.Decision{Rollback: true, Alarm: c.Name,
					Reason: fmt.Sprintf("metric %s failed %d times (failureLimit %d); last: %s", c.Name, r.failures, c.Limit, r.judge.Explain())}
			}
		default:
			r.errs = 0
		}
	}
	return rollback.Decision{}
}
