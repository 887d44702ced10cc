package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Reference constants from standard tables, not from the code under test.
const (
	z975     = 1.959963984540054 // standard normal 0.975 quantile
	t975df4  = 2.776445105197799 // Student t, 4 degrees of freedom, 0.975 quantile
	t975df2  = 4.302652729911275 // Student t, 2 degrees of freedom
	relClose = 1e-12
)

func close(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(1, math.Abs(b)) }

// badRun is a run with a fault at 0 that failed `failures` requests and was
// detected at detect (rolled back 5 s later) or, if detect is Never, missed
// and promoted at 10 min.
func badRun(failures int64, detect time.Duration) *Run {
	r := &Run{Bad: true, Candidate: VersionCounts{Requests: 100, Errors: failures}, FaultOnset: 0,
		FirstFailure: 0, Detected: Never, WeightZero: Never, Drained: Never, Promoted: Never, End: time.Hour}
	if detect == Never {
		r.Outcome, r.Promoted = Missed, 10*time.Minute
	} else {
		r.Outcome, r.Detected, r.WeightZero = RolledBack, detect, detect+5*time.Second
	}
	return r
}

func healthyRun(rolledBack bool) *Run {
	r := &Run{Candidate: VersionCounts{Requests: 100}, FaultOnset: Never, FirstFailure: Never, Detected: Never,
		WeightZero: Never, Drained: Never, Promoted: Never, End: time.Hour}
	if rolledBack {
		r.Outcome, r.Detected, r.WeightZero = FalseRollback, 2*time.Minute, 2*time.Minute+5*time.Second
	} else {
		r.Outcome, r.Promoted = Completed, 9*time.Minute
	}
	return r
}

