package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// With Poisson arrivals at rate λ, per-request routing with weight w(t) and
// a candidate error probability p (no fault, no timeout, no rollback), the
// candidate's failures over [0, H) are a thinned Poisson process:
// Poisson with mean λ·p·∫_0^H w(t)dt. The mean over M independent runs has
// standard deviation sqrt(μ/M); the test allows 4 of them (a false failure
// about once in 16,000 runs of the test). Latencies are ~1 ms, so the
// failures still in flight at the horizon (about λ·1 ms·p ≈ 0.001 per run)
// are negligible against the tolerance.
func TestCandidateFailuresClosedForm(t *testing.T) {
	const (
		lambda = 20.0
		p      = 0.05
	)
	h := 15 * time.Minute
	runs := 200
	if testing.Short() {
		runs = 50
	}
	for _, tc := range []struct {
		strat strategy.Strategy
		sched steps // the schedule from the reference's description, not from strategy
	}{
		{strategy.AllAtOnce{}, allAtOnce()},
		{strategy.Canary{Percent: 10, Interval: 5 * time.Minute}, canary(10, 5*time.Minute)},
		{strategy.Linear{Percent: 10, Interval: time.Minute}, linear(10, time.Minute)},
	} {
		t.Run(tc.strat.Name(), func(t *testing.T) {
			area := integral(tc.sched, h)
			mu := lambda * p * area
			s := perRequestScenario()
			s.Workload = Poisson{Rate: lambda}
			s.Candidate.ErrorProb = p
			s.Baseline.P50, s.Baseline.P99 = time.Millisecond, 2*time.Millisecond
			s.Candidate.P50, s.Candidate.P99 = time.Millisecond, 2*time.Millisecond
			s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
			s.Strategy = tc.strat
			s.Horizon = h
			sum := 0.0
			for i := 0; i < runs; i++ {
				s.Seed = seed.Derive(7, uint64(i))
				r, err := Run(s)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(r.ExposureSeconds-area) > 1e-9*area {
					t.Fatalf("ExposureSeconds = %v, want ∫w = %v", r.ExposureSeconds, area)
				}
				sum += float64(r.CandidateFailures())
			}
			mean := float64(sum) / float64(runs)
			tol := 4 * math.Sqrt(mu/float64(runs))
			if math.Abs(mean-mu) > tol {
				t.Errorf("mean candidate failures = %.2f over %d runs, want λ·p·∫w = %.2f ± %.2f", mean, runs, mu, tol)
			}
		})
	}
}

// Per-period candidate invocation counts at a fixed weight w are Poisson
// with mean λ·w·R. The index of dispersion D = Σ(x-x̄)²/x̄ of n Poisson
// counts is approximately χ²(n-1); the test rejects at a two-sided 0.1%
// level, and also checks the mean within 4 standard errors.
func TestPeriodCountsPoisson(t *testing.T) {
	const (
		lambda = 5.0
		w      = 0.3
	)
	period := time.Minute
	n := 300
	if testing.Short() {
		n = 120
	}
	s := perRequestScenario()
	s.Workload = Poisson{Rate: lambda}
	s.Strategy = steps{{At: 0, Weight: w}, {At: 1000 * time.Hour, Weight: 1}}
	s.Horizon = time.Duration(n+1) * period
	s.KeepSeries = true
	mu := lambda * w * period.Seconds()
	for _, sd := range []uint64{1, 2, 3} {
		s.Seed = sd
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		// The last period is cut by the horizon (requests in flight); drop it.
		periods := r.Series.Periods[:n]
		x := make([]float64, n)
		mean := 0.0
		for i := range periods {
			x[i] = periods[i].Dims[metrics.Candidate].Invocations
			mean += x[i]
		}
		mean /= float64(n)
		if tol := 4 * math.Sqrt(mu/float64(n)); math.Abs(mean-mu) > tol {
			t.Errorf("seed %d: mean per-period candidate invocations = %.2f, want λwR = %.1f ± %.2f", sd, mean, mu, tol)
		}
		d := 0.0
		for _, v := range x {
			d += (v - mean) * (v - mean)
		}
		d /= mean
		cdf := distuv.ChiSquared{K: float64(n - 1)}.CDF(d)
		if cdf < 0.0005 || cdf > 0.9995 {
			t.Errorf("seed %d: dispersion index %.1f over %d periods has χ²(%d) CDF %.5f: not Poisson", sd, d, n, n-1, cdf)
		}
	}
}

