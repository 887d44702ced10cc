package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// mcScenario is a bad candidate whose detection is random: a 1.5 % error
// regression against a 1 % error-rate alarm at 20 req/s through a 10 %
// canary (120 candidate requests a minute), so runs differ in detection
// time, failures, users hit and outcome — every part of a Summary gets
// exercised by the determinism tests.
func mcScenario() Scenario {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 20}
	s.Baseline.ErrorProb = 0.002
	s.Candidate.ErrorProb = 0.002
	s.Fault = Fault{ErrorProb: 0.015, OnsetAt: 30 * time.Second}
	s.Users = Users{N: 300, Exponent: 1}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	s.Policy = rollback.CodeDeploy(rollback.Alarm{
		Name: "ErrorRate", Metric: metrics.ErrorRate, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 0.01, Comparison: rollback.GreaterThanOrEqualToThreshold,
		TreatMissingData: rollback.TreatNotBreaching,
	})
	s.Horizon = 10 * time.Minute
	s.Seed = 42
	return s
}

// The Summary is the same state, bit for bit, whatever the number of
// workers and on every call, and equals the Summary of the runs done one
// by one with the documented seeds (seed.Derive(base, i)), added in index
// order: the contract, checked against an independent sequential loop.
func TestMonteCarloDeterministicAcrossWorkers(t *testing.T) {
	for _, res := range []Resolution{Auto, PerRequest} {
		t.Run(res.String(), func(t *testing.T) {
			sc := mcScenario()
			sc.Resolution = res
			testDeterministicAcrossWorkers(t, sc)
		})
	}
}

func testDeterministicAcrossWorkers(t *testing.T, sc Scenario) {
	runs := 96
	if testing.Short() {
		runs = 40
	}
	want := &metrics.Summary{}
	for i := 0; i < runs; i++ {
		s := sc
		s.Seed = seed.Derive(sc.Seed, uint64(i))
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		want.Add(&r)
	}
	if want.Outcomes(metrics.RolledBack) == 0 || want.Outcomes(metrics.Missed) == 0 {
		// The scenario must mix outcomes, or equality proves little.
		t.Fatalf("scenario too easy: rolled back %d, missed %d of %d",
			want.Outcomes(metrics.RolledBack), want.Outcomes(metrics.Missed), runs)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 8, 1} { // 1 twice: across calls too
		got, err := MonteCarlo(context.Background(), sc, runs, MonteCarloOptions{Workers: workers})
		if err != nil {
			t.Fatalf("workers=%d: %v", workers, err)
		}
		if !got.Equal(want) {
			t.Errorf("workers=%d: Summary differs from the sequential one", workers)
		}
		// Not reflect.DeepEqual: a Summary keeps its exact values in the
		// order they came (sorted when read), so the same state may lie in
		// memory in another order; Equal and the JSON bytes are the contract.
		gotJSON, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("workers=%d: JSON differs:\n got %s\nwant %s", workers, gotJSON, wantJSON)
		}
	}
	// A different base seed gives different runs (the seed is used).
	other := sc
	other.Seed++
	got, err := MonteCarlo(context.Background(), other, runs, MonteCarloOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Equal(want) {
		t.Error("base seeds 42 and 43 gave the same Summary")
	}
}

// The same invariant as a property over random base seeds, run counts
// (including fewer runs than workers), worker counts and engines: the
// Summary equals the one built by adding the runs one by one in index order.
func TestMonteCarloWorkersProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20261125)
	params.MinSuccessfulTests = 60
	if testing.Short() || raceEnabled {
		params.MinSuccessfulTests = 20
	}
	properties := gopter.NewProperties(params)
	properties.Property("any worker count gives the sequential Summary", prop.ForAll(
		func(base uint64, runs, workers int, perRequest bool) string {
			sc := mcScenario()
			sc.Horizon = 4 * time.Minute
			sc.Seed = base
			if perRequest {
				sc.Resolution = PerRequest
			}
			want := &metrics.Summary{}
			for i := 0; i < runs; i++ {
				s := sc
				s.Seed = seed.Derive(base, uint64(i))
				r, err := Run(s)
				if err != nil {
					return err.Error()
				}
				want.Add(&r)
			}
			got, err := MonteCarlo(context.Background(), sc, runs, MonteCarloOptions{Workers: workers})
			if err != nil {
				return err.Error()
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if !got.Equal(want) || !bytes.Equal(gb, wb) {
				return fmt.Sprintf("runs=%d workers=%d: Summary differs from the sequential one", runs, workers)
			}
			return ""
		},
		gen.UInt64(), gen.IntRange(1, 30), gen.IntRange(1, 12), gen.Bool()))
	properties.TestingRun(t)
}

