package rollback_test

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// A 3-of-3 alarm whose range holds one breaching datapoint, five periods old,
// and nothing since: CloudWatch's rule against premature ALARM sets ALARM
// with TreatMissingData "missing", and "ignore" keeps the current state
// (the user guide's table, last row).
func ExampleAlarm_Evaluate() {
	a := rollback.Alarm{
		Name: "ErrorsHigh", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 5,
		Comparison: rollback.GreaterThanOrEqualToThreshold,
	}
	missing := rollback.Datapoint{Missing: true}
	rng := []rollback.Datapoint{{Value: 9}, missing, missing, missing, missing} // oldest first
	for _, md := range []string{"missing", "ignore", "breaching", "notBreaching"} {
		a.TreatMissingData, _ = rollback.ParseMissingData(md)
		st, err := a.Evaluate(rng, rollback.StateOK)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-12s -> %s\n", md, st)
	}
	// Output:
	// missing      -> ALARM
	// ignore       -> OK
	// breaching    -> ALARM
	// notBreaching -> OK
}

// The CodeDeploy controller with the reference's defaults: the alarm is
// evaluated every minute and CodeDeploy polls every minute. The candidate
// starts failing in the third minute; with a 60 s ingestion delay that
// minute is visible at 4m, when the deployment is rolled back.
func ExampleCodeDeploy() {
	policy := rollback.CodeDeploy(rollback.Alarm{
		Name: "ErrorsHigh", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 5, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
	if err := policy.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	// Per-minute candidate errors as the simulator would publish them.
	errors := []float64{0, 1, 12, 15, 14, 13, 16, 12}
	full := metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, len(errors))}
	for i, e := range errors {
		full.Periods[i].Dims[metrics.Candidate] = metrics.VersionStats{Invocations: 300, Errors: e}
	}
	const delay = time.Minute
	m := policy.Start()
	for t := m.Next(0); t <= 8*time.Minute; t = m.Next(t) {
		visible := int((t - delay) / time.Minute) // periods whose end + delay <= t
		obs := rollback.Observation{Now: t, Series: &metrics.Series{Resolution: time.Minute, Periods: full.Periods[:max(visible, 0)]}}
		if d := m.Evaluate(obs); d.Rollback {
			fmt.Printf("rollback at %v by %s\n%s\n", t, d.Alarm, d.Reason)
			break
		}
	}
	// Output:
	// rollback at 4m0s by ErrorsHigh
	// alarm ErrorsHigh in ALARM since 4m0s: 1 of 1 datapoints >= 5 (Sum Errors of candidate)
}

// Sequential watches candidate-versus-baseline error counts minute by
// minute. Here the candidate takes 10 % of 3,000 requests a minute and fails
// 3 % of them against the baseline's 1 %: after one minute the mixture
// likelihood ratio is 9.3, after two 185 >= 1/α = 20, and it rolls back as the
// evidence reaches 1/α, without a fixed sample size.
func ExampleSequential() {
	policy := rollback.Sequential{Alpha: 0.05}
	m := policy.Start()
	var s metrics.Series
	s.Resolution = time.Minute
	for minute := 1; minute <= 30; minute++ {
		var p metrics.Period
		p.Dims[metrics.Candidate] = metrics.VersionStats{Invocations: 300, Errors: 9}
		p.Dims[metrics.Baseline] = metrics.VersionStats{Invocations: 2700, Errors: 27}
		s.Periods = append(s.Periods, p)
		if d := m.Evaluate(rollback.Observation{Now: time.Duration(minute) * time.Minute, Series: &s}); d.Rollback {
			fmt.Printf("rollback after %d minutes\n", minute)
			return
		}
	}
	fmt.Println("no rollback")
	// Output:
	// rollback after 2 minutes
}
