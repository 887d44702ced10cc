package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// fixedTimes is a workload with arrivals at given instants, to put events
// of different kinds at the same instant on purpose.
type fixedTimes []time.Duration

func (f fixedTimes) Validate() error { return nil }
func (f fixedTimes) Poisson() bool   { return false }
func (f fixedTimes) Integral(a, b time.Duration) float64 {
	n := 0.0
	for _, t := range f {
		if t >= a && t < b {
			n++
		}
	}
	return n
}
func (f fixedTimes) Arrivals(*rand.Rand) Arrivals { return &fixedArrivals{f, 0} }

type fixedArrivals struct {
	f fixedTimes
	i int
}

func (a *fixedArrivals) Next() time.Duration {
	if a.i >= len(a.f) {
		return NoArrival
	}
	a.i++
	return a.f[a.i-1]
}

// The order of simultaneous events (control.go): a weight step applies to
// an arrival at its instant, the horizon comes before an arrival at it.
func TestOrderStepBeforeArrivalHorizonBeforeArrival(t *testing.T) {
	s := perRequestScenario()
	s.Workload = fixedTimes{30 * time.Second, 60 * time.Second, 90 * time.Second}
	s.Strategy = steps{{At: 0, Weight: 0}, {At: time.Minute, Weight: 1}}
	s.Horizon = 90 * time.Second
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Baseline.Requests != 1 || r.Candidate.Requests != 1 {
		t.Fatalf("baseline %d, candidate %d requests; want the 30s arrival on the baseline, the 60s one on the candidate (step first), none at the 90s horizon",
			r.Baseline.Requests, r.Candidate.Requests)
	}
}

// A rollback with no action latency, decided at an evaluation instant,
// stops admission before an arrival at that instant; the publication due at
// that instant comes before the evaluation.
func TestOrderRollbackBeforeArrival(t *testing.T) {
	s := perRequestScenario()
	s.Workload = fixedTimes{10 * time.Second, 119 * time.Second, 120 * time.Second}
	s.Strategy = steps{{At: 0, Weight: 1}, {At: 10 * time.Hour, Weight: 1}}
	s.IngestionDelay, s.ActionLatency = time.Minute, 0
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 0}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Detected != 2*time.Minute || r.WeightZero != 2*time.Minute {
		t.Fatalf("Detected %v, WeightZero %v; want both at 2m", r.Detected, r.WeightZero)
	}
	if r.Candidate.Requests != 2 || r.Baseline.Requests != 0 {
		t.Fatalf("candidate %d, baseline %d requests; want the 10s and 119s arrivals only", r.Candidate.Requests, r.Baseline.Requests)
	}
}

// A completion at a publication instant is in the datapoint the evaluation
// at that instant sees: a 30 s request started at 30 s ends at 60 s, when
// period 0 is published (no delay) and evaluated.
func TestOrderCompletionBeforePublication(t *testing.T) {
	s := perRequestScenario()
	s.Workload = fixedTimes{30 * time.Second}
	s.Strategy = steps{{At: 0, Weight: 1}, {At: 10 * time.Hour, Weight: 1}}
	s.Candidate.P50, s.Candidate.P99, s.Candidate.Timeout = 30*time.Second, 30*time.Second, 0
	s.IngestionDelay = 0
	s.Horizon = 5 * time.Minute
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 0}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.CandidateLatency.Max() != 30000 {
		t.Fatalf("the request took %v ms, not exactly 30 s: the test's premise fails", r.CandidateLatency.Max())
	}
	if r.Detected != time.Minute {
		t.Fatalf("Detected %v, want 1m: the completion at 1m must be counted before the publication and evaluation at 1m", r.Detected)
	}
	if r.Outcome != metrics.FalseRollback {
		t.Errorf("Outcome %v, want false-rollback", r.Outcome)
	}
}
