package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// The default latency is lognormal with the given median and p99: the run's
// latency sketches must show them. With n samples the sample p-quantile has
// standard error sqrt(p(1-p)/n)/f(x_p); at n ≈ 60,000 that is under 0.6% of
// the p50 and 2% of the p99 here, and the sketch adds at most 1%
// (metrics.SketchAccuracy), so 1% + 4 standard errors is the tolerance.
func TestLogNormalLatency(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 200}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = 5 * time.Minute
	s.Candidate.P50, s.Candidate.P99 = 80*time.Millisecond, 900*time.Millisecond
	s.Candidate.Timeout = 0
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	sigma := math.Log(900.0/80) / z99
	ln := distuv.LogNormal{Mu: math.Log(80), Sigma: sigma}
	n := r.CandidateLatency.Count()
	for _, q := range []float64{0.5, 0.99} {
		want := ln.Quantile(q)
		se := math.Sqrt(q*(1-q)/n) / ln.Prob(want)
		got := r.CandidateLatency.Quantile(q)
		if tol := metrics.SketchAccuracy*want + 4*se; math.Abs(got-want) > tol {
			t.Errorf("p%v latency = %.2f ms, want %.2f ± %.2f", q*100, got, want, tol)
		}
	}
}

// Any distuv distribution can be the latency model; it draws from the run's
// source, so runs stay reproducible. Gamma(α=4, β=0.1/ms) has mean 40 ms and
// standard deviation 20 ms; the mean of n draws is within 4·20/sqrt(n).
func TestDistuvLatency(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 100}
	s.Strategy = strategy.AllAtOnce{}
	s.Horizon = 3 * time.Minute
	s.Candidate.Latency = func(src rand.Source) Sampler { return distuv.Gamma{Alpha: 4, Beta: 0.1, Src: src} }
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	n := r.CandidateLatency.Count()
	// Durations are whole nanoseconds: the truncation is far below the tolerance.
	if got, tol := r.CandidateLatency.Mean(), 4*20/math.Sqrt(n); math.Abs(got-40) > tol {
		t.Errorf("mean latency %.2f ms over %v requests, want 40 ± %.2f", got, n, tol)
	}
	r2, _ := Run(s)
	if r2.CandidateLatency.Sum() != r.CandidateLatency.Sum() {
		t.Error("a distuv latency model made two runs with the same seed differ")
	}
}

func TestLogNormalCDFQuantile(t *testing.T) {
	l := LogNormalFromQuantiles(100, 500, nil)
	ref := distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma}
	for _, x := range []float64{1, 50, 100, 500, 3000} {
		if got, want := l.CDF(x), ref.CDF(x); math.Abs(got-want) > 1e-12 {
			t.Errorf("CDF(%v) = %v, gonum %v", x, got, want)
		}
	}
	if got := l.Quantile(0.5); math.Abs(got-100) > 1e-9 {
		t.Errorf("median %v, want 100", got)
	}
	if got := l.Quantile(0.99); math.Abs(got-500) > 1e-6 {
		t.Errorf("p99 %v, want 500", got)
	}
}

// BenchmarkLatencySampler compares the default lognormal sampler with
// gonum's distuv.LogNormal drawing from the same PCG source (which builds a
// rand.Rand per draw).
func BenchmarkLatencySampler(b *testing.B) {
	src := rand.NewPCG(1, 2)
	b.Run("sim.LogNormal", func(b *testing.B) {
		l := LogNormalFromQuantiles(100, 500, rand.New(src))
		b.ReportAllocs()
		sum := 0.0
		for i := 0; i < b.N; i++ {
			sum += l.Rand()
		}
		_ = sum
	})
	b.Run("distuv.LogNormal", func(b *testing.B) {
		l := LogNormalFromQuantiles(100, 500, nil)
		d := distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma, Src: src}
		b.ReportAllocs()
		sum := 0.0
		for i := 0; i < b.N; i++ {
			sum += d.Rand()
		}
		_ = sum
	})
}
