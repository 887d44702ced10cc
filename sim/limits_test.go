package sim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// errorAlarm is a CodeDeploy policy over one 1-minute alarm, which reads the
// series at 60 s resolution.
func errorAlarm() rollback.Policy {
	return rollback.CodeDeploy(rollback.Alarm{
		Name: "Errors", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 5, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
}

// The runaway-work bounds: each case's expected arrivals or periods are
// worked out by hand from rate × span (or span / period) in its comment.
func TestValidateCostBounds(t *testing.T) {
	base := func() Scenario {
		s := BaseScenario()
		s.Workload = Poisson{Rate: 10}
		s.Strategy = canary(10, 5*time.Minute)
		return s
	}
	cases := []struct {
		name string
		edit func(*Scenario)
		want []string // substrings of the error; nil: valid
	}{
		{"1e9 req/s for 2h per request: 7.2e12 arrivals", func(s *Scenario) {
			s.Workload, s.Horizon, s.Resolution = Poisson{Rate: 1e9}, 2*time.Hour, PerRequest
		}, []string{"7.2e+12 arrivals", "Scenario.Horizon = 2h0m0s", "MaxRequestArrivals", "Bucketed"}},
		{"1e7 req/s, Auto falls back to per request for concurrency: 3e9 arrivals over 5m", func(s *Scenario) {
			s.Workload, s.Concurrency = Poisson{Rate: 1e7}, DefaultConcurrency()
		}, []string{"3e+09 arrivals", "Auto runs per request because Scenario.Concurrency.Enabled", "MaxRequestArrivals"}},
		{"async at 1e7 req/s", func(s *Scenario) {
			s.Workload, s.EventModel = Poisson{Rate: 1e7}, DefaultAsync()
		}, []string{"Auto runs per request because Scenario.EventModel", "MaxRequestArrivals"}},
		{"latency of 1000h at 1e4 req/s with no timeout: Little's law L = 1e4 × 3.6e6 s = 3.6e10 in flight", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 1e4}, PerRequest
			for _, v := range []*Version{&s.Baseline, &s.Candidate} {
				v.P50, v.P99, v.Timeout = 1000*time.Hour, 1000*time.Hour, 0
			}
		}, []string{"Scenario.Baseline holds a request 3.6e+06 s", "3.6e+10 requests in flight", "MaxInFlight", "Timeout"}},
		{"the same with a 3 s timeout: at most 3e4 in flight", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 1e4}, PerRequest
			for _, v := range []*Version{&s.Baseline, &s.Candidate} {
				v.P50, v.P99, v.Timeout = 1000*time.Hour, 1000*time.Hour, 3*time.Second
			}
		}, nil},
		{"the same without timeout under a reserved concurrency of 500: the rest is throttled", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 1e4}, PerRequest
			s.Concurrency = DefaultConcurrency()
			s.Concurrency.ReservedLimit = 500
			for _, v := range []*Version{&s.Baseline, &s.Candidate} {
				v.P50, v.P99, v.Timeout = 1000*time.Hour, 1000*time.Hour, 0
			}
		}, nil},
		{"a candidate 1e6 times slower than a 100 ms baseline, no timeout, at 1e3 req/s: 1e8 in flight", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 1e3}, PerRequest
			s.Baseline.P99, s.Candidate.P99 = 100*time.Millisecond, 100*time.Millisecond
			s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
			s.Fault = Fault{LatencyFactor: 1e6}
		}, []string{"Scenario.Candidate holds a request 1e+05 s", "1e+08 requests in flight"}},
		{"bucketed ignores requests in flight", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 1e4}, Bucketed
			for _, v := range []*Version{&s.Baseline, &s.Candidate} {
				v.P50, v.P99, v.Timeout = 1000*time.Hour, 1000*time.Hour, 0
			}
		}, nil},
		{"per request just under the bound: 3.3e6 req/s × 300 s = 9.9e8", func(s *Scenario) {
			s.Workload, s.Resolution = Poisson{Rate: 3.3e6}, PerRequest
		}, nil},
		{"a profile whose peak is 1e18 req/s at an hour the run never reaches: thinning draws at the peak", func(s *Scenario) {
			p := Profile{StartHour: 2}
			p.Hourly[2], p.Hourly[3], p.Hourly[0] = 10, 10, 1e18
			s.Workload, s.Resolution = p, PerRequest
		}, []string{"3e+20 draws", "MaxRequestArrivals"}},
		{"bursty at 1 ms sojourns over 49 years: 1.55e12 state switches (2 × 1.55e9 s / 2 ms)", func(s *Scenario) {
			s.Workload = Bursty{Rate: 0, BurstRate: 1e-6, MeanNormal: time.Millisecond, MeanBurst: time.Millisecond}
			s.Horizon = 49 * 365 * 24 * time.Hour
		}, []string{"Auto runs per request because Scenario.Workload (sim.Bursty) is not a Poisson process", "1.55e+12 draws"}},
		{"queue of always-failing messages received up to 1,000 times: 3e6 arrivals × 1,000 receives", func(s *Scenario) {
			q := DefaultQueue()
			q.MaxReceiveCount = 1000
			s.Workload, s.EventModel, s.Candidate.ErrorProb = Poisson{Rate: 1e4}, q, 1
		}, []string{"3e+09 invocations (arrivals × expected receives per message)", "MaxRequestArrivals"}},
		{"default queue, 5 % errors, batches of 10: (1-p^5)/(1-p) = 1.653 receives with p = 1-0.95^10; 7.5e8 arrivals", func(s *Scenario) {
			s.Workload, s.EventModel, s.Fault = Poisson{Rate: 2.5e6}, DefaultQueue(), Fault{ErrorProb: 0.05}
		}, []string{"1.24e+09 invocations (arrivals × expected receives", "MaxRequestArrivals"}},
		{"the same at 1e6 req/s: 3e8 × 1.653 = 5e8 is under the bound", func(s *Scenario) {
			s.Workload, s.EventModel, s.Fault = Poisson{Rate: 1e6}, DefaultQueue(), Fault{ErrorProb: 0.05}
		}, nil},
		{"bucketed 1e9 req/s for 2h is cheap", func(s *Scenario) {
			s.Workload, s.Horizon, s.Resolution = Poisson{Rate: 1e9}, 2*time.Hour, Bucketed
		}, nil},
		{"1e17 req/s over 5m: 3e19 arrivals overflow int64 counts", func(s *Scenario) {
			s.Workload = Poisson{Rate: 1e17}
		}, []string{"3e+19 arrivals", "the deployment's length 5m0s", "MaxArrivals"}},
		{"horizon of 49 years at 1 req/s per request: 1.55e9 arrivals", func(s *Scenario) {
			s.Workload, s.Horizon, s.Resolution = Poisson{Rate: 1}, 49*365*24*time.Hour, PerRequest
		}, []string{"1.55e+09 arrivals", "MaxRequestArrivals"}},
		{"horizon near MaxInt64", func(s *Scenario) {
			s.Horizon = math.MaxInt64
		}, []string{"Scenario.Horizon = 2562047h47m16.854775807s", "MaxSpan"}},
		{"KeepSeries over 10 years: 5,256,000 minutes", func(s *Scenario) {
			s.Workload, s.Horizon, s.KeepSeries = Poisson{Rate: 0}, 10*365*24*time.Hour, true
		}, []string{"Scenario.KeepSeries", "5256000 periods of 1m0s", "MaxPeriods = 50000"}},
		{"KeepSeries over exactly MaxPeriods minutes", func(s *Scenario) {
			s.Workload, s.Horizon, s.KeepSeries = Poisson{Rate: 0}, MaxPeriods*time.Minute, true
		}, nil},
		{"KeepSeries over MaxPeriods minutes and 1 ns", func(s *Scenario) {
			s.Workload, s.Horizon, s.KeepSeries = Poisson{Rate: 0}, MaxPeriods*time.Minute+1, true
		}, []string{"50001 periods", "MaxPeriods"}},
		{"policy with a one-year bake: 8760h5m is 525,605 minutes", func(s *Scenario) {
			s.Policy, s.Bake = errorAlarm(), 365*24*time.Hour
		}, []string{`Scenario.Policy "`, "525605 periods of 1m0s", "Bake"}},
		{"ingestion delay of MaxInt64 (publication instants wrapped round)", func(s *Scenario) {
			s.Policy, s.IngestionDelay = errorAlarm(), math.MaxInt64
		}, []string{"Scenario.IngestionDelay = 2562047h47m16.854775807s", "MaxSpan"}},
		{"action latency of MaxInt64", func(s *Scenario) {
			s.Policy, s.ActionLatency = errorAlarm(), math.MaxInt64
		}, []string{"Scenario.ActionLatency", "MaxSpan"}},
		{"period of 100 years", func(s *Scenario) {
			s.Period = 100 * 365 * 24 * time.Hour
		}, []string{"Scenario.Period = 876000h0m0s", "MaxSpan"}},
		{"bake of 200 years without a policy", func(s *Scenario) {
			s.Bake = 200 * 365 * 24 * time.Hour
		}, []string{"the deployment's length", "MaxSpan"}},
		{"horizon of MaxSpan is allowed", func(s *Scenario) {
			s.Workload, s.Horizon = Poisson{Rate: 0}, MaxSpan
		}, nil},
		{"per request at 0.001 req/s over a year: few requests, but 525,600 periods (about 1 GB)", func(s *Scenario) {
			s.Workload, s.Horizon, s.Resolution = Poisson{Rate: 0.001}, 365*24*time.Hour, PerRequest
		}, []string{"the per-request engine records", "525600 periods of 1m0s", "MaxPeriods"}},
		{"bucketed policy over a year's horizon reads only the 5-minute deployment", func(s *Scenario) {
			s.Policy, s.Horizon = errorAlarm(), 365*24*time.Hour
		}, nil},
		{"ten-year horizon without a reader of the series is cheap bucketed", func(s *Scenario) {
			s.Horizon = 10 * 365 * 24 * time.Hour
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			err := s.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Kind weights are relative: two of 1e308 sum to +Inf, which made the
// bucketed engine's affected share 0 (a fault on kind b never showed) and the
// per-request engine's cumulative shares NaN. Validate refuses the infinite
// sum; two of 1e307 are two equal kinds, so a fault of ErrorProb 0.5 on one
// of them fails a quarter of the candidate's requests in both engines.
func TestKindWeightsHuge(t *testing.T) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1000}
	s.Strategy = allAtOnce()
	s.Horizon = time.Minute
	s.Kinds = []Kind{{"a", 1e308}, {"b", 1e308}}
	s.Fault = Fault{ErrorProb: 0.5, Kinds: []string{"b"}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "Scenario.Kinds: weights sum to +Inf") {
		t.Fatalf("Validate() = %v, want an infinite-sum error", err)
	}
	s.Kinds = []Kind{{"a", 1e307}, {"b", 1e307}}
	for _, res := range []Resolution{PerRequest, Bucketed} {
		s.Resolution = res
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		// About 60,000 candidate requests: the fraction's standard
		// deviation is sqrt(0.25·0.75/60000) = 0.0018; 0.01 is 5.6 of them.
		c := r.Candidate
		frac := float64(c.Errors) / float64(c.Requests)
		if c.Requests < 50000 || math.Abs(frac-0.25) > 0.01 {
			t.Errorf("%v: %d of %d candidate requests failed (%.4f), want 0.25 ± 0.01", res, c.Errors, c.Requests, frac)
		}
	}
}