// Candidate failures of a run with no policy are Poisson with mean
// μ = λ·p·∫_0^H w(t) dt (Poisson arrivals thinned by independent routing and
// independent errors). Through MonteCarlo: the mean over n runs is within 4
// standard errors sqrt(μ/n) of μ (a false alarm about once in 16,000), and
// the sample variance is within 4 of its standard errors of μ, using
// Var(s²) ≈ (μ4 - σ⁴)/n = (μ + 2μ²)/n for Poisson counts (μ4 = μ + 3μ²), so
// the failures are Poisson-dispersed, not merely right on average.
func TestMonteCarloClosedFormMean(t *testing.T) {
	for _, res := range []Resolution{Auto, PerRequest} {
		t.Run(res.String(), func(t *testing.T) { testClosedFormMean(t, res) })
	}
}

func testClosedFormMean(t *testing.T, res Resolution) {
	const (
		lambda = 40.0
		p      = 0.05
	)
	sc, area := closedFormScenario(lambda, p)
	sc.Resolution = res
	mu := lambda * p * area
	runs := 400
	if testing.Short() {
		runs = 100
	}
	sum, err := MonteCarlo(context.Background(), sc, runs, MonteCarloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := sum.Stats(metrics.CandidateFailures)
	n := float64(runs)
	if st.N != int64(runs) {
		t.Fatalf("N = %d, want %d", st.N, runs)
	}
	if tol := 4 * math.Sqrt(mu/n); math.Abs(st.Mean-mu) > tol {
		t.Errorf("mean candidate failures = %.3f over %d runs, want λ·p·∫w = %.3f ± %.3f", st.Mean, runs, mu, tol)
	}
	v := st.StdDev * st.StdDev
	if tol := 4 * math.Sqrt((mu+2*mu*mu)/n); math.Abs(v-mu) > tol {
		t.Errorf("variance of candidate failures = %.3f, want μ = %.3f ± %.3f (Poisson)", v, mu, tol)
	}
	if ex := sum.Stats(metrics.Exposure); math.Abs(ex.Mean-area) > 1e-6 || ex.Min != ex.Max {
		t.Errorf("exposure mean %v (min %v, max %v), want ∫w = %v in every run", ex.Mean, ex.Min, ex.Max, area)
	}
}

// closedFormScenario: Poisson arrivals at lambda, a Canary 10 % for 30 s then
// 100 %, no policy, horizon 90 s, candidate error probability p, latency of
// about 1 ms and no timeout (so failures in flight at the horizon, about
// λ·1 ms·p per run, are negligible). It returns the scenario and ∫_0^H w dt
// from the reference's description of a canary: 0.1·30 s + 1·60 s = 63 s.
func closedFormScenario(lambda, p float64) (Scenario, float64) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: lambda}
	s.Candidate.ErrorProb = p
	s.Baseline.P50, s.Baseline.P99 = time.Millisecond, 2*time.Millisecond
	s.Candidate.P50, s.Candidate.P99 = time.Millisecond, 2*time.Millisecond
	s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
	s.Strategy = strategy.Canary{Percent: 10, Interval: 30 * time.Second}
	s.Horizon = 90 * time.Second
	return s, 0.1*30 + 1*60
}

