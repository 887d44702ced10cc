package sim

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// chiSquarePMF returns the p-value of the chi-square goodness-of-fit of
// counts (of values 0..len-1, the last cell holding everything above)
// against pmf, pooling cells with expectation below 5.
func chiSquarePMF(counts []float64, pmf func(k int) float64, n float64) float64 {
	var x2, ecell, ocell, tail float64
	df := -1
	for k := range counts {
		e := n * pmf(k)
		if k == len(counts)-1 {
			e = n * (1 - tail)
		}
		tail += pmf(k)
		ecell += e
		ocell += counts[k]
		if ecell >= 5 || k == len(counts)-1 {
			x2 += (ocell - ecell) * (ocell - ecell) / ecell
			ecell, ocell = 0, 0
			df++
		}
	}
	return distuv.ChiSquared{K: float64(df)}.Survival(x2)
}

// The samplers draw from the exact laws: a chi-square goodness-of-fit test
// against gonum's probability mass functions at significance 0.001 per case
// (14 cases: a false failure has probability about 1.4 %, and the seeds are
// fixed), over the small-mean inversion and the rejection branches.
func TestSamplersExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const draws = 200000
	for _, mu := range []float64{0.3, 4, 9.9, 10.5, 60, 2500} {
		cells := int(mu + 8*math.Sqrt(mu) + 10)
		counts := make([]float64, cells)
		for i := 0; i < draws; i++ {
			k := poissonDraw(r, mu)
			counts[min(int(k), cells-1)]++
		}
		p := chiSquarePMF(counts, func(k int) float64 { return distuv.Poisson{Lambda: mu}.Prob(float64(k)) }, draws)
		if p < 0.001 {
			t.Errorf("Poisson(%v): chi-square p = %.2g", mu, p)
		}
	}
	for _, c := range []struct {
		n int64
		p float64
	}{{20, 0.3}, {1000, 0.004}, {200, 0.9}, {30, 0.5}, {60, 0.2}, {5000, 0.5}, {100000, 0.001}, {1 << 40, 1e-11}} {
		dist := distuv.Binomial{N: float64(c.n), P: c.p}
		mean := float64(c.n) * math.Min(c.p, 1-c.p)
		cells := int(mean + 8*math.Sqrt(mean) + 10)
		counts := make([]float64, cells)
		for i := 0; i < draws; i++ {
			k := binomialDraw(r, c.n, c.p)
			if c.p > 0.5 {
				k = c.n - k
			}
			counts[min(int(k), cells-1)]++
		}
		pmf := func(k int) float64 {
			if c.p > 0.5 {
				return dist.Prob(float64(c.n) - float64(k))
			}
			return dist.Prob(float64(k))
		}
		if c.n == 1<<40 { // beyond float64 Lgamma's comfort: Poisson(11) is exact to 1e-11
			pmf = func(k int) float64 { return distuv.Poisson{Lambda: 11}.Prob(float64(k)) }
		}
		if p := chiSquarePMF(counts, pmf, draws); p < 0.001 {
			t.Errorf("Binomial(%d, %v): chi-square p = %.2g", c.n, c.p, p)
		}
	}
	// Beta(k, n-k+1) order statistic: mean k/(n+1), variance
	// k(n-k+1)/((n+1)²(n+2)); 100,000 draws put the mean within 4.5 sd.
	for _, c := range []struct{ k, n int64 }{{1, 1}, {3, 10}, {500, 1000}} {
		var sum, sum2 float64
		const m = 100000
		for i := 0; i < m; i++ {
			u := orderStat(r, c.k, c.n)
			sum += u
			sum2 += u * u
		}
		n1 := float64(c.n + 1)
		want := float64(c.k) / n1
		sd := math.Sqrt(float64(c.k) * float64(c.n-c.k+1) / (n1 * n1 * (n1 + 1)))
		if got := sum / m; math.Abs(got-want) > 4.5*sd/math.Sqrt(m) {
			t.Errorf("orderStat(%d, %d) mean %v, want %v", c.k, c.n, got, want)
		}
	}
}

