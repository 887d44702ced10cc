package rollback_test

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// Flagger's controller by hand: a canary of 10 %, 20 %, 30 % checked every
// minute over [1m]. The second minute's check fails: the weight is held
// for a minute, and promotion comes at 4 minutes instead of 3.
func ExampleProgression() {
	p := rollback.FailedChecks{Threshold: 2, Interval: time.Minute,
		Checks: []rollback.Check{rollback.MetricCheck{ID: "success-rate", Metric: metrics.ErrorRate,
			Dimension: metrics.Candidate, Comparison: rollback.GreaterThanThreshold, Threshold: 0.01, Window: time.Minute}},
		Progression: rollback.Progression{Weights: []float64{0.1, 0.2, 0.3}}}
	errs := []float64{0, 5, 0, 0} // errors of 100 candidate requests, minute by minute
	s := &metrics.Series{Resolution: time.Minute}
	m := p.Start()
	for i, e := range errs {
		s.Periods = append(s.Periods, metrics.Period{})
		s.Periods[i].Dims[metrics.Candidate] = metrics.VersionStats{Invocations: 100, Errors: e}
		d := m.Evaluate(rollback.Observation{Now: time.Duration(i+1) * time.Minute, Series: s})
		switch {
		case d.Promote:
			fmt.Printf("minute %d: promote\n", i+1)
		case d.SetWeight:
			fmt.Printf("minute %d: weight %.0f%%\n", i+1, 100*d.Weight)
		default:
			fmt.Printf("minute %d: check failed, weight held\n", i+1)
		}
	}
	// Output:
	// minute 1: weight 20%
	// minute 2: check failed, weight held
	// minute 3: weight 30%
	// minute 4: promote
}