// TestSummaryHandComputed: five bad runs with 1, 2, 3, 4, 10 candidate
// failures; three detected at 60, 120, 180 s, two missed.
func TestSummaryHandComputed(t *testing.T) {
	var s Summary
	s.Add(badRun(1, time.Minute))
	s.Add(badRun(2, 2*time.Minute))
	s.Add(badRun(3, 3*time.Minute))
	s.Add(badRun(4, Never))
	s.Add(badRun(10, Never))

	cf := s.Stats(CandidateFailures)
	// mean 4; sample variance (9+4+1+0+36)/4 = 12.5.
	sd := math.Sqrt(12.5)
	half := t975df4 * sd / math.Sqrt(5)
	if cf.N != 5 || cf.Mean != 4 || !close(cf.StdDev, sd, relClose) || cf.Min != 1 || cf.Max != 10 ||
		!close(cf.CILow, 4-half, 1e-9) || !close(cf.CIHigh, 4+half, 1e-9) {
		t.Errorf("candidate failures: %+v; want mean 4 sd %g CI [%g, %g]", cf, sd, 4-half, 4+half)
	}
	// nearest ranks over 5: p50 -> rank 3 (3); p95, p99 -> rank 5 (10).
	for _, c := range []struct{ got, want float64 }{{cf.P50, 3}, {cf.P95, 10}, {cf.P99, 10}} {
		if math.Abs(c.got-c.want) > SketchAccuracy*c.want {
			t.Errorf("quantile %g, want %g within 1%%", c.got, c.want)
		}
	}

	// Time to detect: 60, 120, 180 s over the 3 detected runs: mean 120, sd 60.
	ttd := s.Stats(TimeToDetect)
	h := t975df2 * 60 / math.Sqrt(3)
	if ttd.N != 3 || ttd.Mean != 120 || !close(ttd.StdDev, 60, relClose) || !close(ttd.CILow, 120-h, 1e-9) || !close(ttd.CIHigh, 120+h, 1e-9) {
		t.Errorf("time to detect: %+v", ttd)
	}
	if ttr := s.Stats(TimeToRollback); ttr.N != 3 || ttr.Mean != 125 || ttr.Min != 65 || ttr.Max != 185 {
		t.Errorf("time to rollback: %+v", ttr)
	}
	// Only the two missed runs were promoted, both at 600 s: sd 0, CI [600, 600].
	if d := s.Stats(DeployDuration); d.N != 2 || d.Mean != 600 || d.StdDev != 0 || d.CILow != 600 || d.CIHigh != 600 {
		t.Errorf("duration: %+v", d)
	}
	if s.Outcomes(RolledBack) != 3 || s.Outcomes(Missed) != 2 || s.Outcomes(Completed) != 0 || s.Runs() != 5 || s.BadRuns() != 5 {
		t.Errorf("outcomes: %v", s.outcomes)
	}

	// Detection 3/5: Wilson 95% interval [0.2307, 0.8824] (standard tables);
	// its ends solve (p̂-p)² = z²p(1-p)/n.
	d := s.Rate(DetectionRate)
	if d.Successes != 3 || d.Trials != 5 || d.Value != 0.6 || math.Abs(d.CILow-0.2307) > 5e-5 || math.Abs(d.CIHigh-0.8824) > 5e-5 {
		t.Errorf("detection rate: %+v", d)
	}
	for _, p := range []float64{d.CILow, d.CIHigh} {
		if lhs, rhs := (0.6-p)*(0.6-p), z975*z975*p*(1-p)/5; !close(lhs, rhs, 1e-9) {
			t.Errorf("Wilson end %g: (p̂-p)² = %g, z²p(1-p)/n = %g", p, lhs, rhs)
		}
	}
	if m := s.Rate(MissRate); m.Value != 0.4 || !close(m.CILow, 1-d.CIHigh, 1e-12) {
		t.Errorf("miss rate: %+v (detection %+v)", m, d)
	}
	// No healthy run: the false-rollback rate is unknown, not 0.
	if f := s.Rate(FalseRollbackRate); f.Trials != 0 || !math.IsNaN(f.Value) || !math.IsNaN(f.CILow) {
		t.Errorf("false rollback with no healthy run: %+v", f)
	}
	if v := s.Value(TimeToDetect); v != 120 {
		t.Errorf("Value(TimeToDetect) = %g", v)
	}
	if v := s.Value(DetectionRate); v != 0.6 {
		t.Errorf("Value(DetectionRate) = %g", v)
	}

	// With no healthy run, the duration falls back to the bad runs.
	if p := s.Population(DeployDuration); p != BadCandidate {
		t.Errorf("Population(DeployDuration) with bad runs only = %v", p)
	}

	// Healthy runs: one rolled back of two, and they never count in time to
	// detect. The blast-radius figures stay over the five bad runs (the
	// healthy ones' 0 failures would pull the mean to 20/7), and the
	// duration is now the healthy runs': the one promoted, at 9 min.
	s.Add(healthyRun(true))
	s.Add(healthyRun(false))
	if f := s.Rate(FalseRollbackRate); f.Successes != 1 || f.Trials != 2 || f.Value != 0.5 {
		t.Errorf("false rollback: %+v", f)
	}
	if s.Stats(TimeToDetect).N != 3 || s.Stats(TimeToRollback).N != 3 {
		t.Errorf("healthy runs leaked into bad-run figures: %+v", s.Stats(TimeToDetect))
	}
	if cf := s.Stats(CandidateFailures); cf.N != 5 || cf.Mean != 4 || s.Value(CandidateFailures) != 4 {
		t.Errorf("candidate failures with healthy runs added: %+v", cf)
	}
	if d := s.Stats(DeployDuration); d.N != 1 || d.Mean != 540 || s.Value(DeployDuration) != 540 || math.Abs(s.Quantile(DeployDuration, 0.5)-540) > 5.4 {
		t.Errorf("duration over healthy runs: %+v", d)
	}
	if d := s.StatsOver(DeployDuration, BadCandidate, DefaultConfidence); d.N != 2 || d.Mean != 600 {
		t.Errorf("duration over bad runs: %+v", d)
	}
	if h := s.StatsOver(CandidateFailures, HealthyCandidate, DefaultConfidence); h.N != 2 || h.Mean != 0 {
		t.Errorf("healthy candidate failures: %+v", h)
	}
	if d := s.StatsOver(TimeToDetect, HealthyCandidate, DefaultConfidence); d.N != 0 {
		t.Errorf("time to detect over healthy runs: %+v", d)
	}
	if st := s.StatsOver(CandidateFailures, Population(7), DefaultConfidence); st.N != 0 || !math.IsNaN(st.Mean) {
		t.Errorf("unknown population: %+v", st)
	}
}