// richScenario uses every feature at once, for the determinism test.
func richScenario(sd uint64) Scenario {
	s := perRequestScenario()
	s.Workload = Diurnal{Mean: 30, Amplitude: 0.5, PeakHour: 12, StartHour: 11}
	s.Baseline.ErrorProb = 0.002
	s.Candidate.ErrorProb = 0.003
	s.Candidate.Timeout = 400 * time.Millisecond
	s.Kinds = []Kind{{"read", 8}, {"write", 2}}
	s.Fault = Fault{ErrorProb: 0.1, LatencyFactor: 1.5, OnsetAt: time.Minute, OnsetAfter: 20, Kinds: []string{"write"}}
	s.Users = Users{N: 500, Exponent: 1}
	s.Strategy = strategy.Linear{Percent: 10, Interval: time.Minute}
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 4}
	s.KeepSeries = true
	s.Seed = sd
	s.Resolution = PerRequest
	return s
}

func TestDeterminism(t *testing.T) {
	a, err := Run(richScenario(11))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(richScenario(11))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different runs:\n%+v\n%+v", a, b)
	}
	c, err := Run(richScenario(12))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 11 and 12 gave identical runs")
	}
	if a.Candidate == c.Candidate && a.Baseline == c.Baseline {
		t.Fatalf("seeds 11 and 12 gave identical counts %+v", a.Candidate)
	}
}

// The policy hook: a policy that rolls back as soon as period k is visible
// must see it exactly at the first evaluation at or after (k+1)·R + delay
// (publication before evaluation at the same instant), never before, and
// the weight must reach 0 ActionLatency later.
func TestPolicyHook(t *testing.T) {
	const k = 2
	for _, tc := range []struct {
		delay, action, want time.Duration
	}{
		{0, 0, 3 * time.Minute}, // period 2 ends at 3m: visible at 3m, evaluated at 3m
		{time.Minute, 5 * time.Second, 4 * time.Minute},
		{90 * time.Second, 5 * time.Second, 5 * time.Minute}, // visible at 4m30s, next evaluation 5m
		{59 * time.Second, 30 * time.Second, 4 * time.Minute},
	} {
		var log []observed
		s := perRequestScenario()
		s.Workload = Poisson{Rate: 10}
		// The deployment must still run when the policy fires: the policy is
		// consulted only until the last step.
		s.Strategy = steps{{At: 0, Weight: 0.5}, {At: 10 * time.Hour, Weight: 1}}
		s.Horizon = time.Hour
		s.IngestionDelay, s.ActionLatency = tc.delay, tc.action
		s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: k, log: &log}
		s.KeepSeries = true
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Detected != tc.want {
			t.Errorf("delay %v: Detected = %v, want %v", tc.delay, r.Detected, tc.want)
		}
		if r.WeightZero != tc.want+tc.action {
			t.Errorf("delay %v: WeightZero = %v, want Detected + %v = %v", tc.delay, r.WeightZero, tc.action, tc.want+tc.action)
		}
		if r.Outcome != metrics.FalseRollback || r.Reason != "test trigger" || r.Alarm != "visible" {
			t.Errorf("delay %v: Outcome %v, Reason %q, Alarm %q; want false-rollback by the test policy", tc.delay, r.Outcome, r.Reason, r.Alarm)
		}
		if r.Drained < r.WeightZero || r.End != r.Drained && r.End < r.Drained {
			t.Errorf("delay %v: Drained %v, End %v, WeightZero %v", tc.delay, r.Drained, r.End, r.WeightZero)
		}
		for _, o := range log {
			if o.Res != time.Minute {
				t.Fatalf("series resolution %v, want 1m", o.Res)
			}
			// Visible periods: exactly those whose end + delay <= Now.
			want := int((o.Now - tc.delay) / time.Minute)
			if o.Now < tc.delay {
				want = 0
			}
			if o.Visible != want {
				t.Errorf("delay %v: at %v the policy saw %d periods, want %d", tc.delay, o.Now, o.Visible, want)
			}
		}
		// No candidate request starts after the weight is back at 0.
		first := int(r.WeightZero/time.Minute) + 1
		for i := first; i < len(r.Series.Periods); i++ {
			if n := r.Series.Periods[i].Dims[metrics.Candidate].Invocations; n > 0 {
				t.Errorf("delay %v: %v candidate invocations in period %d, after WeightZero %v", tc.delay, n, i, r.WeightZero)
			}
		}
	}
}

