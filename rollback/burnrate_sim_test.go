package rollback_test

import (
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Both policies drive a simulated deployment: a candidate failing 5 % of
// its calls burns a 99.9 % budget at 50× and is rolled back during a
// 10 %-for-5-minutes canary; the composite over an error-rate alarm does
// the same.
func TestPoliciesInSimulation(t *testing.T) {
	rule, err := rollback.ParseAlarmRule(`ALARM(Errors) AND NOT ALARM(LowTraffic)`)
	if err != nil {
		t.Fatal(err)
	}
	comp := rollback.Composite{
		Alarms: rollback.CodeDeploy(
			rollback.Alarm{Name: "Errors", Metric: metrics.ErrorRate, Period: time.Minute, EvaluationPeriods: 1, Threshold: 0.01, Dimension: metrics.Candidate},
			rollback.Alarm{Name: "LowTraffic", Metric: metrics.Invocations, Dimension: metrics.Candidate, Period: time.Minute, EvaluationPeriods: 1, Threshold: 100, Comparison: rollback.LessThanThreshold},
		),
		Composites: []rollback.CompositeAlarm{{Name: "ErrorsWithTraffic", Rule: rule}},
	}
	for _, p := range []rollback.Policy{rollback.SREWorkbook(0.999), comp} {
		s := sim.BaseScenario()
		s.Workload = sim.Poisson{Rate: 50}
		s.Strategy = strategy.LambdaCanary10Percent5Minutes
		s.Fault.ErrorProb = 0.5
		s.Policy = p
		s.Seed = 3
		r, err := sim.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != metrics.RolledBack {
			t.Errorf("%s: outcome %v, want a rollback", p.Name(), r.Outcome)
		}
	}
}