// durLaw's integrals agree with a direct numerical integration of its
// survival function (a 200,000-step midpoint rule, independent of the
// closed forms), for the lognormal with and without a timeout, a latency
// factor, and a gonum Gamma through its CDF.
func TestDurLawIntegrals(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	laws := map[string]durLaw{
		"lognormal":         newDurLaw(LogNormalFromQuantiles(100, 500, r), 1, 0),
		"lognormal timeout": newDurLaw(LogNormalFromQuantiles(100, 500, r), 1, 300),
		"factor 3, timeout": newDurLaw(LogNormalFromQuantiles(100, 500, r), 3, 1000),
		"gamma":             newDurLaw(distuv.Gamma{Alpha: 2, Beta: 0.02}, 1, 250),
		"timeout point":     pointLaw(3000),
	}
	for name, l := range laws {
		for _, iv := range [][2]float64{{-50, 20}, {0, 100}, {80, 120}, {200, 1500}, {290, 310}, {2900, 3100}} {
			const steps = 200000
			h := (iv[1] - iv[0]) / steps
			want := 0.0
			for i := 0; i < steps; i++ {
				want += l.S(iv[0]+(float64(i)+0.5)*h) * h
			}
			if got := l.IS(iv[0], iv[1]); math.Abs(got-want) > 1e-6*(iv[1]-iv[0])+1e-9 {
				t.Errorf("%s: IS(%v, %v) = %v, numerical %v", name, iv[0], iv[1], got, want)
			}
		}
		// The conditioned law is a law: F + S = 1, F(0-) = 0, S(∞) = 0.
		for _, x := range []float64{1, 50, 100, 299, 1000, 1e5} {
			if d := l.F(x) + l.S(x) - 1; math.Abs(d) > 1e-12 {
				t.Errorf("%s: F+S-1 = %v at %v", name, d, x)
			}
		}
		if l.S(1e12) > 1e-200 || l.F(-1) != 0 {
			t.Errorf("%s: S(∞) = %v, F(-1) = %v", name, l.S(1e12), l.F(-1))
		}
	}
	// pending for a point law is linear: a timeout at 3 s from arrivals
	// uniform on [0, 10 s) still runs at 8 s for arrivals after 5 s: 1/2.
	tl := pointLaw(3000)
	if got := tl.pending(0, 10000, 8000); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("point pending = %v, want 0.5", got)
	}
}

// A multinomial draw over the sketch's buckets places every value, and its
// bucket counts fit the law's bucket probabilities (chi-square, 0.001).
func TestDurLawDraw(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	l := newDurLaw(LogNormalFromQuantiles(100, 500, r), 2, 600)
	var d sketchDraw
	const n = 2_000_000
	l.draw(r, n, &d)
	var total int64
	x2, df := 0.0, -1
	var eacc, oacc float64
	for j := d.min; j <= d.max; j++ {
		c := d.counts[j-d.base]
		total += c
		eacc += n * (l.F(metrics.BucketUpper(j)) - l.F(metrics.BucketUpper(j-1)))
		oacc += float64(c)
		if eacc >= 5 {
			x2 += (oacc - eacc) * (oacc - eacc) / eacc
			eacc, oacc, df = 0, 0, df+1
		}
	}
	if total+d.zeros != n {
		t.Fatalf("placed %d of %d values", total+d.zeros, n)
	}
	if p := (distuv.ChiSquared{K: float64(df)}).Survival(x2); p < 0.001 {
		t.Errorf("bucket counts: chi-square %v (df %d), p = %.2g", x2, df, p)
	}
	if top := metrics.BucketUpper(d.max - 1); top >= 600 {
		t.Errorf("values above the 600 ms timeout: bucket %d", d.max)
	}
}

// Auto picks the engine, Run records it, and an explicit Bucketed with a
// feature it cannot reproduce is an error naming the feature.
func TestResolutionChoice(t *testing.T) {
	base := func() Scenario {
		s := BaseScenario()
		s.Workload = Poisson{Rate: 5}
		s.Strategy = canary(10, time.Minute)
		return s
	}
	s := base()
	r, err := Run(s)
	if err != nil || r.Resolution != "bucket" {
		t.Fatalf("Auto on a Poisson scenario: resolution %q, err %v; want bucket", r.Resolution, err)
	}
	s.Resolution = PerRequest
	if r, _ := Run(s); r.Resolution != "request" {
		t.Errorf("PerRequest ran %q", r.Resolution)
	}
	noCDF := func(src rand.Source) Sampler { return constSampler(5) }
	for _, tc := range []struct {
		name   string
		mutate func(*Scenario)
		want   string
	}{
		{"bursty", func(s *Scenario) {
			s.Workload = Bursty{Rate: 1, BurstRate: 10, MeanNormal: time.Minute, MeanBurst: time.Second}
		}, "Scenario.Workload (sim.Bursty) is not a Poisson process"},
		{"latency without CDF", func(s *Scenario) { s.Candidate.Latency = noCDF }, "Scenario.Candidate.Latency"},
		{"late data", func(s *Scenario) {
			s.Policy = agreeAlarm(time.Minute, 5)
			s.IngestionDelay = time.Second
		}, "Timeout = 3s > Scenario.IngestionDelay = 1s"},
		{"no timeout with a policy", func(s *Scenario) {
			s.Policy = agreeAlarm(time.Minute, 5)
			s.Baseline.Timeout = 0
		}, "Scenario.Baseline.Timeout = 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(&s)
			if why := needsPerRequest(&s); !strings.Contains(why, tc.want) {
				t.Errorf("needsPerRequest = %q, want it to name %q", why, tc.want)
			}
			if r, err := Run(s); err != nil || r.Resolution != "request" {
				t.Errorf("Auto: resolution %q, err %v; want request", r.Resolution, err)
			}
			s.Resolution = Bucketed
			err := s.Validate()
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Scenario.Resolution = bucket") ||
				!strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an ErrInvalid naming Resolution and %q", err, tc.want)
			}
		})
	}
}