// A huge Workers is capped at MaxWorkers: the latency model is built once
// per run inside a worker, where it counts the goroutines alive. Without the
// cap, 3,000 runs with Workers = MaxInt started 3,000 workers (and 1<<40
// runs would have allocated 1<<40 Summaries).
func TestMonteCarloWorkersCapped(t *testing.T) {
	var mu sync.Mutex
	most := 0
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = allAtOnce()
	s.Candidate.Latency = func(src rand.Source) Sampler {
		mu.Lock()
		most = max(most, runtime.NumGoroutine())
		mu.Unlock()
		return distuv.LogNormal{Mu: 0, Sigma: 1, Src: src}
	}
	sum, err := MonteCarlo(context.Background(), s, 3000, MonteCarloOptions{Workers: math.MaxInt})
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Runs(); n != 3000 {
		t.Errorf("%d runs summarised, want 3000", n)
	}
	// The test's own goroutines and the runtime's add a few dozen at most.
	if most > MaxWorkers+64 {
		t.Errorf("%d goroutines alive during the runs, want at most MaxWorkers (%d) + 64", most, MaxWorkers)
	}
}

// A queue whose messages always fail and are redelivered at once (zero
// visibility timeout, maxReceiveCount 1,000) multiplies each arrival into
// up to 1,000 invocations, which Validate does not bound: the run-time budget
// stops it with an error. With the budget lowered to 100,000 events, 30 s
// at 100 messages/s (about 3,000 messages, each received every ~100 ms until
// the horizon: about 450,000 invocations, twice as many events) must exceed
// it; the same run with SQS's default 30 s visibility timeout (at most two
// receives per message within 30 s: under 15,000 events) must not.
func TestMaxEventsStopsRedeliveryStorm(t *testing.T) {
	defer func(m int64) { maxEvents = m }(maxEvents)
	maxEvents = 100_000
	s := BaseScenario()
	q := DefaultQueue()
	q.BatchSize, q.MaxReceiveCount, q.VisibilityTimeout = 1, 1000, 0
	q.Pollers = MaxPollers // every message polled at once
	s.EventModel = q
	s.Workload = Poisson{Rate: 100}
	s.Strategy = allAtOnce()
	s.Candidate.ErrorProb = 1
	s.Horizon = 30 * time.Second
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(s); err == nil || !strings.Contains(err.Error(), "MaxEvents = 100000") {
		t.Fatalf("Run() error = %v, want the MaxEvents budget", err)
	}
	q.VisibilityTimeout = DefaultVisibilityTimeout
	s.EventModel = q
	if _, err := Run(s); err != nil {
		t.Fatalf("with a 30 s visibility timeout: %v", err)
	}
}

