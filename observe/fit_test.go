package observe

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// pairsFrom draws K periods of n requests whose error rate is Beta with
// mean p and correlation rho (rho 0: binomial), with gonum's samplers.
func pairsFrom(r *rand.Rand, k int, n, p, rho float64) []errorPair {
	src := rand.NewPCG(r.Uint64(), r.Uint64())
	out := make([]errorPair, k)
	for i := range out {
		pk := p
		if rho > 0 {
			s := (1 - rho) / rho
			pk = distuv.Beta{Alpha: p * s, Beta: (1 - p) * s, Src: src}.Rand()
		}
		out[i] = errorPair{e: distuv.Binomial{N: n, P: pk, Src: src}.Rand(), n: n}
	}
	return out
}

// Binomial errors are found overdispersed at the 1 % level about 1 % of the
// time: at most 5 of 100 samples (P(Bin(100, 0.01) >= 6) ≈ 5e-4).
// Beta-binomial ones with ρ = 0.01 and n = 1,000 (variance 11 times the
// binomial's) always are, and the moment estimator's mean over 40 samples is
// within 4 standard errors (of the 40 estimates) of ρ.
func TestDispersionFit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	flagged := 0
	for i := 0; i < 100; i++ {
		prs := pairsFrom(r, 200, 1000, 0.01, 0)
		E, N := 0.0, 0.0
		for _, x := range prs {
			E += x.e
			N += x.n
		}
		if d := dispersion(prs, E/N, time.Minute); d.Overdispersed {
			flagged++
		}
	}
	if flagged > 5 {
		t.Errorf("binomial errors flagged overdispersed %d times in 100 at the 1%% level", flagged)
	}
	const rho = 0.01
	var est []float64
	for i := 0; i < 40; i++ {
		prs := pairsFrom(r, 300, 1000, 0.01, rho)
		E, N := 0.0, 0.0
		for _, x := range prs {
			E += x.e
			N += x.n
		}
		d := dispersion(prs, E/N, time.Minute)
		if !d.Overdispersed {
			t.Fatalf("sample %d: beta-binomial (ρ = %v) not flagged: X² = %v on %d periods", i, rho, d.X2, d.Periods)
		}
		est = append(est, d.Rho.Value)
	}
	m, v := 0.0, 0.0
	for _, x := range est {
		m += x / float64(len(est))
	}
	for _, x := range est {
		v += (x - m) * (x - m) / float64(len(est)-1)
	}
	if se := math.Sqrt(v / float64(len(est))); math.Abs(m-rho) > 4*se {
		t.Errorf("mean ρ̂ = %v, want %v ± %v", m, rho, 4*se)
	}
}

// The calibrated scenario, simulated, gives back the file: over R runs the
// mean per-minute invocations are the file's mean within 4 standard errors
// of a Poisson count (√(mean/(K·R))), the busiest minute's mean count is
// the file's peak within 4√(peak/R), and the error rate is the file's
// within 4 binomial standard errors of the simulated calls. The function
// is the Azure sample's busiest (5–7 calls a minute), with the error rate
// of get-metric-data.json.
func TestCalibratedScenarioReproducesFile(t *testing.T) {
	az := readTest(t, "invocations_per_function_md.anon.d03.csv")
	c, err := Fit(az.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cw := readTest(t, "get-metric-data.json")
	other, err := Fit(cw.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.ErrorRate, c.LatencyP50, c.LatencyP99 = other.ErrorRate, other.LatencyP50, other.LatencyP99
	if len(c.PerMinute) != AzureMinutes {
		t.Fatalf("PerMinute has %d minutes, want %d (the Azure day)", len(c.PerMinute), AzureMinutes)
	}
	fileMean, peak, peakAt := 0.0, 0.0, 0
	for k, v := range c.PerMinute {
		fileMean += v / AzureMinutes
		if v > peak {
			peak, peakAt = v, k
		}
	}
	const runs = 20
	simMean, peakMean, E, N := 0.0, 0.0, 0.0, 0.0
	for i := 0; i < runs; i++ {
		s := sim.BaseScenario()
		c.Apply(&s)
		s.Strategy = strategy.LambdaAllAtOnce
		s.Horizon = AzureMinutes * time.Minute
		s.KeepSeries = true
		s.Seed = uint64(i + 1)
		r, err := sim.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < AzureMinutes-1; k++ { // the last minute is cut by the horizon
			a := r.Series.Periods[k].Dims[metrics.Alias]
			simMean += a.Invocations / (AzureMinutes - 1) / runs
			E += a.Errors
			N += a.Invocations
		}
		peakMean += r.Series.Periods[peakAt].Dims[metrics.Alias].Invocations / runs
	}
	fileMean = (fileMean*AzureMinutes - c.PerMinute[AzureMinutes-1]) / (AzureMinutes - 1)
	if se := math.Sqrt(fileMean / (AzureMinutes - 1) / runs); math.Abs(simMean-fileMean) > 4*se {
		t.Errorf("simulated mean per minute %v, file %v ± %v", simMean, fileMean, 4*se)
	}
	if se := math.Sqrt(peak / runs); math.Abs(peakMean-peak) > 4*se {
		t.Errorf("simulated peak minute %v, file %v ± %v", peakMean, peak, 4*se)
	}
	p := c.ErrorRate.Value
	if se := math.Sqrt(p * (1 - p) / N); math.Abs(E/N-p) > 4*se {
		t.Errorf("simulated error rate %v, file %v ± %v", E/N, p, 4*se)
	}
}
