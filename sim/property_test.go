package sim

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/deploysim/deploysim/strategy"
)

// knobs are the generated parameters of a scenario. The ranges keep one run
// within a few milliseconds so the property can try many of them.
type knobs struct {
	Rate       float64 // arrivals per second, [0, 100]
	PBase      float64
	PCand      float64
	FaultP     float64
	Factor     float64 // latency factor of the fault
	OnsetSec   int     // fault onset, seconds
	OnsetAfter int     // candidate requests before the fault shows
	TimeoutMs  int     // 0: no timeout
	Strategy   int     // index into testStrategies
	HorizonSec int     // 0: until the deployment ends
	Policy     int     // 0: none, else trigger period Policy-1
	DelaySec   int
	ActionSec  int
	Kinds      int // 0..3 kinds; the fault hits the first one
	Users      int
	Workload   int
	Seed       uint64
	Auto       bool // let Run pick the engine (else PerRequest)
	BakeSec    int
}

var testStrategies = []strategy.Strategy{
	strategy.AllAtOnce{},
	strategy.Canary{Percent: 10, Interval: 5 * time.Minute},
	strategy.Linear{Percent: 25, Interval: time.Minute},
	steps{{At: 30 * time.Second, Weight: 0.5}, {At: 90 * time.Second, Weight: 0}, {At: 150 * time.Second, Weight: 1}},
	steps{{At: 0, Weight: 0.01}, {At: 7 * time.Minute, Weight: 0.99}},
}

func (k knobs) scenario() Scenario {
	s := BaseScenario()
	switch k.Workload % 4 {
	case 0:
		s.Workload = Poisson{Rate: k.Rate}
	case 1:
		s.Workload = Diurnal{Mean: k.Rate, Amplitude: 0.8, PeakHour: 14, StartHour: 13.9}
	case 2:
		s.Workload = Bursty{Rate: k.Rate / 4, BurstRate: k.Rate, MeanNormal: 40 * time.Second, MeanBurst: 10 * time.Second}
	case 3:
		s.Workload = Trace{Counts: []float64{k.Rate, 0, 2 * k.Rate, k.Rate / 2}, Loop: true}
	}
	s.Baseline.ErrorProb = k.PBase
	s.Candidate.ErrorProb = k.PCand
	s.Baseline.P50, s.Baseline.P99 = 50*time.Millisecond, 400*time.Millisecond
	s.Candidate.P50, s.Candidate.P99 = 60*time.Millisecond, 600*time.Millisecond
	timeout := time.Duration(k.TimeoutMs) * time.Millisecond
	s.Baseline.Timeout, s.Candidate.Timeout = timeout, timeout
	for i := 0; i < k.Kinds; i++ {
		s.Kinds = append(s.Kinds, Kind{Name: string(rune('a' + i)), Weight: float64(i + 1)})
	}
	s.Fault = Fault{ErrorProb: k.FaultP, LatencyFactor: k.Factor, OnsetAt: time.Duration(k.OnsetSec) * time.Second, OnsetAfter: int64(k.OnsetAfter)}
	if k.Kinds > 0 {
		s.Fault.Kinds = []string{"a"}
	}
	s.Users = Users{N: k.Users, Exponent: 1.1}
	s.Strategy = testStrategies[k.Strategy%len(testStrategies)]
	s.Horizon = time.Duration(k.HorizonSec) * time.Second
	if k.Policy > 0 {
		s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: k.Policy - 1}
	}
	s.IngestionDelay = time.Duration(k.DelaySec) * time.Second
	s.ActionLatency = time.Duration(k.ActionSec) * time.Second
	s.Bake = time.Duration(k.BakeSec) * time.Second
	s.Seed = k.Seed
	s.KeepSeries = true
	s.Resolution = PerRequest
	if k.Auto {
		s.Resolution = Auto
	}
	return s
}

// Every arrival ends as exactly one of success, error, timeout, throttle or
// in flight; per-version series add up to the alias series and to the run's
// counts; instants come in order (checkRun lists the invariants). Half the
// cases let Run pick the engine, so the invariants bind whichever it picks.
func TestConservationProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20261125)
	params.MinSuccessfulTests = 300
	if testing.Short() {
		params.MinSuccessfulTests = 60
	}
	properties := gopter.NewProperties(params)
	gens := []gopter.Gen{
		gen.Float64Range(0, 100), gen.Float64Range(0, 0.3), gen.Float64Range(0, 0.3), gen.Float64Range(0, 0.6),
		gen.OneConstOf(0.0, 1.0, 0.5, 3.0), gen.IntRange(0, 400), gen.IntRange(0, 200), gen.OneConstOf(0, 100, 250, 3000),
		gen.IntRange(0, len(testStrategies)-1), gen.OneConstOf(0, 1, 61, 200, 600), gen.IntRange(0, 4),
		gen.OneConstOf(0, 30, 60), gen.OneConstOf(0, 5), gen.IntRange(0, 3), gen.OneConstOf(0, 1, 50),
		gen.IntRange(0, 3), gen.UInt64(), gen.Bool(), gen.OneConstOf(0, 0, 120),
	}
	properties.Property("conservation", prop.ForAll(
		func(rate, pb, pc, fp, factor float64, onset, after, timeout, strat, horizon, pol, delay, action, kinds, users, wl int, seed uint64, auto bool, bake int) string {
			k := knobs{rate, pb, pc, fp, factor, onset, after, timeout, strat, horizon, pol, delay, action, kinds, users, wl, seed, auto, bake}
			s := k.scenario()
			r, err := Run(s)
			if err != nil {
				return "Run: " + err.Error()
			}
			return checkRun(s, r)
		}, gens...))
	properties.TestingRun(t)
}

// No arrival is lost or invented: with arrivals at known instants, a
// horizon and no policy, every arrival before the horizon is routed to one
// version, and ends as exactly one outcome or is still in flight.
func TestEveryArrivalCountedProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(7)
	params.MinSuccessfulTests = 200
	if testing.Short() {
		params.MinSuccessfulTests = 50
	}
	properties := gopter.NewProperties(params)
	properties.Property("arrivals = candidate + baseline requests", prop.ForAll(
		func(ms []int, strat int, horizonSec int, timeoutMs int, seed uint64) string {
			times := make(fixedTimes, len(ms))
			for i, m := range ms {
				times[i] = time.Duration(m) * time.Millisecond
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			s := perRequestScenario()
			s.Workload = times
			s.Strategy = testStrategies[strat%len(testStrategies)]
			s.Horizon = time.Duration(horizonSec) * time.Second
			s.Candidate.Timeout = time.Duration(timeoutMs) * time.Millisecond
			s.Seed = seed
			r, err := Run(s)
			if err != nil {
				return err.Error()
			}
			want := int64(0)
			for _, at := range times {
				if at < s.Horizon {
					want++
				}
			}
			if got := r.Candidate.Requests + r.Baseline.Requests; got != want {
				return fmt.Sprintf("%d requests routed, %d arrivals before the horizon %v", got, want, s.Horizon)
			}
			return checkRun(s, r)
		},
		gen.SliceOf(gen.IntRange(0, 600_000)), gen.IntRange(0, len(testStrategies)-1),
		gen.IntRange(1, 600), gen.OneConstOf(0, 80, 1000), gen.UInt64(),
	))
	properties.TestingRun(t)
}