// A bad candidate rolled back is a true positive; its fault onset and first
// failure are recorded; a rollback decided at a step's instant cancels the
// step (evaluations come before weight changes at the same instant).
func TestRollbackOfBadCandidate(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 50}
	s.Strategy = strategy.Linear{Percent: 10, Interval: time.Minute}
	s.Fault = Fault{ErrorProb: 0.5, OnsetAt: 30 * time.Second}
	s.IngestionDelay = 0
	// Period 0 is visible at 1m, evaluated at 1m, the instant of the 20% step.
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 0}
	s.KeepSeries = true
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || !r.Bad {
		t.Fatalf("Outcome %v (Bad %v), want rolled-back", r.Outcome, r.Bad)
	}
	if r.FaultOnset != 30*time.Second {
		t.Errorf("FaultOnset = %v, want 30s", r.FaultOnset)
	}
	if r.FirstFailure < r.FaultOnset || r.FirstFailure > r.Detected {
		t.Errorf("FirstFailure = %v, want in [FaultOnset %v, Detected %v]", r.FirstFailure, r.FaultOnset, r.Detected)
	}
	if r.Detected != time.Minute {
		t.Errorf("Detected = %v, want 1m", r.Detected)
	}
	// The 20% step at 1m was cancelled: the weight stayed 10% until 1m5s.
	if want := 0.1 * 65; math.Abs(r.ExposureSeconds-want) > 1e-9 {
		t.Errorf("ExposureSeconds = %v, want 0.1·65s = %v (the step at the detection instant must not apply)", r.ExposureSeconds, want)
	}
	if r.Promoted != metrics.Never {
		t.Errorf("Promoted = %v, want Never", r.Promoted)
	}
}

// A healthy candidate through a schedule with no policy completes at the
// last step and, with Horizon 0, the run ends once the requests in flight
// have finished.
func TestCompletesAtLastStep(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 20}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.Promoted != 5*time.Minute {
		t.Fatalf("Outcome %v, Promoted %v; want completed at 5m", r.Outcome, r.Promoted)
	}
	if r.End < r.Promoted || r.End > r.Promoted+s.Baseline.Timeout {
		t.Errorf("End = %v, want within the drain after 5m (timeout %v)", r.End, s.Baseline.Timeout)
	}
	if r.Candidate.InFlight != 0 || r.Baseline.InFlight != 0 {
		t.Errorf("in flight after drain: %d, %d", r.Candidate.InFlight, r.Baseline.InFlight)
	}
	s.Fault = Fault{ErrorProb: 0.01}
	if r, _ := Run(s); r.Outcome != metrics.Missed {
		t.Errorf("bad candidate with no policy: Outcome %v, want missed", r.Outcome)
	}
	s.Horizon = 2 * time.Minute
	if r, _ := Run(s); r.Outcome != metrics.Unfinished || r.End != 2*time.Minute {
		t.Errorf("horizon before the last step: Outcome %v, End %v; want unfinished at 2m", r.Outcome, r.End)
	}
}