type constSampler float64

func (c constSampler) Rand() float64 { return float64(c) }

// Bucketed runs obey the invariants of every run (conservation of requests,
// series and sketches consistent with the counts, ordered instants),
// whatever the scenario: rates over five decades, faults with onsets by time
// and by count and by kind, horizons that cut drains, kept series and
// latency alarms, pre- and post-traffic hooks and a bake time (which live
// in the shared controller).
func TestBucketedInvariants(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 150
	if testing.Short() || raceEnabled {
		params.MinSuccessfulTests = 40
	}
	params.Rng.Seed(7)
	props := gopter.NewProperties(params)
	props.Property("bucketed run invariants", prop.ForAll(
		func(rateExp float64, kind int, fault float64, onsetAfter int64, onsetAt int, horizon int, keep bool, seed uint64, factor float64, hooks int) string {
			s := BaseScenario()
			s.Workload = Poisson{Rate: math.Pow(10, rateExp)}
			switch kind % 3 {
			case 0:
				s.Strategy = allAtOnce()
			case 1:
				s.Strategy = canary(10, 2*time.Minute)
			default:
				s.Strategy = linear(25, time.Minute)
			}
			s.Baseline.ErrorProb = 0.01
			s.Candidate.ErrorProb = 0.01
			s.Fault = Fault{ErrorProb: fault, LatencyFactor: factor, OnsetAfter: onsetAfter, OnsetAt: time.Duration(onsetAt) * time.Second}
			if kind%2 == 1 {
				s.Kinds = []Kind{{"read", 3}, {"write", 1}}
				s.Fault.Kinds = []string{"write"}
			}
			s.Users = Users{N: 200, Exponent: 1}
			s.Horizon = time.Duration(horizon) * time.Second
			s.KeepSeries = keep
			if kind%4 < 2 {
				s.Policy = agreeAlarm(time.Minute, 3)
			} else {
				s.Policy = rollback.CodeDeploy(rollback.Alarm{
					Name: "p99", Metric: metrics.Duration, Dimension: metrics.Candidate,
					Statistic: metrics.Statistic{Kind: metrics.Percentile, P: 99}, Period: time.Minute,
					EvaluationPeriods: 1, Threshold: 800, Comparison: rollback.GreaterThanOrEqualToThreshold,
				})
			}
			switch hooks {
			case 1:
				s.PreTraffic = Hook{Duration: 30 * time.Second, CatchProb: 0.5}
			case 2:
				s.PostTraffic = Hook{Duration: 2 * time.Minute, CatchProb: 0.5}
				s.Bake = 3 * time.Minute
			}
			s.Seed = seed
			s.Resolution = Bucketed
			r, err := Run(s)
			if err != nil {
				return err.Error()
			}
			if r.Resolution != "bucket" {
				return "resolution " + r.Resolution
			}
			return checkRun(s, r)
		},
		gen.Float64Range(-0.3, 4.3),
		gen.IntRange(0, 11),
		gen.OneGenOf(gen.Const(0.0), gen.Float64Range(0.001, 0.3)),
		gen.OneGenOf(gen.Const(int64(0)), gen.Int64Range(1, 5000)),
		gen.IntRange(0, 300),
		gen.OneGenOf(gen.Const(0), gen.IntRange(1, 900)),
		gen.Bool(),
		gen.UInt64(),
		gen.OneGenOf(gen.Const(0.0), gen.Float64Range(1, 20)),
		gen.IntRange(0, 2),
	))
	props.TestingRun(t)
}

