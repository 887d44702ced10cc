package sim_test

import (
	"fmt"
	"math"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// At 10,000 req/s a run has millions of requests; Auto runs it bucketed,
// drawing counts per bucket, in well under a millisecond. The candidate
// fails 5 % of its requests; the alarm on its error rate sees the first
// minute at 2m (60 s period + 60 s ingestion delay) and CodeDeploy rolls
// back.
func ExampleRun_bucketed() {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: 10000}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 10 * time.Minute}
	s.Fault = sim.Fault{ErrorProb: 0.05}
	s.Policy = rollback.CodeDeploy(rollback.Alarm{
		Name: "CandidateErrorRate", Metric: metrics.ErrorRate, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 0.01, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
	s.Seed = 1
	r, err := sim.Run(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resolution:", r.Resolution)
	fmt.Println("outcome:", r.Outcome)
	fmt.Println("detected:", r.Detected, "weight back at 0:", r.WeightZero)
	// 10 % of 10,000 req/s fail at 5 % for the 125 s before the weight is
	// back at 0: 6,250 failures expected, a Poisson count (sd 79).
	fmt.Println("candidate failures within 3 sd of 6,250:", math.Abs(float64(r.Candidate.Failures())-6250) < 3*79)
	// Output:
	// resolution: bucket
	// outcome: rolled-back
	// detected: 2m0s weight back at 0: 2m5s
	// candidate failures within 3 sd of 6,250: true
}
