package bench

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deploysim/deploysim/internal/cputime"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// The scenario every engine simulates (simpy_bench.py too): Poisson
// arrivals at Rate req/s for Horizon, routed 10 % to the candidate (a
// canary that lasts the whole horizon), each request failing with
// probability ErrorProb on either version and lasting a lognormal time of
// median 100 ms and p99 500 ms (cut at a 3 s timeout); no policy, no users.
// One run is Rate·Horizon = 600,000 requests.
const (
	Rate      = 1000.0
	Horizon   = 10 * time.Minute
	ErrorProb = 0.01
	Canary    = 0.10
)

func scenario(res sim.Resolution) sim.Scenario {
	s := sim.BaseScenario()
	s.Workload = sim.Poisson{Rate: Rate}
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = ErrorProb, ErrorProb
	s.Strategy = strategy.Canary{Percent: Canary * 100, Interval: Horizon}
	s.Horizon = Horizon
	s.Resolution = res
	return s
}

// requestsPerRun is the expected number of requests of one run.
var requestsPerRun = Rate * Horizon.Seconds()

// report gives each benchmark's throughput in simulated requests per second
// of the process's CPU time ("cpu-req/s"), comparable across engines, and
// the CPU time of one run of the scenario ("cpu-ms/run").
func report(b *testing.B, c0 time.Duration, requests float64) {
	c1, ok := cputime.Used()
	if !ok || c1 <= c0 {
		return
	}
	cpu := (c1 - c0).Seconds()
	b.ReportMetric(requests/cpu, "cpu-req/s")
	b.ReportMetric(cpu/(requests/requestsPerRun)*1e3, "cpu-ms/run")
}

// BenchmarkEngine: one op is one run of the scenario (600,000 requests).
func BenchmarkEngine(b *testing.B) {
	for _, c := range []struct {
		name string
		res  sim.Resolution
	}{{"engine=per-request", sim.PerRequest}, {"engine=bucketed", sim.Bucketed}} {
		b.Run(c.name, func(b *testing.B) {
			s := scenario(c.res)
			var r sim.Runner
			var n int64
			b.ReportAllocs()
			c0, _ := cputime.Used()
			for i := 0; b.Loop(); i++ {
				s.Seed = uint64(i)
				run, err := r.Run(s)
				if err != nil {
					b.Fatal(err)
				}
				n += run.Candidate.Requests + run.Baseline.Requests
			}
			report(b, c0, float64(n))
		})
	}
	// The tight loops: the same draws with no event queue, no metrics, no
	// policy: an exponential gap per arrival, a uniform for the routing and
	// one for the error, and (+latency) the lognormal duration, whose
	// completion nothing waits for.
	for _, lat := range []bool{false, true} {
		name := "engine=tight-loop"
		if lat {
			name = "engine=tight-loop+latency"
		}
		b.Run(name, func(b *testing.B) {
			mu, sigma := math.Log(100.0), (math.Log(500)-math.Log(100))/2.3263478740408408
			var n int64
			var sink float64
			c0, _ := cputime.Used()
			for i := 0; b.Loop(); i++ {
				r := rand.New(rand.NewPCG(uint64(i), 0))
				var cand, fails int64
				end := Horizon.Seconds()
				for t := r.ExpFloat64() / Rate; t < end; t += r.ExpFloat64() / Rate {
					n++
					if r.Float64() < Canary {
						cand++
					}
					if r.Float64() < ErrorProb {
						fails++
					}
					if lat {
						sink += math.Min(3000, math.Exp(mu+sigma*r.NormFloat64()))
					}
				}
				sink += float64(cand + fails)
			}
			report(b, c0, float64(n))
			if sink < 0 {
				b.Log(sink)
			}
		})
	}
}
