package sim

import (
	"math"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// The per-period rate is Beta(α, β) with mean p and variance p(1−p)ρ (the
// Beta law's closed form with α+β = (1−ρ)/ρ). Quantile is integrated over
// u by the midpoint rule on 20,000 points; the integrand is smooth except
// near u = 1, where the midpoint rule's error is well below the 1 % allowed.
func TestDispersionQuantileMoments(t *testing.T) {
	for _, tc := range []struct{ p, rho float64 }{{0.001, 0.01}, {0.01, 0.05}, {0.2, 0.3}} {
		d := ErrorDispersion{Rho: tc.rho}
		const n = 20000
		m1, m2 := 0.0, 0.0
		for i := 0; i < n; i++ {
			q := d.Quantile(tc.p, (float64(i)+0.5)/n)
			m1 += q / n
			m2 += q * q / n
		}
		v := m2 - m1*m1
		want := tc.p * (1 - tc.p) * tc.rho
		if math.Abs(m1-tc.p) > 0.01*tc.p || math.Abs(v-want) > 0.01*want {
			t.Errorf("p %v ρ %v: mean %v variance %v, want %v and %v (±1%%)", tc.p, tc.rho, m1, v, tc.p, want)
		}
	}
	if q := (ErrorDispersion{}).Quantile(0.3, 0.9); q != 0.3 {
		t.Errorf("Rho 0: Quantile = %v, want p", q)
	}
}

// With Poisson arrivals of mean λ per period and per-period rates p_k, the
// errors of a period have mean λp and variance λp + p(1−p)ρλ² (law of total
// variance over n ~ Poisson(λ) and p_k; the binomial's is λp). Both engines
// are held to it over 24 runs × 180 one-minute periods. The tolerance is 4
// standard errors of the sample mean (√(s²/K)) and of the sample variance
// (√((m4 − s⁴)/K), from the sample's own fourth moment, since the Beta law
// with α < 1 has a heavy right tail).
func TestDispersionBetaBinomialVariance(t *testing.T) {
	const (
		rate = 10.0 // per second: λ = 600 per minute
		p    = 0.01
		rho  = 0.05
	)
	lam := rate * 60
	wantMean := lam * p
	wantVar := lam*p + p*(1-p)*rho*lam*lam
	for _, res := range []Resolution{PerRequest, Bucketed} {
		var xs []float64
		for seed := uint64(1); seed <= 24; seed++ {
			s := BaseScenario()
			s.Workload = Poisson{Rate: rate}
			s.Strategy = strategy.LambdaAllAtOnce
			s.Baseline.ErrorProb, s.Candidate.ErrorProb = p, p
			s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
			s.ErrorDispersion = ErrorDispersion{Rho: rho}
			s.Horizon = 3 * time.Hour
			s.KeepSeries = true
			s.Resolution = res
			s.Seed = seed
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			// Skip the last period: requests still running at the horizon.
			for i := range r.Series.Periods[:len(r.Series.Periods)-1] {
				xs = append(xs, r.Series.Periods[i].Dims[metrics.Alias].Errors)
			}
		}
		k := float64(len(xs))
		mean := 0.0
		for _, x := range xs {
			mean += x / k
		}
		m2, m4 := 0.0, 0.0
		for _, x := range xs {
			d := x - mean
			m2 += d * d / k
			m4 += d * d * d * d / k
		}
		seMean := math.Sqrt(m2 / k)
		seVar := math.Sqrt((m4 - m2*m2) / k)
		if math.Abs(mean-wantMean) > 4*seMean {
			t.Errorf("%v: mean errors per period %.3f, want %.3f ± %.3f", res, mean, wantMean, 4*seMean)
		}
		if math.Abs(m2-wantVar) > 4*seVar {
			t.Errorf("%v: variance %.2f, want %.2f ± %.2f (binomial: %.2f)", res, m2, wantVar, 4*seVar, lam*p)
		}
	}
}

// Off by default: a scenario without ErrorDispersion draws exactly what it
// drew before (the hook consumes no randomness), and a scenario and its
// copy with Rho > 0 agree on the arrivals (same seed) but not on errors.
func TestDispersionOffIsBinomial(t *testing.T) {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 50}
	s.Strategy = strategy.LambdaAllAtOnce
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = 0.02, 0.02
	s.Horizon = time.Hour
	s.Seed = 9
	a, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	s.ErrorDispersion = ErrorDispersion{Rho: 0}
	b, _ := Run(s)
	if a.Candidate.Errors != b.Candidate.Errors || a.Candidate.Requests != b.Candidate.Requests {
		t.Errorf("Rho 0 changed the run: %+v vs %+v", a.Candidate, b.Candidate)
	}
	for _, bad := range []ErrorDispersion{{Rho: -0.1}, {Rho: 1}, {Rho: math.NaN()}, {Rho: 0.1, Period: time.Millisecond}} {
		s.ErrorDispersion = bad
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
