package deploysim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// cheapScenario is DefaultScenario at 2 req/s and with no horizon, so that a
// nine-preset comparison takes milliseconds per run.
func cheapScenario() sim.Scenario {
	sc := DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 2}
	sc.Horizon = 0
	return sc
}

// With no strategies, Compare has one row per Lambda preset, in the order of
// the reference's table (docs/model.md, "Deployment
// configurations"), labelled with the SAM names.
func TestCompareDefaultPresets(t *testing.T) {
	want := []string{
		"Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
		"Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes",
		"AllAtOnce",
	}
	const runs = 3
	tab, err := Compare(context.Background(), cheapScenario(), nil, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(tab.Rows), len(want))
	}
	for i, row := range tab.Rows {
		if row.Label != want[i] {
			t.Errorf("row %d = %q, want %q", i, row.Label, want[i])
		}
		// The candidate is bad: runs of it and runs of its healthy twin.
		if row.Summary == nil || row.Summary.Runs() != 2*runs || row.Summary.BadRuns() != runs {
			t.Errorf("row %q: Summary %v, want %d runs of which %d bad", row.Label, row.Summary, 2*runs, runs)
		}
	}
}

// Rows come in the order given (not sorted), and each is exactly the
// MonteCarlo of the scenario with that strategy merged with the MonteCarlo
// of the same scenario without its fault and with no horizon (the healthy
// twin, built here by hand): every strategy sees the same seeds.
func TestCompareOrderAndRows(t *testing.T) {
	strats := []strategy.Strategy{
		strategy.LambdaLinear10PercentEvery1Minute,
		strategy.AllAtOnce{},
		strategy.Canary{Percent: 25, Interval: 3 * time.Minute},
	}
	sc := cheapScenario()
	sc.Horizon = 20 * time.Minute
	const runs = 8
	tab, err := Compare(context.Background(), sc, strats, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != len(strats) {
		t.Fatalf("%d rows, want %d", len(tab.Rows), len(strats))
	}
	for i, s := range strats {
		row := tab.Rows[i]
		if row.Label != s.Name() {
			t.Errorf("row %d = %q, want %q", i, row.Label, s.Name())
		}
		one := sc
		one.Strategy = s
		want, err := sim.MonteCarlo(context.Background(), one, runs, sim.MonteCarloOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		twin := one
		twin.Fault, twin.Horizon = sim.Fault{}, 0
		twin = twin.Twin() // the same runs, without the figures nobody reads
		healthy, err := sim.MonteCarlo(context.Background(), twin, runs, sim.MonteCarloOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		want.Merge(healthy)
		if !row.Summary.Equal(want) {
			t.Errorf("row %q differs from MonteCarlo of the scenario and of its healthy twin", row.Label)
		}
	}
	// AllAtOnce (row 1) exposes the candidate for the whole 20 minutes, the
	// canary 25 % for 3 minutes then 100 % for 17 (unless rolled back): the
	// rows really are different strategies.
	if a, c := tab.Rows[1].Summary.Stats(metrics.Exposure), tab.Rows[2].Summary.Stats(metrics.Exposure); a.Max != 1200 || c.Max > 0.25*180+1020 {
		t.Errorf("exposure max: AllAtOnce %v s (want 1200), canary %v s (want <= 1065)", a.Max, c.Max)
	}
}

func TestCompareErrors(t *testing.T) {
	sc := cheapScenario()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		sc     sim.Scenario
		strats []strategy.Strategy
		runs   int
		want   string
	}{
		{"zero runs", sc, nil, 0, "Compare runs = 0: must be > 0"},
		{"nil strategy", sc, []strategy.Strategy{strategy.AllAtOnce{}, nil}, 2, "strategies[1] = nil"},
		{"bad strategy", sc, []strategy.Strategy{strategy.Canary{Percent: 120, Interval: time.Minute}}, 2, "Canary.Percent = 120"},
		{"bad scenario", func() sim.Scenario { s := sc; s.Baseline.ErrorProb = -1; return s }(), nil, 2, "Scenario.Baseline.ErrorProb = -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Compare(ctx, tc.sc, tc.strats, tc.runs)
			if err == nil || len(tab.Rows) != 0 {
				t.Fatalf("got %d rows, %v; want an error", len(tab.Rows), err)
			}
			if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want one wrapping sim.ErrInvalid containing %q", err, tc.want)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Compare(cancelled, sc, nil, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
}

// The default scenario at a busy function's traffic (100 req/s) with a
// blatant bug (+5 %), end to end, against what CloudWatch's and CodeDeploy's
// cadences imply for a 10 % canary (docs/model.md). Minute [0, 60 s) is published at its end plus the 60 s
// ingestion delay, CloudWatch evaluates the alarm at 120 s and CodeDeploy's
// poll at 120 s (both every minute from the start) finds it in ALARM: the
// candidate's error rate of 1-(1-0.001)(1-0.05) = 5.095 % over about 600
// requests is below the 1 % threshold with probability ~1e-7. So every run
// detects at exactly 120 s and has the weight at 0 at 125 s (5 s action
// latency). The candidate served a Poisson number of requests with mean
// λ·0.1·125 s = 1,250 until then, each failing with probability q = 5.095 %
// (requests in flight at the flip, ~0.1 s of them, still complete on the
// candidate and add about 0.05 failures): mean failures 63.7, within 4
// standard errors sqrt(63.7/n).
func TestDefaultScenarioCanaryClosedForm(t *testing.T) {
	const rate, bug = 100.0, 0.05
	sc := DefaultScenario()
	sc.Workload = sim.Poisson{Rate: rate}
	sc.Fault = sim.Fault{ErrorProb: bug}
	runs := 200
	if testing.Short() {
		runs = 60
	}
	tab, err := Compare(context.Background(), sc, []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes}, runs)
	if err != nil {
		t.Fatal(err)
	}
	s := tab.Rows[0].Summary
	if d := s.Rate(metrics.DetectionRate); d.Successes != int64(runs) {
		t.Fatalf("detected %d of %d, want all", d.Successes, runs)
	}
	for _, c := range []struct {
		f    metrics.Figure
		want float64
	}{{metrics.TimeToDetect, 120}, {metrics.TimeToRollback, 125}} {
		if st := s.Stats(c.f); st.Min != c.want || st.Max != c.want {
			t.Errorf("%v in [%v, %v] s, want exactly %v", c.f, st.Min, st.Max, c.want)
		}
	}
	q := 1 - (1-DefaultBaselineErrorProb)*(1-bug)
	mu := rate * 0.1 * 125 * q
	st := s.Stats(metrics.CandidateFailures)
	if tol := 4 * math.Sqrt(mu/float64(runs)); math.Abs(st.Mean-mu) > tol+0.1 {
		t.Errorf("mean candidate failures %.2f, want %.2f ± %.2f", st.Mean, mu, tol+0.1)
	}
	if st := s.Stats(metrics.UsersHit); !(st.Mean > 0 && st.Max <= s.Stats(metrics.CandidateFailures).Max) {
		t.Errorf("users hit mean %v max %v: want > 0 and never more than the failures", st.Mean, st.Max)
	}
	// The healthy half: as many twin runs, each promoted when the schedule
	// ends, at 5 minutes, unless falsely rolled back. At 100 req/s a 10 %
	// canary sends ~600 requests a minute failing at 0.1 %; reaching the 1 %
	// threshold takes 6 or more failures where 0.6 are expected, probability
	// ~4e-5 a minute, so false rollbacks are rare but not impossible: the
	// duration is checked over the runs that completed.
	fr := s.Rate(metrics.FalseRollbackRate)
	if fr.Trials != int64(runs) {
		t.Errorf("false-rollback rate over %d healthy runs, want %d", fr.Trials, runs)
	}
	if d := s.Stats(metrics.DeployDuration); d.N+fr.Successes != int64(runs) || d.Min != 300 || d.Max != 300 {
		t.Errorf("duration over %d runs in [%v, %v] s (%d false rollbacks), want 300 s for every healthy run not rolled back", d.N, d.Min, d.Max, fr.Successes)
	}
}

// Estimate pairs a bad scenario with its twin; a healthy scenario is run
// alone. Its shards (FirstRun) merge exactly into the whole, and Progress
// counts every run, the twin's after the scenario's.
func TestEstimate(t *testing.T) {
	ctx := context.Background()
	sc := cheapScenario()
	sc.Strategy = strategy.LambdaCanary10Percent5Minutes
	const runs = 10
	whole, err := Estimate(ctx, sc, runs, EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Runs() != 2*runs || whole.BadRuns() != runs {
		t.Errorf("bad scenario: %d runs, %d bad; want %d and %d", whole.Runs(), whole.BadRuns(), 2*runs, runs)
	}
	var merged metrics.Summary
	for _, sh := range []struct{ from, n int }{{6, 4}, {0, 3}, {3, 3}} {
		part, err := Estimate(ctx, sc, sh.n, EstimateOptions{FirstRun: sh.from, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		merged.Merge(part)
	}
	if !merged.Equal(whole) {
		t.Errorf("shards [6,10), [0,3), [3,6) do not merge into the whole")
	}
	var calls []int
	if _, err := Estimate(ctx, sc, 3, EstimateOptions{Progress: func(done, total int) {
		if total != 6 {
			t.Errorf("Progress total = %d, want 6", total)
		}
		calls = append(calls, done)
	}}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 6 || calls[0] != 1 || calls[5] != 6 {
		t.Errorf("Progress calls %v, want 1..6", calls)
	}

	h := sc.Healthy()
	alone, err := Estimate(ctx, h, runs, EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := sim.MonteCarlo(ctx, h, runs, sim.MonteCarloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if alone.Runs() != runs || !alone.Equal(want) {
		t.Errorf("healthy scenario: %d runs, want exactly the MonteCarlo of %d", alone.Runs(), runs)
	}
	bad := sc
	bad.Seed = 0
	bad.Baseline.ErrorProb = 2
	if _, err := Estimate(ctx, bad, runs, EstimateOptions{}); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("invalid scenario: err = %v, want sim.ErrInvalid", err)
	}
	if _, err := Estimate(ctx, sc, runs, EstimateOptions{FirstRun: -1}); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("FirstRun -1: err = %v, want sim.ErrInvalid", err)
	}
}

// The healthy variant has no fault and ends with the deployment, so its runs
// measure the time to promote: the schedule's duration (5 minutes for
// Canary10Percent5Minutes) unless a false rollback stops it.
func TestHealthyScenario(t *testing.T) {
	sc := HealthyScenario()
	sc.Workload = sim.Poisson{Rate: 10}
	tab, err := Compare(context.Background(), sc, []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes}, 20)
	if err != nil {
		t.Fatal(err)
	}
	s := tab.Rows[0].Summary
	if s.BadRuns() != 0 {
		t.Errorf("%d bad runs, want 0", s.BadRuns())
	}
	if d := s.Stats(metrics.DeployDuration); d.N+s.Outcomes(metrics.FalseRollback) != 20 || (d.N > 0 && (d.Min != 300 || d.Max != 300)) {
		t.Errorf("deploy duration over %d runs in [%v, %v], want 300 s for every run not falsely rolled back", d.N, d.Min, d.Max)
	}
}
