package sim_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// A Lambda function at 50 req/s gets a candidate with a bug that fails 5% of
// requests, deployed with Canary10Percent5Minutes and a CodeDeploy alarm on
// the candidate's per-minute error count. The alarm sees the first canary
// minute one minute after it ends (the default ingestion delay), CodeDeploy
// rolls back at its next poll, and the alias is back on the baseline 5 s later.
func ExampleRun() {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: 50}
	s.Candidate.ErrorProb = 0.001
	s.Fault = sim.Fault{ErrorProb: 0.05}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	s.Policy = rollback.CodeDeploy(rollback.Alarm{
		Name: "CandidateErrors", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 5, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
	s.Seed = 1
	s.Resolution = sim.PerRequest // simulate every request (Auto may draw per-bucket counts instead)
	r, err := sim.Run(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("outcome:", r.Outcome)
	fmt.Println("detected:", r.Detected, "by", r.Alarm)
	fmt.Println("weight back at 0:", r.WeightZero)
	// About 10% of 50 req/s for 125 s, of which about 5.1% fail.
	fmt.Printf("candidate requests: %d, failed: %d\n", r.Candidate.Requests, r.CandidateFailures())
	// Output:
	// outcome: rolled-back
	// detected: 2m0s by CandidateErrors
	// weight back at 0: 2m5s
	// candidate requests: 627, failed: 32
}

// A per-second request count in CSV: "second,count" pairs (or one count per
// line), comments and a header allowed; skipped seconds have no traffic.
// Errors name the line.
func ExampleParseTrace() {
	tr, err := sim.ParseTrace(strings.NewReader("second,count\n0,12\n1,15\n4,3\n"), "trace.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Counts, tr.Integral(0, 5*time.Second))
	_, err = sim.ParseTrace(strings.NewReader("0,12\n1,-5\n"), "trace.csv")
	fmt.Println(err)
	// Output:
	// [12 15 0 0 3] 30
	// sim: trace.csv:2: count = "-5": must be a finite number >= 0
}