// Onset after N candidate requests: the first N candidate requests are
// healthy, so with a fault that fails every request and a candidate that
// never fails on its own, exactly the requests after the N-th fail.
func TestOnsetAfterRequests(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 20}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = time.Minute
	s.Fault = Fault{ErrorProb: 1, OnsetAfter: 100}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	served := r.Candidate.Successes + r.Candidate.Errors + r.Candidate.Timeouts
	if r.Candidate.Successes != 100 || r.Candidate.Failures() != served-100 {
		t.Fatalf("successes %d, failures %d of %d; want 100 healthy then all failing", r.Candidate.Successes, r.Candidate.Failures(), served)
	}
	if r.FaultOnset == metrics.Never || r.FirstFailure < r.FaultOnset {
		t.Errorf("FaultOnset %v, FirstFailure %v", r.FaultOnset, r.FirstFailure)
	}
	// Expected failures above the baseline's 0: every faulty request is an excess failure.
	if want := float64(r.Candidate.Requests - 100); math.Abs(r.ExcessFailures-want) > 1e-6*want {
		t.Errorf("ExcessFailures = %v, want %v", r.ExcessFailures, want)
	}
}

// A faster candidate (LatencyFactor < 1) is a change, not a fault: the
// latency shrinks and the run is not Bad.
func TestSpeedupIsNotBad(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 100}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = time.Minute
	s.Fault = Fault{LatencyFactor: 0.5}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bad || r.Outcome != metrics.Completed {
		t.Errorf("Bad %v, Outcome %v; want a healthy completed run", r.Bad, r.Outcome)
	}
	// Median 100 ms halved: 50 ms, within the sketch's 1% and sampling error
	// (n ≈ 6,000: standard error of the median about 1.1 ms before halving).
	if got := r.CandidateLatency.Quantile(0.5); math.Abs(got-50) > 3 {
		t.Errorf("candidate median %.1f ms, want 50", got)
	}
}

// A fault limited to one kind fails only that kind's share of the traffic:
// with kinds a:b = 1:3 and a fault failing every "a" request, the candidate
// failure fraction is 1/4 (binomial, 4 standard errors).
func TestFaultOnlyForSomeKinds(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 100}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = 5 * time.Minute
	s.Kinds = []Kind{{"a", 1}, {"b", 3}}
	s.Fault = Fault{ErrorProb: 1, Kinds: []string{"a"}}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	n := float64(r.Candidate.Successes + r.Candidate.Failures())
	frac := float64(r.Candidate.Failures()) / n
	if tol := 4 * math.Sqrt(0.25*0.75/n); math.Abs(frac-0.25) > tol {
		t.Errorf("failure fraction %.4f over %v requests, want 0.25 ± %.4f", frac, n, tol)
	}
}

// A latency regression with a timeout: the candidate's latency is lognormal
// (median 100 ms, p99 500 ms) times 4, so P(timeout at 1 s) = 1 - Φ((ln 250 - ln 100)/σ)
// with σ = (ln 5)/z99; timeouts over n requests are binomial (4 standard errors).
func TestLatencyRegressionTimeouts(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 200}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = 5 * time.Minute
	s.Candidate.Timeout = time.Second
	s.Fault = Fault{LatencyFactor: 4}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	sigma := math.Log(5) / 2.3263478740408408
	pt := 1 - distuv.UnitNormal.CDF(math.Log(2.5)/sigma)
	n := float64(r.Candidate.Successes + r.Candidate.Failures())
	got := float64(r.Candidate.Timeouts) / n
	if tol := 4 * math.Sqrt(pt*(1-pt)/n); math.Abs(got-pt) > tol {
		t.Errorf("timeout fraction %.4f, want %.4f ± %.4f", got, pt, tol)
	}
	// ExcessFailures is the expected count above the baseline's failure
	// probability, here its timeout probability at its 3 s default:
	// 1 - Φ(ln 30/σ).
	pb := 1 - distuv.UnitNormal.CDF(math.Log(30)/sigma)
	if want := float64(r.Candidate.Requests) * (pt - pb); math.Abs(r.ExcessFailures-want) > 1e-6*want {
		t.Errorf("ExcessFailures = %v, want %v", r.ExcessFailures, want)
	}
	// Timed-out requests are recorded with the timeout as their duration.
	if m := r.CandidateLatency.Max(); math.Abs(m-1000) > 1e-6 {
		t.Errorf("max candidate latency %v ms, want the 1000 ms timeout", m)
	}
}

