package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Warnings lists the settings of c that run but measure something other
// than what they seem to ask for, one sentence each, for the strategies ss
// (the simulation is still valid; the warning says what it means):
//
//   - a horizon shorter than a deployment: its runs end before full weight,
//     and no alarm can fire before the horizon when it is shorter than the
//     first datapoint's arrival (0 % detection);
//   - a trace shorter than a deployment (or the horizon): no traffic after
//     its end, so nothing is measured there;
//   - a healthy candidate (error_rate 0, no latency regression) measured
//     over a horizon: the failure columns count the baseline error rate of
//     the candidate at full weight for the whole horizon, not harm done by
//     the release;
//   - windows longer than a minute (policy burnrate's, an alarm's Period
//     above 60 s): they start empty at the deployment, as no traffic from
//     before it is simulated, so until they fill they hold less than their
//     length (docs/model.md, "Burn-rate windows").
//
// A trace is read (LoadTrace) if it has not been.
func (c *File) Warnings(ss []strategy.Strategy) []string {
	var out []string
	h := time.Duration(c.Horizon)
	longest, names := time.Duration(0), []string{}
	for _, s := range ss {
		d := time.Duration(c.PreTrafficHook) + s.Schedule().Duration() + time.Duration(c.PostTrafficHook)
		if h > 0 && d > h {
			names = append(names, fmt.Sprintf("%s (%v)", s.Name(), d))
		}
		longest = max(longest, d)
	}
	if len(names) > 0 {
		more := ""
		if len(names) > 3 {
			more = fmt.Sprintf(" and %d more", len(names)-3)
			names = names[:3]
		}
		out = append(out, fmt.Sprintf("%s = %v ends each run before the deployment of %s%s is complete: those runs never reach full weight (0: each run lasts its deployment)",
			c.name("horizon"), h, strings.Join(names, ", "), more))
	}
	if h > 0 && c.Policy == "alarms" && len(c.Alarms) > 0 {
		first := time.Duration(-1)
		for i := range c.Alarms {
			a, err := c.Alarms[i].Rollback(i)
			if err != nil {
				continue
			}
			// The first datapoint of the first period is visible at the
			// period's end plus the ingestion delay.
			t := a.Period + time.Duration(c.IngestionDelay)
			if first < 0 || t < first {
				first = t
			}
		}
		if first > 0 && h < first {
			out = append(out, fmt.Sprintf("%s = %v is shorter than the first alarm datapoint can arrive (%v: a period and the ingestion delay): no run can be rolled back, so detection is 0%%",
				c.name("horizon"), h, first))
		}
	}
	if strings.HasPrefix(c.Traffic, "trace:") && c.trace == nil {
		_ = c.LoadTrace(nil) // an unreadable trace is Scenario's error to report
	}
	if c.trace != nil && !c.trace.Loop {
		span := time.Duration(len(c.trace.Counts)) * time.Second
		need, what := longest, "the longest deployment"
		if h > need {
			need, what = h, "the horizon"
		}
		if span < need {
			out = append(out, fmt.Sprintf("%s: the trace covers %v, less than %s (%v): there is no traffic after its end",
				c.name("traffic"), span, what, need))
		}
	}
	if c.ErrorRate == 0 && c.LatencyRegression == 1 && h > 0 && c.BaselineErrorRate > 0 {
		out = append(out, fmt.Sprintf("%s = 0 (a healthy candidate) with %s = %v: the failure columns count the %g%% baseline errors of the candidate at full weight until the horizon, not harm done by a release (horizon 0 measures the deployment alone)",
			c.name("error_rate"), c.name("horizon"), h, 100*c.BaselineErrorRate))
	}
	out = append(out, c.emptyWindows()...)
	return out
}

// emptyWindows warns of the policy's windows that start empty at the
// deployment (sim.EmptyWindows): production's alarms would hold the traffic
// from before it.
func (c *File) emptyWindows() []string {
	p, err := c.RollbackPolicy()
	if err != nil || p == nil {
		return nil // a bad policy is Scenario's error to report
	}
	if w := sim.EmptyWindows(p); w != "" {
		key := "policy"
		if c.Policy == "alarms" {
			key = "alarms"
		}
		return []string{c.name(key) + ": " + w}
	}
	return nil
}