// Each figure is about one kind of run; a Summary without that kind reads
// it over the other (a healthy-only sweep still shows its failures).
func TestFigurePopulation(t *testing.T) {
	for _, f := range RunFigures {
		want := BadCandidate
		if f == DeployDuration {
			want = HealthyCandidate
		}
		if got := f.Population(); got != want {
			t.Errorf("%v.Population() = %v, want %v", f, got, want)
		}
	}
	if DetectionRate.Population() != BadCandidate || MissRate.Population() != BadCandidate || FalseRollbackRate.Population() != HealthyCandidate {
		t.Errorf("rates' populations")
	}
	if BadCandidate.String() != "bad" || HealthyCandidate.String() != "healthy" || Population(5).String() != "Population(5)" {
		t.Errorf("population names")
	}
	var s Summary
	// Empty: each figure keeps its own population.
	if s.Population(CandidateFailures) != BadCandidate || s.Population(DeployDuration) != HealthyCandidate {
		t.Errorf("empty Summary populations")
	}
	h := healthyRun(false)
	h.Candidate.Errors = 2
	s.Add(h)
	if p := s.Population(CandidateFailures); p != HealthyCandidate {
		t.Errorf("healthy only: Population(CandidateFailures) = %v", p)
	}
	if cf := s.Stats(CandidateFailures); cf.N != 1 || cf.Mean != 2 {
		t.Errorf("healthy only: candidate failures %+v", cf)
	}
	s.Add(badRun(7, time.Minute))
	if cf := s.Stats(CandidateFailures); cf.N != 1 || cf.Mean != 7 {
		t.Errorf("after a bad run: candidate failures %+v, want the bad run's 7", cf)
	}
	if d := s.Stats(DeployDuration); d.N != 1 || d.Mean != 540 {
		t.Errorf("after a bad run: duration %+v, want the healthy run's 540 s", d)
	}
}

func TestSummaryFloatFiguresAndEdgeCases(t *testing.T) {
	var s Summary
	if st := s.Stats(CandidateFailures); st.N != 0 || !math.IsNaN(st.Mean) || !math.IsNaN(st.P50) {
		t.Errorf("empty: %+v", st)
	}
	if !math.IsNaN(s.Quantile(UsersHit, 0.5)) || !math.IsNaN(s.Value(UsersHit)) {
		t.Errorf("empty quantile/value not NaN")
	}
	r := healthyRun(false)
	r.ExcessFailures, r.ExposureSeconds, r.UsersHit = 0.5, 12.25, 3
	s.Add(r)
	one := s.Stats(ExcessFailures)
	if one.N != 1 || one.Mean != 0.5 || !math.IsNaN(one.StdDev) || !math.IsNaN(one.CILow) || one.P50 != 0.5 {
		t.Errorf("one run: %+v", one)
	}
	r2 := healthyRun(false)
	r2.ExcessFailures, r2.ExposureSeconds = -1.25, 0.0000004 // rounds to 0 millionths
	s.Add(r2)
	if ex := s.Stats(ExcessFailures); ex.Mean != -0.375 || ex.Min != -1.25 || ex.Max != 0.5 || !close(ex.StdDev, math.Sqrt(2*0.875*0.875), relClose) {
		t.Errorf("excess failures: %+v", ex)
	}
	if e := s.Stats(Exposure); e.Mean != 6.125 || e.Min != 0 {
		t.Errorf("exposure: %+v", e)
	}
	if st := s.StatsAt(CandidateFailures, 1.5); !math.IsNaN(st.CILow) {
		t.Errorf("level 1.5 gave an interval: %+v", st)
	}
	if st := s.Stats(DetectionRate); !math.IsNaN(st.Mean) {
		t.Errorf("Stats of a rate: %+v", st)
	}
	if p := s.Rate(CandidateFailures); !math.IsNaN(p.Value) {
		t.Errorf("Rate of a per-run figure: %+v", p)
	}
	// A huge, precise mean: the exact variance has no cancellation.
	var big Summary
	for _, v := range []int64{1e15 + 1, 1e15 + 2, 1e15 + 3} {
		big.Add(&Run{Candidate: VersionCounts{Errors: v}, Detected: Never, WeightZero: Never, Promoted: Never})
	}
	if st := big.Stats(CandidateFailures); st.Mean != 1e15+2 || st.StdDev != 1 {
		t.Errorf("large values: mean %f sd %g, want 1e15+2 and 1", st.Mean, st.StdDev)
	}
}

