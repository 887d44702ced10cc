package deploysim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Which threshold for an Errors alarm on a 10 % canary of a 100 req/s
// function, when at most 5 % of healthy releases may be rolled back?
func ExampleRecommend() {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 100}
	space := deploysim.Space{
		Strategies: []strategy.Strategy{strategy.Canary{Percent: 10, Interval: 5 * time.Minute}},
		MaxRuns:    128,
		NoPreset:   true,
	}
	for k := 1.0; k <= 6; k++ {
		space.Policies = append(space.Policies, rollback.CodeDeploy(rollback.Alarm{
			Name: "CandidateErrors", Metric: metrics.Errors, Dimension: metrics.Candidate,
			Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
			EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: k,
			Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching,
		}))
	}
	rec, err := deploysim.Recommend(context.Background(), sc, space, deploysim.Constraints{MaxFalseRollback: 0.05})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Best.Label())
	for _, v := range rec.Best.Verdicts {
		fmt.Printf("%s met: %v\n", v.Figure, v.Met)
	}
	args, _ := rec.Best.CompareArgs()
	fmt.Println(args[:4])
	// Output:
	// Canary10Percent5Minutes / Errors(candidate) Sum >= 4, 1 of 1 × 1m0s
	// false_rollback_rate met: true
	// [--strategies Canary10Percent5Minutes --policy alarms]
}
