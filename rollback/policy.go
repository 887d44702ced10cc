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