// A strategy of the caller's own type is held to the step bound of the
// strategy package's types: MaxSteps+1 steps (what a Steps list of MaxSteps
// can give) are accepted, one more is not.
func TestCustomScheduleLength(t *testing.T) {
	long := func(n int) steps {
		st := make(steps, n)
		for i := range st {
			st[i] = strategy.Step{At: time.Duration(i) * time.Millisecond, Weight: 1}
		}
		return st
	}
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = long(strategy.MaxSteps + 1)
	if err := s.Validate(); err != nil {
		t.Fatalf("%d steps: %v", strategy.MaxSteps+1, err)
	}
	s.Strategy = long(strategy.MaxSteps + 2)
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "schedule has 10002 steps: must have at most strategy.MaxSteps+1 = 10001") {
		t.Errorf("%d steps: Validate() = %v, want the step bound", strategy.MaxSteps+2, err)
	}
}

// A nil strategy.Steps is a valid strategy (an empty list: promoted at once,
// as Steps documents), not a missing one; AnyOf() with no policy gets
// rollback's own error rather than "nil".
func TestNilSlicesAreValues(t *testing.T) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = strategy.Steps(nil)
	r, err := Run(s)
	if err != nil {
		t.Fatalf("Steps(nil): %v", err)
	}
	if r.Promoted != 0 || r.Outcome != metrics.Completed {
		t.Errorf("Steps(nil): %v promoted at %v, want completed at 0", r.Outcome, r.Promoted)
	}
	s.Policy = rollback.AnyOf()
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "AnyOf.policies = []: must list at least one policy") {
		t.Errorf("AnyOf(): Validate() = %v, want rollback's empty-list error", err)
	}
}