// A Strategy from the strategy package runs bucketed too (the presets'
// schedules end at 100 %).
func TestBucketedPresetsRun(t *testing.T) {
	for _, st := range strategy.LambdaPresets() {
		s := BaseScenario()
		s.Workload = Poisson{Rate: 10000}
		s.Strategy = st
		s.Fault = Fault{ErrorProb: 0.05}
		s.Policy = agreeAlarm(time.Minute, 50)
		s.Horizon = 2 * time.Hour
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkRun(s, r); msg != "" {
			t.Errorf("%s: %s", st.Name(), msg)
		}
		if st.Name() != "AllAtOnce" && r.Outcome != metrics.RolledBack {
			t.Errorf("%s: outcome %v, want rolled back (500 candidate errors a minute at 10 %%)", st.Name(), r.Outcome)
		}
	}
}

// A bucketed run depends only on its scenario: the same seed gives the same
// metrics.Run from a fresh Run and from a Runner that ran other scenarios
// before (its cached latency tables must not leak), and another seed gives
// another run.
func TestBucketedDeterministic(t *testing.T) {
	mk := func(rate float64, p50 time.Duration, seed uint64) Scenario {
		s := BaseScenario()
		s.Workload = Poisson{Rate: rate}
		s.Strategy = canary(10, 5*time.Minute)
		s.Candidate.P50 = p50
		s.Fault = Fault{ErrorProb: 0.03, LatencyFactor: 2}
		s.Policy = agreeAlarm(time.Minute, 20)
		s.Users = Users{N: 500, Exponent: 1}
		s.KeepSeries = true
		s.Horizon = 30 * time.Minute
		s.Seed = seed
		return s
	}
	want, err := Run(mk(800, 100*time.Millisecond, 42))
	if err != nil {
		t.Fatal(err)
	}
	var rn Runner
	for _, s := range []Scenario{mk(50, 300*time.Millisecond, 1), mk(800, 100*time.Millisecond, 7)} {
		if _, err := rn.Run(s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rn.Run(mk(800, 100*time.Millisecond, 42))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a reused Runner gives another run than a fresh Run:\n got %+v\nwant %+v", got, want)
	}
	other, _ := Run(mk(800, 100*time.Millisecond, 43))
	if reflect.DeepEqual(other, want) {
		t.Error("seeds 42 and 43 gave the same run")
	}
}

// The bucketed engine's allocations per run do not grow with the rate:
// the same handful (the run record, its sketches, the series' periods) at
// 10 and at 100,000 req/s.
func TestBucketedAllocsFlat(t *testing.T) {
	allocs := func(rate float64) float64 {
		s := benchBucketScenario(rate)
		var rn Runner
		i := uint64(0)
		return testing.AllocsPerRun(20, func() {
			i++
			s.Seed = i
			if _, err := rn.Run(s); err != nil {
				t.Fatal(err)
			}
		})
	}
	lo, hi := allocs(10), allocs(100000)
	if lo > 64 || hi > 64 {
		t.Errorf("allocations per run: %v at 10 req/s, %v at 100,000 req/s; want at most 64 each", lo, hi)
	}
}

// hypergeometricDraw follows the exact law: a chi-square goodness-of-fit
// at significance 0.001 per case against masses computed with exact
// integers (math/big binomial coefficients, independent of the sampler's
// log-gamma), over the symmetries (marks or draws above half the
// population) and the edges; and at populations too large for exact
// masses, the mean and variance of 20,000 draws match the closed forms,
// k·m/n and k·(m/n)(1−m/n)(n−k)/(n−1), within 4.5 and 6 standard errors.
func TestHypergeometricExact(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	exact := func(n, m, k, j int64) float64 {
		if j < 0 || j > m || k-j > n-m || j > k {
			return 0
		}
		num := new(big.Int).Mul(new(big.Int).Binomial(m, j), new(big.Int).Binomial(n-m, k-j))
		f, _ := new(big.Rat).SetFrac(num, new(big.Int).Binomial(n, k)).Float64()
		return f
	}
	const draws = 100000
	for _, c := range []struct{ n, m, k int64 }{
		{10, 3, 4}, {50, 45, 10}, {200, 20, 150}, {1000, 500, 500}, {1000, 7, 900}, {3000, 300, 1200}, {20, 20, 5}, {20, 5, 20},
	} {
		cells := int(min(c.m, c.k)) + 2
		counts := make([]float64, cells)
		for i := 0; i < draws; i++ {
			j := hypergeometricDraw(r, c.n, c.m, c.k)
			if j < max(0, c.k+c.m-c.n) || j > min(c.k, c.m) {
				t.Fatalf("Hypergeometric(%d, %d, %d) drew %d, outside its support", c.n, c.m, c.k, j)
			}
			counts[min(int(j), cells-1)]++
		}
		pmf := func(j int) float64 { return exact(c.n, c.m, c.k, int64(j)) }
		if p := chiSquarePMF(counts, pmf, draws); p < 0.001 {
			t.Errorf("Hypergeometric(%d, %d, %d): chi-square p = %.2g", c.n, c.m, c.k, p)
		}
	}
	for _, c := range []struct{ n, m, k int64 }{{3e6, 3e4, 1.5e6}, {1e9, 1e7, 3e8}, {1e9, 5e8, 1e3}} {
		const m = 20000
		var sum, sum2 float64
		for i := 0; i < m; i++ {
			x := float64(hypergeometricDraw(r, c.n, c.m, c.k))
			sum += x
			sum2 += x * x
		}
		n, mk, k := float64(c.n), float64(c.m), float64(c.k)
		mean := k * mk / n
		v := k * (mk / n) * (1 - mk/n) * (n - k) / (n - 1)
		gotMean := sum / m
		gotVar := sum2/m - gotMean*gotMean
		if math.Abs(gotMean-mean) > 4.5*math.Sqrt(v/m) {
			t.Errorf("Hypergeometric(%d, %d, %d): mean %.2f, want %.2f (sd of the mean %.3f)", c.n, c.m, c.k, gotMean, mean, math.Sqrt(v/m))
		}
		// The sample variance's standard error is about v·sqrt(2/m).
		if math.Abs(gotVar-v) > 6*v*math.Sqrt(2.0/m) {
			t.Errorf("Hypergeometric(%d, %d, %d): variance %.1f, want %.1f", c.n, c.m, c.k, gotVar, v)
		}
	}
	if hypergeometricDraw(r, 10, 0, 5) != 0 || hypergeometricDraw(r, 10, 10, 5) != 5 || hypergeometricDraw(r, 10, 4, 10) != 4 || hypergeometricDraw(r, 10, 4, 0) != 0 {
		t.Error("Hypergeometric edges: no marks, all marked, all drawn, none drawn")
	}
}

// The sampler's mass at the mode is accurate at any population: against
// exact integer masses to 1e-12 relative up to n = 3,000, and, where no
// exact mass is at hand, the masses it walks outward from the mode by the
// ratios of consecutive terms sum to 1 within 1e-9 up to n = 10^15 (a mass
// from log-gamma differences is off by 1e-5 relative at n = 10^9 and by
// percents at 10^15).
func TestHypergeometricModeMass(t *testing.T) {
	for _, c := range []struct{ n, m, k int64 }{{10, 3, 4}, {200, 20, 150}, {1000, 500, 500}, {3000, 300, 1200}, {3000, 1, 1}} {
		mode, pm := hyperMode(c.n, c.m, c.k)
		num := new(big.Int).Mul(new(big.Int).Binomial(c.m, mode), new(big.Int).Binomial(c.n-c.m, c.k-mode))
		want, _ := new(big.Rat).SetFrac(num, new(big.Int).Binomial(c.n, c.k)).Float64()
		if math.Abs(pm-want) > 1e-12*want {
			t.Errorf("Hypergeometric(%d, %d, %d): mass at the mode %d = %.17g, exact %.17g", c.n, c.m, c.k, mode, pm, want)
		}
	}
	for _, c := range []struct{ n, m, k int64 }{{1e6, 1e4, 3e5}, {1e9, 1e7, 3e8}, {1e12, 3e9, 4e11}, {1e15, 2e12, 1e14}, {1e15, 5e14, 5e14}} {
		mode, pm := hyperMode(c.n, c.m, c.k)
		lo, hi := max(0, c.k+c.m-c.n), min(c.k, c.m)
		nm, km, mm := float64(c.n-c.m), float64(c.k), float64(c.m)
		sum := pm
		for j, p := mode, pm; j < hi && p > 1e-300; j++ {
			x := float64(j)
			p *= float64((mm-x)*(km-x)) / float64((x+1)*(nm-km+x+1))
			sum += p
		}
		for j, p := mode, pm; j > lo && p > 1e-300; j-- {
			x := float64(j)
			p *= float64(x*(nm-km+x)) / float64((mm-x+1)*(km-x+1))
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("Hypergeometric(%g, %g, %g): the masses sum to 1%+.3g", float64(c.n), float64(c.m), float64(c.k), sum-1)
		}
	}
}
