package rollback

import (
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Observation is what is visible to a policy at instant Now.
type Observation struct {
	Now time.Duration
	// Series holds only the periods that are visible at Now: Series.Periods[i]
	// covers [i·Resolution, (i+1)·Resolution) and became visible at its end plus
	// the ingestion delay. The slice must not be retained or modified.
	Series *metrics.Series
	// Weight is the candidate's current traffic weight.
	Weight float64
}

// Decision is a policy's verdict at one evaluation.
type Decision struct {
	Rollback bool
	Reason   string // human-readable cause, e.g. "alarm ErrorsHigh: 3 of 3 datapoints >= 5"
	Alarm    string // name of the alarm or check that fired

	// SetWeight, Weight and Promote steer the deployment. Only the monitor
	// of a Driver sets them (the engine ignores them otherwise): SetWeight
	// moves the candidate's weight to Weight, in [0, 1], at the evaluation
	// instant; Promote ends the progression there with the candidate at
	// 100 %, as the last step of a schedule does.
	SetWeight bool
	Weight    float64
	Promote   bool
}

// Driver is a Policy whose checks also move the traffic, as Flagger's
// scheduler does: the weight advances only after a passing check and is held
// on a failed one, so the weights are a function of the check history, not
// of time alone. For a Driver whose DrivesTraffic is true the engine applies
// the first step of the strategy's schedule (the weight at the start) and
// then only the Decisions of the monitor (SetWeight, Promote); the rest of
// the schedule is the nominal one, what the deployment does when every check
// passes. Only a top-level policy drives: inside AnyOf a Driver's steering
// is ignored and the schedule moves the traffic.
type Driver interface {
	Policy
	DrivesTraffic() bool
}

// Drives reports whether p is a Driver that drives the traffic.
func Drives(p Policy) bool {
	d, ok := p.(Driver)
	return ok && !isNilRef(p) && d.DrivesTraffic()
}

// RangeQuerier is a Policy whose checks query a time-series database such
// as Prometheus, as Flagger's and Argo Rollouts' analyses do, rather than
// CloudWatch alarms: a query reads a range vector over any window, at any
// instant, and the engine publishes its data at a step that divides the
// policy's Resolution, the scenario's Period and the pipeline's delay, not
// at one of CloudWatch's periods (10 s, 20 s, 30 s, n·60 s).
type RangeQuerier interface {
	Policy
	QueriesRanges() bool
}

// QueriesRanges reports whether p, or any policy AnyOf combines in it, is a
// RangeQuerier that queries ranges.
func QueriesRanges(p Policy) bool {
	if isNilRef(p) {
		return false
	}
	if a, ok := p.(anyOf); ok {
		for _, q := range a {
			if QueriesRanges(q) {
				return true
			}
		}
		return false
	}
	q, ok := p.(RangeQuerier)
	return ok && q.QueriesRanges()
}

// Window is the one window rule of every range query (Flagger's and Argo's
// checks): a query at instant Now over a range vector of length window reads
// the data of [Now − delay − window, Now − delay), where delay is the
// pipeline's scrape and evaluation delay. The simulator makes a period
// visible delay after it ends, so the visible periods end at Now − delay (the
// engine publishes at a step that divides the delay) and the window is their
// last ⌈window / Resolution⌉. It returns the base periods [from, to) of
// obs.Series; from may be negative (before the deployment: no data).
func Window(obs Observation, window time.Duration) (from, to int) {
	if obs.Series == nil || obs.Series.Resolution <= 0 {
		return 0, 0
	}
	to = len(obs.Series.Periods)
	res := obs.Series.Resolution
	n := int(window / res)
	if window%res != 0 {
		n++
	}
	return to - n, to
}

// Policy is a rollback rule. A Policy is an immutable value that can be used
// by many runs at once; Start creates the per-run state.
type Policy interface {
	// Name identifies the policy in tables.
	Name() string
	// Validate reports a bad setting, naming field, value and rule.
	Validate() error
	// Resolution is the finest metric period the policy reads (the series the
	// simulator publishes must have a resolution that divides it); 0 if it reads none.
	Resolution() time.Duration
	// Start returns the state of one run.
	Start() Monitor
}

// Monitor is the per-run state of a Policy.
type Monitor interface {
	// Next returns the first evaluation instant strictly after t.
	Next(t time.Duration) time.Duration
	// Evaluate is called at each instant Next returned, in order, with what is
	// visible then. Once it returns Rollback it is not called again.
	Evaluate(obs Observation) Decision
}
