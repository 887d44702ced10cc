package sim

import (
	"time"

	"gonum.org/v1/gonum/mathext"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
)

// ErrorDispersion makes the error rate vary from period to period, as
// production error rates do (a dependency that fails for a minute, a burst
// of bad input): in each period of length Period every request of a version
// whose ErrorProb is p fails with probability p_k, drawn once per period from
// a Beta law of mean p and intra-period correlation Rho,
//
//	p_k ~ Beta(α, β),  α = p(1−ρ)/ρ,  β = (1−p)(1−ρ)/ρ,
//
// so that the errors of n requests in one period are beta-binomial:
// mean np, variance np(1−p)(1 + (n−1)ρ) instead of the binomial's
// np(1−p). With Poisson arrivals of mean λ per period the errors of a period
// have variance λp + p(1−p)ρλ². A threshold alarm sees these swings; a
// simulation without them makes it look quieter than it is. The zero value
// (Rho 0) is the binomial: the draw is skipped.
//
// Both versions share the period's draw (comonotone: p_k is the same
// quantile of each version's Beta law), as a cause outside the function
// moves both; a fault's extra error probability f is independent on top:
// 1 − (1 − p_k)(1 − f). The quantile of period k is a hash of (Scenario.Seed,
// k), so both engines, and a scenario and its healthy twin, see the same
// rates for the same seed.
type ErrorDispersion struct {
	// Rho is the intra-period correlation ρ, in [0, 1) (0: binomial).
	Rho float64
	// Period is the length of the periods over which the rate holds
	// (0: one minute, the period of Lambda's metrics). Must be >= 1 s.
	Period time.Duration
}

func (d ErrorDispersion) validate() error {
	if !(d.Rho >= 0 && d.Rho < 1) {
		return invalid("Scenario.ErrorDispersion.Rho = %v: must be in [0, 1) (0: binomial errors)", d.Rho)
	}
	if d.Period != 0 && d.Period < time.Second {
		return invalid("Scenario.ErrorDispersion.Period = %v: must be 0 (one minute) or >= 1s", d.Period)
	}
	return nil
}

// period is Period, or one minute.
func (d ErrorDispersion) period() time.Duration {
	if d.Period == 0 {
		return time.Minute
	}
	return d.Period
}

// Quantile is p_k for a version of mean error probability p when the
// period's uniform draw is u: the u-quantile of Beta(α, β).
func (d ErrorDispersion) Quantile(p, u float64) float64 {
	if d.Rho == 0 || p <= 0 || p >= 1 {
		return p
	}
	s := (1 - d.Rho) / d.Rho
	return mathext.InvRegIncBeta(p*s, (1-p)*s, u)
}

// dispersion is an engine's per-run state of ErrorDispersion.
type dispersion struct {
	on     bool
	d      ErrorDispersion
	period time.Duration
	key    uint64
	mean   [metrics.NumDimensions]float64 // versions' ErrorProb
	fault  float64                        // Fault.ErrorProb
	k      int64                          // period of the cached rates, -1 none
	p, pf  [metrics.NumDimensions]float64 // rates of period k, without and with the fault
}

func (x *dispersion) setup(s *Scenario) {
	x.on = s.ErrorDispersion.Rho > 0
	if !x.on {
		return
	}
	x.d = s.ErrorDispersion
	x.period = x.d.period()
	x.key = seed.Mix(s.Seed ^ 0x6469737065727369) // "dispersi": a stream apart from the run's
	x.mean[metrics.Baseline], x.mean[metrics.Candidate] = s.Baseline.ErrorProb, s.Candidate.ErrorProb
	x.fault = s.Fault.ErrorProb
	x.k = -1
}

// u is period k's uniform draw in (0, 1).
func (x *dispersion) u(k int64) float64 {
	h := seed.Derive(x.key, uint64(k))
	return (float64(h>>11) + 0.5) / (1 << 53)
}

// probs returns the error probabilities of version d at t, without and with
// the fault; p and pf when dispersion is off.
func (x *dispersion) probs(d metrics.Dimension, t time.Duration, p, pf float64) (float64, float64) {
	if !x.on {
		return p, pf
	}
	if k := int64(t / x.period); k != x.k {
		x.k = k
		u := x.u(k)
		for i := range x.p {
			x.p[i] = x.d.Quantile(x.mean[i], u)
			x.pf[i] = 1 - float64((1-x.p[i])*(1-x.fault)) // converted: no fused multiply-add on arm64
		}
	}
	return x.p[d], x.pf[d]
}

// end caps a bucket ending at b so that it does not straddle a period.
func (x *dispersion) end(a, b time.Duration) time.Duration {
	if !x.on {
		return b
	}
	if pe := (a/x.period + 1) * x.period; pe < b && pe > a {
		return pe
	}
	return b
}