// The last runs of the index range end: with FirstRun = MaxInt64-3 and two
// workers, the run counter passes MaxInt64 after the third run is handed
// out and each worker takes one more index; the wrapped (negative) one used
// to be run, and the next, for ever (Progress reported 6 of 3). (With a
// 32-bit int, FirstRun = MaxInt-3 exercises the last indices without the
// wrap.)
func TestMonteCarloLastIndices(t *testing.T) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = allAtOnce()
	s.Resolution = Bucketed
	s.Horizon = time.Minute
	most := 0
	sum, err := MonteCarlo(context.Background(), s, 3, MonteCarloOptions{
		FirstRun: math.MaxInt - 3, Workers: 2,
		Progress: func(done, total int) { most = max(most, done) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs() != 3 || most != 3 {
		t.Fatalf("Runs() = %d, Progress reached %d: want 3 and 3", sum.Runs(), most)
	}
	// The same three runs one at a time give the same summary: the seeds
	// are those of indices MaxInt64-3 .. MaxInt64-1.
	var want metrics.Summary
	for i := int64(math.MaxInt - 3); i < math.MaxInt; i++ {
		s.Seed = RunSeed(0, i)
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		want.Add(&r)
	}
	if !sum.Equal(&want) {
		t.Errorf("summary differs from the three runs alone")
	}
	// With a 64-bit int the next index would overflow int64; a 32-bit int
	// cannot reach that range (indices are int64 inside).
	if math.MaxInt == math.MaxInt64 {
		if _, err := MonteCarlo(context.Background(), s, 4, MonteCarloOptions{FirstRun: math.MaxInt - 3}); err == nil {
			t.Errorf("FirstRun = MaxInt64-3 with 4 runs: want an error, the last index overflows")
		}
	}
}

// badWorkload is a user's Workload whose arrivals break the contract in one
// of three ways; its Integral claims one arrival a second.
type badWorkload struct{ mode string }

func (badWorkload) Validate() error                     { return nil }
func (badWorkload) Integral(a, b time.Duration) float64 { return (b - a).Seconds() }
func (badWorkload) Poisson() bool                       { return false }
func (w badWorkload) Arrivals(*rand.Rand) Arrivals      { return &badArrivals{mode: w.mode} }

type badArrivals struct {
	mode string
	n    int
}

func (a *badArrivals) Next() time.Duration {
	a.n++
	switch a.mode {
	case "backwards":
		return time.Duration(10-a.n) * time.Second // 9 s, 8 s, …
	case "negative":
		return -time.Second
	}
	return time.Second // stalls at 1 s for ever
}

// oneNanoPolicy evaluates one nanosecond after the previous evaluation.
type oneNanoPolicy struct{}

func (oneNanoPolicy) Name() string              { return "one-nano" }
func (oneNanoPolicy) Validate() error           { return nil }
func (oneNanoPolicy) Resolution() time.Duration { return 0 }
func (oneNanoPolicy) Start() rollback.Monitor   { return oneNanoMonitor{} }

type oneNanoMonitor struct{}

func (oneNanoMonitor) Next(t time.Duration) time.Duration { return t + 1 }
func (oneNanoMonitor) Evaluate(rollback.Observation) rollback.Decision {
	return rollback.Decision{}
}

// A Workload or Policy of the user's own that misbehaves ends the run with
// an error naming it, in bounded time and memory: before these checks, a
// stalled Next ran out of memory (every arrival a request in flight at the
// same instant) and a 1 ns policy cadence ran for hours.
func TestMisbehavingWorkloadAndPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Scenario)
		want string
	}{
		{"arrivals going back in time", func(s *Scenario) { s.Workload = badWorkload{"backwards"} }, "must not go back in time"},
		{"a first arrival before 0", func(s *Scenario) { s.Workload = badWorkload{"negative"} }, "must not be before 0"},
		{"arrivals that stall at one instant", func(s *Scenario) { s.Workload = badWorkload{"stall"} }, "Next must advance time"},
		{"a policy that evaluates every nanosecond", func(s *Scenario) {
			s.Workload, s.Policy = Poisson{Rate: 1}, oneNanoPolicy{}
		}, "MaxEvaluations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := BaseScenario()
			s.Strategy = canary(10, time.Minute)
			s.Resolution = PerRequest
			s.Horizon = 10 * time.Minute
			tc.edit(&s)
			if _, err := Run(s); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A nil context is an error wrapping ErrInvalid, not the context package's
// panic from a worker.
func TestMonteCarloNilContext(t *testing.T) {
	s := BaseScenario()
	s.Workload, s.Strategy = Poisson{Rate: 1}, allAtOnce()
	//lint:ignore SA1012 the nil context is the point of the test
	if _, err := MonteCarlo(nil, s, 2, MonteCarloOptions{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ctx = nil") { //nolint:staticcheck
		t.Fatalf("MonteCarlo(nil ctx) = %v, want an ErrInvalid naming ctx", err)
	}
}

// MonteCarlo holds its workers' memory to MaxMonteCarloMemory together: a
// 10-second alarm over a 137-hour deployment recorded per request is
// 49,302 periods (up to 400 MB a worker), so 64 workers become
// MaxMonteCarloMemory / (49,302 × periodBytesFull) = 10. runMemory must not
// underestimate: a run's measured heap growth stays below its estimate.
func TestMonteCarloMemoryBound(t *testing.T) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = linear(1, 83*time.Minute) // 99 steps of 83 min: 8,217 min
	s.Period = 10 * time.Second
	s.Resolution = PerRequest
	periods := int64(99 * 83 * 6)
	if got := s.runMemory(); got != periods*periodBytesFull {
		t.Fatalf("runMemory() = %d, want %d periods × %d bytes", got, periods, periodBytesFull)
	}
	if w := monteCarloWorkers(&s, 64, 1000); w != int(MaxMonteCarloMemory/(periods*periodBytesFull)) || w != 10 {
		t.Errorf("monteCarloWorkers(64) = %d, want 10", w)
	}
	if w := monteCarloWorkers(&s, 4, 1000); w != 4 {
		t.Errorf("monteCarloWorkers(4) = %d, want 4 (under the bound)", w)
	}
	s.Resolution = Bucketed // no policy, no KeepSeries: nothing recorded
	if got := s.runMemory(); got != 0 {
		t.Errorf("bucketed without a reader: runMemory() = %d, want 0", got)
	}

	// Measured: a shorter run of the same kind (8 steps of 83 min, 3,984
	// periods) grows the heap by less than its estimate.
	s.Strategy = linear(12.5, 83*time.Minute)
	for _, res := range []Resolution{PerRequest, Bucketed} {
		s.Resolution, s.KeepSeries = res, true
		var m0, m1 runtime.MemStats
		var rn Runner
		runtime.GC()
		runtime.ReadMemStats(&m0)
		r, err := rn.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		grew := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
		if est := s.runMemory(); grew > est {
			t.Errorf("%v: the run holds %d bytes, more than runMemory's %d", res, grew, est)
		}
		runtime.KeepAlive(&rn)
		runtime.KeepAlive(&r)
	}
}