// The Summary's 95 % Student-t interval for the mean candidate failures
// covers the true mean μ = λ·p·∫w about 95 % of the time. Over B independent
// batches (base seeds 0..B-1) of n runs each, the number of covering
// intervals is Binomial(B, c) with c ≈ 0.95 if the intervals are right; the
// test accepts coverage within 4 binomial standard deviations of 0.95
// (sqrt(B·0.95·0.05): 4.4 batches of 400, 3.1 of 200, 2.2 of 100). Counts with mean
// μ ≈ 38 are close enough to normal that the t interval's coverage is
// within a fraction of a percent of nominal with n = 20, far inside the
// tolerance; a wrong interval (a z interval with the wrong scale, a
// standard deviation instead of a standard error, an interval around the
// wrong figure) falls outside it.
func TestMonteCarloConfidenceCoverage(t *testing.T) {
	for _, res := range []Resolution{Auto, PerRequest} {
		t.Run(res.String(), func(t *testing.T) { testCoverage(t, res) })
	}
}

func testCoverage(t *testing.T, res Resolution) {
	const (
		lambda = 5.0
		p      = 0.12
		n      = 20
		level  = 0.95
	)
	batches := 400
	if testing.Short() || raceEnabled {
		batches = 200
	}
	if testing.Short() && raceEnabled {
		batches = 100
	}
	sc, area := closedFormScenario(lambda, p)
	sc.Resolution = res
	mu := lambda * p * area
	covered := 0
	for b := 0; b < batches; b++ {
		sc.Seed = uint64(b)
		sum, err := MonteCarlo(context.Background(), sc, n, MonteCarloOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := sum.StatsAt(metrics.CandidateFailures, level)
		if st.CILow <= mu && mu <= st.CIHigh {
			covered++
		}
	}
	B := float64(batches)
	sd := math.Sqrt(B * level * (1 - level))
	if lo, hi := B*level-4*sd, B*level+4*sd; float64(covered) < lo || float64(covered) > hi {
		t.Errorf("%d of %d intervals covered μ = %.2f, want %.0f ± %.1f (95%% nominal)", covered, batches, mu, B*level, 4*sd)
	}
	t.Logf("coverage %d/%d = %.3f", covered, batches, float64(covered)/B)
}

// Progress is called once per run, with done = 1..runs in order and the
// total, never concurrently (the race detector checks the unsynchronised
// slice append).
func TestMonteCarloProgress(t *testing.T) {
	sc, _ := closedFormScenario(5, 0.1)
	const runs = 37
	for _, workers := range []int{1, 3} {
		var calls []int
		_, err := MonteCarlo(context.Background(), sc, runs, MonteCarloOptions{
			Workers: workers,
			Progress: func(done, total int) {
				if total != runs {
					t.Errorf("total = %d, want %d", total, runs)
				}
				calls = append(calls, done)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != runs {
			t.Fatalf("workers=%d: %d progress calls, want %d", workers, len(calls), runs)
		}
		for i, d := range calls {
			if d != i+1 {
				t.Fatalf("workers=%d: call %d reported done = %d, want %d", workers, i, d, i+1)
			}
		}
	}
}

// Cancelling the context stops the sweep: no run starts once it is
// cancelled, so with a million runs asked the call returns after the few
// that were running, with ctx.Err(). An already cancelled context runs
// nothing.
func TestMonteCarloCancel(t *testing.T) {
	sc, _ := closedFormScenario(5, 0.1)
	const workers = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	last := 0
	sum, err := MonteCarlo(ctx, sc, 1_000_000, MonteCarloOptions{
		Workers: workers,
		Progress: func(done, total int) {
			last = done
			if done == 5 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || sum != nil {
		t.Fatalf("MonteCarlo after cancel = %v, %v; want nil, context.Canceled", sum, err)
	}
	// Runs already running when cancel() returned may complete: at most one
	// per worker, plus the ticks those workers had already queued (one slot
	// per worker).
	if last < 5 || last > 5+2*workers {
		t.Errorf("%d runs completed, want 5 to %d", last, 5+2*workers)
	}

	calls := 0
	sum, err = MonteCarlo(ctx, sc, 10, MonteCarloOptions{Progress: func(int, int) { calls++ }})
	if !errors.Is(err, context.Canceled) || sum != nil || calls != 0 {
		t.Errorf("already cancelled: %v, %v, %d runs; want nil, context.Canceled, 0", sum, err, calls)
	}
}

// brokenPolicy's monitor breaks the Monitor contract (Next not after t),
// which Run reports as an error of the run.
type brokenPolicy struct{}

func (brokenPolicy) Name() string                        { return "broken" }
func (brokenPolicy) Validate() error                     { return nil }
func (brokenPolicy) Resolution() time.Duration           { return time.Minute }
func (brokenPolicy) Start() rollback.Monitor             { return brokenMonitor{} }
func (brokenMonitor) Next(t time.Duration) time.Duration { return t }
func (brokenMonitor) Evaluate(rollback.Observation) rollback.Decision {
	return rollback.Decision{}
}

type brokenMonitor struct{}

func TestMonteCarloErrors(t *testing.T) {
	good, _ := closedFormScenario(5, 0.1)
	noWorkload := good
	noWorkload.Workload = nil
	badProb := good
	badProb.Candidate.ErrorProb = 1.5
	for _, tc := range []struct {
		name    string
		sc      Scenario
		runs    int
		workers int
		want    string
	}{
		{"zero runs", good, 0, 0, "runs = 0: must be > 0"},
		{"negative runs", good, -3, 0, "runs = -3: must be > 0"},
		{"negative workers", good, 10, -1, "Workers = -1: must be >= 0"},
		{"no workload", noWorkload, 10, 0, "Scenario.Workload"},
		{"bad probability", badProb, 10, 0, "Scenario.Candidate.ErrorProb = 1.5: must be in [0, 1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			sum, err := MonteCarlo(context.Background(), tc.sc, tc.runs, MonteCarloOptions{
				Workers: tc.workers, Progress: func(int, int) { calls++ },
			})
			if err == nil || sum != nil {
				t.Fatalf("got %v, %v; want an error", sum, err)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want one wrapping ErrInvalid and containing %q", err, tc.want)
			}
			if calls != 0 {
				t.Errorf("%d runs made before the error, want 0 (validated up front)", calls)
			}
		})
	}

	// A run that fails: every run fails here, and the error reported is run
	// 0's whatever the number of workers, since runs are handed out in order.
	broken := good
	broken.Policy = brokenPolicy{}
	for _, workers := range []int{1, 2, 8} {
		_, err := MonteCarlo(context.Background(), broken, 50, MonteCarloOptions{Workers: workers})
		want := fmt.Sprintf("sim: MonteCarlo run 0 (seed %d): ", seed.Derive(broken.Seed, 0))
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `Policy "broken"`) {
			t.Errorf("workers=%d: error %v, want prefix %q naming the policy", workers, err, want)
		}
	}
}

// A Monte Carlo of 500 runs of a scenario with a closed-form answer: a 10 %
// canary for 30 s then 100 %, watched for 90 s, at 40 req/s with a 5 %
// candidate error rate and no rollback policy. The candidate's failures are
// Poisson with mean λ·p·∫w dt = 40 · 0.05 · (0.1·30 + 60) = 126; the
// Summary's 99 % interval for the mean covers it. The Summary is the same
// for any Workers value.
func ExampleMonteCarlo() {
	sc := BaseScenario()
	sc.Workload = Poisson{Rate: 40}
	sc.Candidate.ErrorProb = 0.05
	sc.Strategy = strategy.Canary{Percent: 10, Interval: 30 * time.Second}
	sc.Horizon = 90 * time.Second
	sc.Seed = 2026

	sum, err := MonteCarlo(context.Background(), sc, 500, MonteCarloOptions{
		Progress: func(done, total int) {
			if done == total {
				fmt.Println("runs done:", done)
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := sum.StatsAt(metrics.CandidateFailures, 0.99)
	fmt.Printf("exposure: %.0f s of full weight per run\n", sum.Value(metrics.Exposure))
	fmt.Println("99% interval covers λ·p·∫w = 126:", st.CILow <= 126 && 126 <= st.CIHigh)
	// Output:
	// runs done: 500
	// exposure: 63 s of full weight per run
	// 99% interval covers λ·p·∫w = 126: true
}
