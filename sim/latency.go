package sim

import (
	"github.com/deploysim/deploysim/internal/xmath"
	"math"
	"math/rand/v2"
)

// Sampler draws one value of a distribution per call, as gonum's distuv
// distributions do.
type Sampler interface {
	Rand() float64
}

// LatencyModel builds a version's latency sampler (values in milliseconds)
// from the run's random source, so that every draw is reproducible from the
// run's seed.
type LatencyModel func(src rand.Source) Sampler

// cdfer is implemented by samplers (such as gonum's distuv types) that can
// tell the probability of a value at or below x.
type cdfer interface {
	CDF(x float64) float64
}

// z99 is the 0.99 quantile of the standard normal distribution.
const z99 = 2.3263478740408408

// LogNormal is the lognormal distribution of exp(Mu + Sigma·Z), Z standard
// normal, drawn from R. It is the default latency model: service latencies
// are positive and right-skewed, and two quantiles fix it
// (LogNormalFromQuantiles). It draws exp(Mu + Sigma·R.NormFloat64()), the
// same draw as distuv.LogNormal and as fast (BenchmarkLatencySampler); it
// exists to hold the run's *rand.Rand and to give the CDF and Quantile from
// the parameters users think in.
type LogNormal struct {
	Mu, Sigma float64
	R         *rand.Rand
}

// LogNormalFromQuantiles returns the lognormal distribution (in the unit of
// its arguments) with median p50 and 99th percentile p99: Mu = ln p50,
// Sigma = (ln p99 - ln p50)/z_0.99.
func LogNormalFromQuantiles(p50, p99 float64, r *rand.Rand) LogNormal {
	return LogNormal{Mu: xmath.Log(p50), Sigma: (xmath.Log(p99) - xmath.Log(p50)) / z99, R: r}
}

// Rand draws one value.
func (l LogNormal) Rand() float64 { return xmath.Exp(l.Mu + float64(l.Sigma*l.R.NormFloat64())) } // converted: not fused on arm64

// CDF is P(X <= x) = Φ((ln x - Mu)/Sigma).
func (l LogNormal) CDF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if l.Sigma == 0 {
		if xmath.Log(x) >= l.Mu {
			return 1
		}
		return 0
	}
	return 0.5 * xmath.Erfc(-(xmath.Log(x)-l.Mu)/(l.Sigma*math.Sqrt2))
}

// Quantile is the p-quantile exp(Mu + Sigma·Φ⁻¹(p)).
func (l LogNormal) Quantile(p float64) float64 {
	return xmath.Exp(l.Mu + float64(l.Sigma*math.Sqrt2*math.Erfinv(float64(2*p)-1)))
}

// sampler returns the version's latency sampler in milliseconds, drawing from r.
func (v Version) sampler(r *rand.Rand) Sampler {
	if v.Latency != nil {
		return v.Latency(r)
	}
	return LogNormalFromQuantiles(ms(v.P50), ms(v.P99), r)
}
