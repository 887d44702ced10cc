// Package strategy describes how a deployment moves traffic from the baseline
// version to the candidate: a Strategy produces a Schedule, a piecewise-constant
// list of (instant, candidate weight) steps measured from the start of the
// deployment.
package strategy

import (
	"fmt"
	"time"
)

// Step says that from At (time since the deployment started) the candidate
// version receives Weight (between 0 and 1) of the traffic.
type Step struct {
	At     time.Duration
	Weight float64
}

// Schedule is a list of steps sorted by At. Before the first step the
// candidate's weight is 0; from each step on it is that step's Weight, until
// the next step (right-continuous, piecewise constant).
type Schedule []Step

// WeightAt returns the candidate's share of traffic at instant t.
func (s Schedule) WeightAt(t time.Duration) float64 {
	w := 0.0
	for _, st := range s {
		if st.At > t {
			break
		}
		w = st.Weight
	}
	return w
}

// Duration returns the instant of the last step (0 for an empty schedule).
func (s Schedule) Duration() time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].At
}

// Validate reports whether s is sorted with distinct instants, starts at or
// after 0 and keeps every weight in [0, 1].
func (s Schedule) Validate() error {
	for i, st := range s {
		if st.At < 0 {
			return fmt.Errorf("strategy: Schedule[%d].At = %v: must be >= 0", i, st.At)
		}
		if !(st.Weight >= 0 && st.Weight <= 1) { // also rejects NaN
			return fmt.Errorf("strategy: Schedule[%d].Weight = %v: must be in [0, 1]", i, st.Weight)
		}
		if i > 0 && st.At <= s[i-1].At {
			return fmt.Errorf("strategy: Schedule[%d].At = %v: must be after Schedule[%d].At = %v (sorted, no duplicate instants)", i, st.At, i-1, s[i-1].At)
		}
	}
	return nil
}

// Strategy is a way of shifting traffic to a candidate version.
type Strategy interface {
	// Name is the strategy's canonical name; Parse(Name()) returns an equal strategy.
	Name() string
	// Schedule is the weight schedule the strategy follows when nothing rolls it back.
	Schedule() Schedule
	// Validate reports a parameter outside its rule, naming field, value and rule.
	Validate() error
	fmt.Stringer
}