func TestSeriesPeriod(t *testing.T) {
	for _, tc := range []struct {
		period, res, want time.Duration
		ok                bool
	}{
		{time.Minute, 0, time.Minute, true},
		{time.Minute, 2 * time.Minute, time.Minute, true},
		{time.Minute, 30 * time.Second, 30 * time.Second, true},
		{time.Minute, 90 * time.Second, 30 * time.Second, true},
		{2 * time.Minute, 3 * time.Minute, time.Minute, true},
		{time.Minute, 20 * time.Second, 20 * time.Second, true},
		{time.Minute, 50 * time.Second, 10 * time.Second, true},
		{5 * time.Minute, 10 * time.Second, 10 * time.Second, true},
		{time.Minute, 15 * time.Second, 0, false},
	} {
		got, ok := seriesPeriod(tc.period, tc.res)
		if got != tc.want || ok != tc.ok {
			t.Errorf("seriesPeriod(%v, %v) = %v, %v; want %v, %v", tc.period, tc.res, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBadScenarios(t *testing.T) {
	base := func() Scenario {
		s := perRequestScenario()
		s.Workload = Poisson{Rate: 1}
		s.Strategy = strategy.AllAtOnce{}
		return s
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("the base scenario is invalid: %v", err)
	}
	var nilPtr *Trace
	for _, tc := range []struct {
		name   string
		mutate func(*Scenario)
		want   string // a substring naming the field
	}{
		{"negative rate", func(s *Scenario) { s.Workload = Poisson{Rate: -1} }, "Poisson.Rate = -1"},
		{"NaN rate", func(s *Scenario) { s.Workload = Poisson{Rate: math.NaN()} }, "Poisson.Rate = NaN"},
		{"nil workload", func(s *Scenario) { s.Workload = nil }, "Scenario.Workload = nil"},
		{"typed nil workload", func(s *Scenario) { s.Workload = nilPtr }, "Scenario.Workload = nil"},
		{"p above 1", func(s *Scenario) { s.Candidate.ErrorProb = 1.5 }, "Candidate.ErrorProb = 1.5"},
		{"p below 0", func(s *Scenario) { s.Baseline.ErrorProb = -0.1 }, "Baseline.ErrorProb = -0.1"},
		{"fault p", func(s *Scenario) { s.Fault.ErrorProb = 2 }, "Fault.ErrorProb = 2"},
		{"zero period", func(s *Scenario) { s.Period = 0 }, "Scenario.Period = 0s"},
		{"45 s period", func(s *Scenario) { s.Period = 45 * time.Second }, "Scenario.Period = 45s"},
		{"negative horizon", func(s *Scenario) { s.Horizon = -time.Second }, "Scenario.Horizon = -1s"},
		{"nil strategy", func(s *Scenario) { s.Strategy = nil }, "Scenario.Strategy = nil"},
		{"bad strategy", func(s *Scenario) { s.Strategy = strategy.Canary{Percent: 120, Interval: time.Minute} }, "Canary.Percent"},
		{"empty schedule", func(s *Scenario) { s.Strategy = steps{} }, "no step"},
		{"p99 below p50", func(s *Scenario) { s.Candidate.P99 = s.Candidate.P50 / 2 }, "Candidate.P99"},
		{"zero p50", func(s *Scenario) { s.Baseline.P50 = 0 }, "Baseline.P50"},
		{"negative timeout", func(s *Scenario) { s.Candidate.Timeout = -1 }, "Candidate.Timeout"},
		{"nil sampler", func(s *Scenario) {
			s.Baseline.Latency = func(rand.Source) Sampler { return nil }
		}, "Baseline.Latency returned a nil sampler"},
		{"negative delay", func(s *Scenario) { s.IngestionDelay = -1 }, "IngestionDelay"},
		{"negative action latency", func(s *Scenario) { s.ActionLatency = -1 }, "ActionLatency"},
		{"negative bake", func(s *Scenario) { s.Bake = -time.Second }, "Scenario.Bake = -1s"},
		{"unknown fault kind", func(s *Scenario) { s.Fault.Kinds = []string{"x"} }, `Fault.Kinds[0] = "x"`},
		{"zero kind weight", func(s *Scenario) { s.Kinds = []Kind{{"a", 0}} }, "Kinds[0].Weight"},
		{"duplicate kind", func(s *Scenario) { s.Kinds = []Kind{{"a", 1}, {"a", 1}} }, `Kinds[1].Name = "a"`},
		{"negative users", func(s *Scenario) { s.Users.N = -3 }, "Users.N = -3"},
		{"too many users", func(s *Scenario) { s.Users.N = MaxUsers + 1 }, "Users.N = 100000001"},
		{"negative factor", func(s *Scenario) { s.Fault.LatencyFactor = -2 }, "LatencyFactor = -2"},
		{"negative onset", func(s *Scenario) { s.Fault.OnsetAfter = -1 }, "OnsetAfter = -1"},
		{"unknown resolution", func(s *Scenario) { s.Resolution = Resolution(9) }, "Resolution = 9"},
		{"policy period", func(s *Scenario) {
			s.Policy = visiblePolicy{Every: time.Minute, Res: 15 * time.Second}
		}, "Resolution() = 15s"},
		{"bad diurnal", func(s *Scenario) { s.Workload = Diurnal{Mean: 1, Amplitude: 2} }, "Diurnal.Amplitude = 2"},
		{"bad bursty", func(s *Scenario) { s.Workload = Bursty{Rate: 1, BurstRate: 2} }, "Bursty.MeanNormal"},
		{"empty trace", func(s *Scenario) { s.Workload = Trace{} }, "Trace.Counts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(&s)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sim: ") {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if _, rerr := Run(s); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Run error %v, want the Validate error", rerr)
			}
		})
	}
}

// The steady state of the engine allocates nothing per event. A 1-hour
// period keeps the test inside one period: a new period allocates its
// sketches once, which is per period, not per event.
func TestNoAllocsPerEvent(t *testing.T) {
	s := benchScenario()
	s.Period = time.Hour
	s.Policy = visiblePolicy{Every: 10 * time.Second, Res: time.Hour, Trigger: 1 << 30}
	s.Users = Users{N: 1000, Exponent: 1}
	s.Kinds = []Kind{{"a", 1}, {"b", 1}}
	s.Fault = Fault{ErrorProb: 0.01, Kinds: []string{"b"}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var e engine
	e.setup(&s)
	for i := 0; i < 200000; i++ {
		e.step()
	}
	allocs := testing.AllocsPerRun(200000, func() {
		if e.step() {
			t.Fatal("run ended")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per event", allocs)
	}
}

// A Runner reused across scenarios gives exactly what fresh runs give.
func TestRunnerReuse(t *testing.T) {
	var rn Runner
	scenarios := []Scenario{richScenario(1), benchScenario(), richScenario(2)}
	scenarios[1].Horizon = 2 * time.Minute
	scenarios[1].KeepSeries = true
	for round := 0; round < 2; round++ {
		for i, s := range scenarios {
			want, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rn.Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, scenario %d: reused Runner differs from a fresh run", round, i)
			}
		}
	}
}

// Datapoints are stamped with the invocation's start and sent when it ends
// (reference: "Lambda's built-in metrics"). With no ingestion delay and
// every request taking exactly 30 s, period 0 becomes visible at 60 s
// holding only the requests that started before 30 s (each of the n
// arrivals of period 0 independently with probability 1/2: binomial, 4
// standard errors); the rest arrive late and are in period 0 by the next
// evaluation.
func TestLateDataStampedAtStart(t *testing.T) {
	var log []observed
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 10}
	s.Strategy = steps{{At: 0, Weight: 1}, {At: 10 * time.Hour, Weight: 1}}
	s.Candidate.P50, s.Candidate.P99, s.Candidate.Timeout = 30*time.Second, 30*time.Second, 0
	s.IngestionDelay = 0
	s.Horizon = 3 * time.Minute
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 1 << 30, log: &log}
	s.KeepSeries = true
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) < 2 || log[0].Now != time.Minute || log[1].Now != 2*time.Minute {
		t.Fatalf("evaluations %+v, want at 1m and 2m", log)
	}
	n := r.Series.Periods[0].Dims[metrics.Candidate].Invocations
	if log[1].First != n {
		t.Errorf("period 0 at 2m holds %v invocations, want all %v", log[1].First, n)
	}
	if tol := 4 * math.Sqrt(n/4); math.Abs(log[0].First-n/2) > tol {
		t.Errorf("period 0 at 1m holds %v of %v invocations, want about half (± %.1f)", log[0].First, n, tol)
	}
}

// A period with no invocations publishes no datapoint: missing, not zero.
func TestEmptyPeriodIsMissing(t *testing.T) {
	s := perRequestScenario()
	counts := make([]float64, 180)
	for i := range counts {
		if i < 60 || i >= 120 {
			counts[i] = 5 // seconds 60-119 have no traffic
		}
	}
	s.Workload = Trace{Counts: counts}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = 3 * time.Minute
	s.KeepSeries = true
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	for i, wantOK := range []bool{true, false, true} {
		v := &r.Series.Periods[i].Dims[metrics.Candidate]
		_, ok := v.Value(metrics.Errors, metrics.Statistic{Kind: metrics.Sum})
		if ok != wantOK {
			t.Errorf("period %d: Errors datapoint present = %v, want %v", i, ok, wantOK)
		}
	}
}

// Bake keeps the policy watching after the last step: an all-at-once
// deployment of a bad candidate is rolled back during the bake, at the
// first evaluation that sees period 0 (visible at 1m + 1m delay), and the
// bake's end is the end of a healthy deployment when there is no horizon.
func TestBake(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 20}
	s.Strategy = strategy.AllAtOnce{}
	s.Fault = Fault{ErrorProb: 0.5}
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 0}
	if r, _ := Run(s); r.Outcome != metrics.Missed || r.Detected != metrics.Never {
		t.Fatalf("without bake: Outcome %v, Detected %v; want missed, never detected", r.Outcome, r.Detected)
	}
	s.Bake = 10 * time.Minute
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || r.Detected != 2*time.Minute || r.Promoted != 0 {
		t.Fatalf("with bake: Outcome %v, Detected %v, Promoted %v; want rolled-back at 2m, promoted at 0", r.Outcome, r.Detected, r.Promoted)
	}
	s.Fault = Fault{}
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 1 << 30}
	r, err = Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.End < s.Bake || r.End > s.Bake+s.Candidate.Timeout {
		t.Fatalf("healthy with bake: Outcome %v, End %v; want completed, ending after the 10m bake", r.Outcome, r.End)
	}
	if math.Abs(r.ExposureSeconds-600) > 1e-9 {
		t.Errorf("ExposureSeconds = %v, want 600 (weight 1 during the bake)", r.ExposureSeconds)
	}
}

