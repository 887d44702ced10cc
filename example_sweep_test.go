package deploysim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// A grid of two strategies by three traffic rates, without nested loops:
// each row keeps the strategy value it was made from.
func ExampleSweep() {
	ss := []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes, strategy.LambdaLinear10PercentEvery1Minute}
	rps := deploysim.Vary("rps", []float64{1, 10, 100}, func(sc *sim.Scenario, v float64) { sc.Workload = sim.Poisson{Rate: v} })
	res, err := deploysim.Sweep(context.Background(), deploysim.DefaultScenario(), deploysim.Grid(ss, nil, rps), 50, deploysim.EstimateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Rows {
		fmt.Printf("%-28s rps %-4s detected %3.0f%%\n", r.Point.Strategy.Name(), r.Point.Params[0].Value, 100*r.Summary.Value(metrics.DetectionRate))
	}
	// Output:
	// Canary10Percent5Minutes      rps 1    detected  40%
	// Canary10Percent5Minutes      rps 10   detected 100%
	// Canary10Percent5Minutes      rps 100  detected 100%
	// Linear10PercentEvery1Minute  rps 1    detected  96%
	// Linear10PercentEvery1Minute  rps 10   detected 100%
	// Linear10PercentEvery1Minute  rps 100  detected 100%
}
