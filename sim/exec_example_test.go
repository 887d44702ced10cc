package sim_test

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// A function at 1,000 req/s with 100 ms invocations is deployed with
// Canary10Percent5Minutes, with the execution model on (DefaultConcurrency:
// cold starts of median 300 ms, 10-minute keep-alive, the account's 1,000
// concurrent executions). The new version starts with no warm environment,
// so the candidate's published p99 jumps at the first step and again at the
// step to 100%, and is back at the handler's 100 ms once its pool has grown.
// About 1 invocation in 150 of the first minute is cold, too few to move a
// one-minute p99: the spike shows in 10-second (high-resolution) periods.
func ExampleRun_concurrency() {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: 1000}
	s.Baseline.P50, s.Baseline.P99 = 100*time.Millisecond, 100*time.Millisecond
	s.Candidate.P50, s.Candidate.P99 = 100*time.Millisecond, 100*time.Millisecond
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	s.Concurrency = sim.DefaultConcurrency()
	s.Horizon = 7 * time.Minute
	s.Period = 10 * time.Second
	s.KeepSeries = true
	s.Seed = 1
	r, err := sim.Run(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	p99 := metrics.Statistic{Kind: metrics.Percentile, P: 99}
	for _, i := range []int{0, 12, 30, 36} {
		v, _ := r.Series.Periods[i].Dims[metrics.Candidate].Value(metrics.Duration, p99)
		c, _ := r.Series.Periods[i].Dims[metrics.Candidate].Value(metrics.ConcurrentExecutions, metrics.Statistic{Kind: metrics.Average})
		fmt.Printf("at %v: candidate p99 %s, %.0f concurrent\n", time.Duration(i)*s.Period, band(v), c)
	}
	fmt.Println("engine:", r.Resolution, "throttles:", r.Throttles())
	// Output:
	// at 0s: candidate p99 above 300 ms, 11 concurrent
	// at 2m0s: candidate p99 about 100 ms, 10 concurrent
	// at 5m0s: candidate p99 above 300 ms, 90 concurrent
	// at 6m0s: candidate p99 about 100 ms, 100 concurrent
	// engine: request throttles: 0
}

func band(ms float64) string {
	switch {
	case ms > 300:
		return "above 300 ms"
	case ms < 102:
		return "about 100 ms"
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// Asynchronous invocation (InvocationType Event) of a candidate that fails
// 30% of events, rolled out all at once: Lambda retries each failed event
// up to twice (after 1 and 2 minutes), so an event is lost only when its
// three attempts fail, about 0.3³ = 2.7% of them.
func ExampleRun_async() {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: 20}
	s.Candidate.ErrorProb = 0.3
	s.Strategy = strategy.Canary{Percent: 100, Interval: time.Hour} // all traffic on the candidate for an hour
	s.EventModel = sim.DefaultAsync()
	s.Seed = 1
	r, err := sim.Run(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	events := r.Candidate.Requests + r.Baseline.Requests - r.FailedAttempts
	fmt.Printf("events: about %d,000, retried attempts per event: %.2f, lost: %.1f%%\n",
		(events+500)/1000, float64(r.FailedAttempts)/float64(events), 100*float64(r.LostEvents)/float64(events))
	// Output:
	// events: about 72,000, retried attempts per event: 0.39, lost: 2.7%
}

// A pre-traffic hook (BeforeAllowTraffic) that runs a 2-minute test suite
// catching this bug half the time: with seed 3 it catches it, and no customer
// request reaches the candidate; otherwise the canary starts 2 minutes late.
func ExampleHook() {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: 10}
	s.Fault = sim.Fault{ErrorProb: 0.2}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	s.PreTraffic = sim.Hook{Duration: 2 * time.Minute, CatchProb: 0.5}
	for _, seed := range []uint64{1, 3} {
		s.Seed = seed
		r, err := sim.Run(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		promoted := "never"
		if d, ok := r.DeployDuration(); ok {
			promoted = d.String()
		}
		fmt.Printf("seed %d: %v, candidate requests %d, promoted %s\n", seed, r.Outcome, r.Candidate.Requests, promoted)
	}
	// Output:
	// seed 1: missed, candidate requests 299, promoted 7m0s
	// seed 3: hook-aborted, candidate requests 0, promoted never
}