// nilMonitorPolicy is a broken policy whose Start returns no monitor;
// stuckPolicy's monitor asks to be evaluated at 1m over and over.
type nilMonitorPolicy struct{ visiblePolicy }
type stuckPolicy struct{ visiblePolicy }
type stuckMonitor struct{}

func (nilMonitorPolicy) Start() rollback.Monitor { return nil }
func (stuckPolicy) Start() rollback.Monitor      { return stuckMonitor{} }
func (stuckMonitor) Next(time.Duration) time.Duration {
	return time.Minute
}
func (stuckMonitor) Evaluate(rollback.Observation) rollback.Decision { return rollback.Decision{} }

// A policy that misbehaves during the run is an error of Run, not a panic:
// a nil monitor, or a monitor whose Next does not move forward.
func TestMisbehavingPolicy(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 5}
	s.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	s.Policy = nilMonitorPolicy{visiblePolicy{Every: time.Minute, Res: time.Minute}}
	if _, err := Run(s); err == nil || !strings.Contains(err.Error(), "nil Monitor") {
		t.Errorf("nil monitor: error %v", err)
	}
	s.Policy = stuckPolicy{visiblePolicy{Every: time.Minute, Res: time.Minute}}
	if _, err := Run(s); err == nil || !strings.Contains(err.Error(), "must be after") {
		t.Errorf("stuck monitor: error %v", err)
	}
}
