package manifest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// analysisPolicy runs the checks of an Argo Rollouts analysis or a Flagger
// canary analysis as a rollback.Policy.
//
// Each check measures at Start, Start+Interval, … (Count times, or for as
// long as the deployment runs when Count is 0), reading its metric over the
// last Window of the periods visible at that instant. A measurement fails when
// the value is FailWhen Threshold, or when the window holds no data and
// PassOnNoData is false.
//
// threshold > 0 is Flagger's rule: the checks run together at each tick, a
// tick with any failed check adds one to a counter that is never reset, and
// the counter reaching threshold rolls back. threshold == 0 is Argo's rule:
// each check counts its own failed measurements and rolls back when they
// exceed its Limit (failureLimit).
type analysisPolicy struct {
	name      string
	checks    []Check
	threshold int
}

func (p analysisPolicy) Name() string {
	var b strings.Builder
	if p.threshold > 0 {
		fmt.Fprintf(&b, "checks[%d failed](", p.threshold)
	} else {
		b.WriteString("analysis(")
	}
	for i, c := range p.checks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Name)
	}
	b.WriteByte(')')
	return b.String()
}

func (p analysisPolicy) Validate() error {
	if len(p.checks) == 0 {
		return fmt.Errorf("manifest: analysis %s: no checks", p.name)
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
		case c.Start < 0:
			return fmt.Errorf("manifest: Check %q.Start = %v: must be >= 0", c.Name, c.Start)
		case math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0):
			return fmt.Errorf("manifest: Check %q.Threshold = %v: must be finite", c.Name, c.Threshold)
		case c.Dimension >= metrics.NumDimensions:
			return fmt.Errorf("manifest: Check %q.Dimension = %v: must be alias, candidate or baseline", c.Name, c.Dimension)
		}
		if _, err := metrics.ParseMetric(c.Metric.String()); err != nil {
			return fmt.Errorf("manifest: Check %q.Metric = %v: %w", c.Name, c.Metric, err)
		}
	}
	if p.threshold < 0 {
		return fmt.Errorf("manifest: analysis %s: threshold = %d: must be >= 0", p.name, p.threshold)
	}
	return nil
}

// Resolution is the greatest common divisor of every window and interval, so
// that each measurement window is made of whole periods.
func (p analysisPolicy) Resolution() time.Duration {
	var g time.Duration
	for _, c := range p.checks {
		for _, d := range []time.Duration{c.Window, c.Interval} {
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

func (p analysisPolicy) Start() rollback.Monitor {
	m := &analysisMonitor{p: p, runs: make([]checkRun, len(p.checks))}
	return m
}

type checkRun struct {
	taken    int // measurements taken
	failures int
	done     bool
}

type analysisMonitor struct {
	p        analysisPolicy
	runs     []checkRun
	failures int // Flagger's shared counter
	scratch  metrics.VersionStats
}

// at returns the instant of measurement k of check i.
func (c *Check) at(k int) time.Duration { return c.Start + time.Duration(k)*c.Interval }

func (m *analysisMonitor) Next(t time.Duration) time.Duration {
	next := time.Duration(math.MaxInt64) // no measurement left: never again
	for i := range m.p.checks {
		c, r := &m.p.checks[i], &m.runs[i]
		if r.done || (c.Count > 0 && r.taken >= c.Count) {
			continue
		}
		at := c.at(r.taken)
		if at <= t {
			if c.Interval <= 0 {
				continue
			}
			// Skip measurements the caller's clock has already passed.
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

func (m *analysisMonitor) Evaluate(obs rollback.Observation) rollback.Decision {
	tickFailed := ""
	for i := range m.p.checks {
		c, r := &m.p.checks[i], &m.runs[i]
		for !r.done && (c.Count == 0 || r.taken < c.Count) {
			if c.at(r.taken) > obs.Now {
				break
			}
			r.taken++
			if c.Interval <= 0 {
				r.done = true // a single measurement
			} else if (c.Count == 0 || r.taken < c.Count) && c.at(r.taken) <= obs.Now {
				continue // the caller skipped this instant; only the latest due measurement is taken
			}
			value, ok := m.measure(c, obs)
			failed := !c.PassOnNoData
			if ok {
				failed = c.FailWhen.Breaches(value, c.Threshold)
			}
			if !failed {
				continue
			}
			msg := fmt.Sprintf("check %s: no data", c.Name)
			if ok {
				msg = fmt.Sprintf("check %s: %s %s of %s = %.6g %s %.6g", c.Name, c.Statistic, c.Metric, c.Dimension, value, c.FailWhen.Symbol(), c.Threshold)
			}
			if tickFailed == "" {
				tickFailed = msg
			}
			r.failures++
			if m.p.threshold == 0 && r.failures > c.Limit {
				return rollback.Decision{Rollback: true, Alarm: c.Name,
					Reason: fmt.Sprintf("%s (%d failed measurements > failureLimit %d)", msg, r.failures, c.Limit)}
			}
		}
	}
	if tickFailed != "" && m.p.threshold > 0 {
		m.failures++
		if m.failures >= m.p.threshold {
			name := strings.TrimPrefix(tickFailed, "check ")
			if i := strings.IndexByte(name, ':'); i > 0 {
				name = name[:i]
			}
			return rollback.Decision{Rollback: true, Alarm: name,
				Reason: fmt.Sprintf("%s (%d failed checks >= threshold %d)", tickFailed, m.failures, m.p.threshold)}
		}
	}
	return rollback.Decision{}
}

// measure reads the check's statistic over the visible periods of the last
// Window before now.
func (m *analysisMonitor) measure(c *Check, obs rollback.Observation) (float64, bool) {
	s := obs.Series
	if s == nil || s.Resolution <= 0 {
		return 0, false
	}
	to := int(obs.Now / s.Resolution)
	from := int((obs.Now - c.Window) / s.Resolution)
	if obs.Now-c.Window < 0 {
		from = 0
	}
	s.Aggregate(c.Dimension, from, to, &m.scratch)
	return m.scratch.Value(c.Metric, c.Statistic)
}