// TestWilsonCoverage: the Wilson interval covers the true p at about the
// nominal 95%. For each (n, p) the exact coverage Σ_k Binom(k; n, p)·[p in
// CI(k)] is computed in closed form and must lie in [0.92, 0.98] (Brown, Cai
// & DasGupta 2001 show Wilson's coverage oscillates within a few points of
// nominal for n >= 20); then B seeded binomial batches must cover at a rate
// within 4 binomial standard errors, 4·sqrt(c(1-c)/B), of that exact
// coverage (a false alarm about once in 16,000 runs).
func TestWilsonCoverage(t *testing.T) {
	B := 4000
	if testing.Short() {
		B = 1000
	}
	src := rand.NewPCG(2026, 11)
	for _, c := range []struct {
		n int64
		p float64
	}{{20, 0.1}, {50, 0.02}, {100, 0.5}, {200, 0.05}} {
		bin := distuv.Binomial{N: float64(c.n), P: c.p, Src: src}
		exact := 0.0
		for k := int64(0); k <= c.n; k++ {
			if w := Wilson(k, c.n, 0.95); w.CILow <= c.p && c.p <= w.CIHigh {
				exact += bin.Prob(float64(k))
			}
		}
		if exact < 0.92 || exact > 0.98 {
			t.Errorf("n=%d p=%g: exact Wilson coverage %.4f, want about 0.95", c.n, c.p, exact)
		}
		covered := 0
		for range B {
			k := int64(bin.Rand())
			if w := Wilson(k, c.n, 0.95); w.CILow <= c.p && c.p <= w.CIHigh {
				covered++
			}
		}
		got := float64(covered) / float64(B)
		se := math.Sqrt(exact * (1 - exact) / float64(B))
		if math.Abs(got-exact) > 4*se {
			t.Errorf("n=%d p=%g: simulated coverage %.4f, exact %.4f, tolerance 4·SE = %.4f", c.n, c.p, got, exact, 4*se)
		}
	}
}

// TestMeanCICoverage: the Summary's t interval for the mean covers the true
// mean at about 95%. Each batch is 30 runs whose candidate failures are
// Poisson(4) draws (true mean 4, a skewed discrete figure like real failure
// counts), drawn from an explicitly seeded PCG. Over B batches the coverage
// must be within 4 binomial standard errors of 0.95 (4·sqrt(.95·.05/B):
// 0.014 for B = 4000, 0.028 for B = 1000 under -short), plus 0.01 for the t interval's own approximation on a
// skewed distribution with n = 30 (its exact coverage is about 0.945).
func TestMeanCICoverage(t *testing.T) {
	B := 4000
	if testing.Short() {
		B = 1000
	}
	const n, lambda = 30, 4.0
	pois := distuv.Poisson{Lambda: lambda, Src: rand.NewPCG(7, 2026)}
	covered := 0
	var s Summary
	r := healthyRun(false)
	for range B {
		s.Reset()
		for range n {
			r.Candidate.Errors = int64(pois.Rand())
			s.Add(r)
		}
		st := s.Stats(CandidateFailures)
		if st.CILow <= lambda && lambda <= st.CIHigh {
			covered++
		}
	}
	got := float64(covered) / float64(B)
	tol := 4*math.Sqrt(0.95*0.05/float64(B)) + 0.01
	if math.Abs(got-0.95) > tol {
		t.Errorf("mean CI coverage %.4f over %d batches, want 0.95 ± %.4f", got, B, tol)
	}
	t.Logf("mean CI coverage %.4f over %d batches of %d Poisson(%g) runs", got, B, n, lambda)
}

func TestBestNoneQualifies(t *testing.T) {
	var tb Table
	var s Summary
	s.Add(healthyRun(true))
	tb.Add("A", &s)
	_, err := Best(&tb, CandidateFailures, AtMost(FalseRollbackRate, 0.01))
	if !errors.Is(err, ErrNoneQualifies) {
		t.Fatalf("err = %v, want ErrNoneQualifies", err)
	}
}
