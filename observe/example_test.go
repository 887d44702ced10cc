package observe_test

import (
	"fmt"
	"log"

	"github.com/deploysim/deploysim/observe"
	"github.com/deploysim/deploysim/sim"
)

// Calibrate a simulation from an `aws cloudwatch get-metric-data` export
// (two NextToken pages in one file) and run the scenario it gives.
func ExampleFit() {
	d, err := observe.ReadFiles([]string{"testdata/get-metric-data.json"}, observe.Pick{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := observe.Fit(d.Series, observe.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("traffic: %d minutes, mean %.2f req/s, peak %.2f req/s\n", len(c.PerMinute), c.MeanRate.Value, c.PeakRate.Value)
	fmt.Printf("baseline error rate: %.5f ± %.5f\n", c.ErrorRate.Value, c.ErrorRate.StdErr)
	fmt.Printf("latency: p50 %.0f ms, p99 %.0f ms\n", c.LatencyP50.Value, c.LatencyP99.Value)
	fmt.Printf("throttled: %.5f, peak concurrency %.0f\n", c.ThrottleRate.Value, c.MaxConcurrency.Value)
	for _, w := range c.Warnings {
		fmt.Println("warning:", w)
	}
	s := sim.BaseScenario()
	c.Apply(&s)
	fmt.Println("concurrency limit applied:", s.Concurrency.ReservedLimit)
	// Output:
	// traffic: 12 minutes, mean 14.09 req/s, peak 21.00 req/s
	// baseline error rate: 0.00118 ± 0.00029
	// latency: p50 100 ms, p99 320 ms
	// throttled: 0.00049, peak concurrency 40
	// warning: testdata/get-metric-data.json: MetricDataResults Id "inv" (Label "Invocations"): 1 periods of 1m0s missing between the first and last datapoint: replayed as no traffic (CloudWatch leaves out periods without data)
	// concurrency limit applied: 40
}
