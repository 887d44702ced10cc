package deploysim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Three Lambda presets against a busy function's blatant bug (the built-in
// scenario at 100 req/s with 5 % extra errors, watched by its 1 % error-rate
// alarm), measured over the first 30 minutes. At that traffic every
// minute's datapoint decides, so the outcome is certain: the canary and the
// linear are rolled back 2 minutes after traffic starts
// (the first minute's datapoint is visible after the 60 s ingestion delay,
// when the alarm is evaluated and CodeDeploy polls it); the linear has
// already moved to 20 % by then, so it fails more requests. AllAtOnce
// completes at once, before any alarm can fire, so its alarm never protects
// it. Print the table itself with tab.Write(os.Stdout, metrics.Text).
func ExampleCompare() {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 100}
	sc.Fault = sim.Fault{ErrorProb: 0.05}
	sc.Horizon = 30 * time.Minute
	tab, err := deploysim.Compare(context.Background(), sc, []strategy.Strategy{
		strategy.LambdaCanary10Percent5Minutes,
		strategy.LambdaLinear10PercentEvery1Minute,
		strategy.LambdaAllAtOnce,
	}, 20)
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range tab.Rows {
		s := row.Summary
		if s.Rate(metrics.DetectionRate).Successes == 0 {
			fmt.Printf("%-28s never rolled back\n", row.Label)
			continue
		}
		fmt.Printf("%-28s rolled back in %.0f%% of runs, %v s after the fault\n", row.Label,
			100*s.Value(metrics.DetectionRate), s.Value(metrics.TimeToRollback))
	}
	best, err := metrics.Best(&tab, metrics.CandidateFailures)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fewest failed requests:", best.Row.Label)
	// Output:
	// Canary10Percent5Minutes      rolled back in 100% of runs, 125 s after the fault
	// Linear10PercentEvery1Minute  rolled back in 100% of runs, 125 s after the fault
	// AllAtOnce                    never rolled back
	// fewest failed requests: Canary10Percent5Minutes
}
