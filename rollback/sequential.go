package rollback

import (
	"fmt"
	"math"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Sequential is an anytime-valid sequential test on candidate-versus-baseline
// error counts, after Lindon & Malek (NeurIPS 2022) and Netflix's canary
// practice (Lindon, Sanden, Shirikian, KDD 2022; docs/model.md). It may
// look at every period for as long as the deployment lasts and still rolls
// a healthy candidate back with probability at most Alpha.
//
// The model. In period t the candidate served a_t invocations with c_t
// errors, the baseline b_t with d_t errors; n_t = c_t + d_t. If both versions
// fail each invocation independently with the same probability (H0), then
// given the invocations and n_t, which n_t of the a_t+b_t invocations failed
// is a uniformly random subset, so c_t is hypergeometric with mean
// n_t·θ_t, θ_t = a_t/(a_t+b_t) the candidate's exposure share. If instead the
// candidate fails ρ times as often (rates small), c_t is near
// Binomial(n_t, θ_t(ρ)) with θ_t(ρ) = ρθ_t/(ρθ_t + 1 - θ_t). The likelihood
// ratio of ρ against 1 over the periods seen is
//
//	L(ρ) = Π_t ρ^{c_t} / (1 + (ρ-1)θ_t)^{n_t}.
//
// Under H0, L(ρ) is a nonnegative supermartingale for every ρ: each factor
// has binomial expectation 1, and the hypergeometric expectation of the
// convex e^{c·log ρ} is at most the binomial one (Hoeffding 1963). So is the
// mixture Λ = Σ_g π_g L(ρ_g), and Ville's inequality gives
// P(Λ ever reaches 1/Alpha) <= Alpha: rolling back when Λ >= 1/Alpha keeps
// the false-rollback probability at most Alpha whenever and however often
// the test looks, with traffic that varies in any way, and with a shared
// error rate that drifts over time (diurnal cycles cancel in the ratio).
//
// The mixture. Lindon & Malek put a conjugate prior on the candidate's share
// θ, which gives Λ in closed form with log-Beta functions when θ_t is the
// same in every period. Here θ_t changes with the weight and with every
// period's realised traffic, so the closed form does not apply; the prior is
// instead discrete, GridSize rate ratios spaced evenly in log ρ over
// [MinRatio, MaxRatio] with equal weights, for which Λ is exact and the
// guarantee above holds as stated (no approximation). The test is
// one-sided: it only ever rolls back a candidate that fails more often.
type Sequential struct {
	Alpha    float64       // bound on the false-rollback probability, e.g. 0.05
	Interval time.Duration // evaluation cadence (0: one minute)
	MinRatio float64       // smallest rate ratio the mixture weighs (0: 1.25)
	MaxRatio float64       // largest (0: 20)
}

// GridSize is the number of rate ratios in Sequential's mixture.
const GridSize = 32

func (p Sequential) interval() time.Duration {
	if p.Interval == 0 {
		return time.Minute
	}
	return p.Interval
}

func (p Sequential) ratios() (lo, hi float64) {
	lo, hi = p.MinRatio, p.MaxRatio
	if lo == 0 {
		lo = 1.25
	}
	if hi == 0 {
		hi = 20
	}
	return lo, hi
}

// Name is "sequential(α=0.05)".
func (p Sequential) Name() string { return fmt.Sprintf("sequential(α=%g)", p.Alpha) }

// Validate reports a bad setting.
func (p Sequential) Validate() error {
	e := func(field, value, rule string) error {
		return &ConfigError{Owner: "Sequential", Field: field, Value: value, Rule: rule}
	}
	lo, hi := p.ratios()
	switch {
	case !(p.Alpha > 0 && p.Alpha < 1):
		return e("Alpha", fmt.Sprint(p.Alpha), "must be in (0, 1)")
	case p.Interval < 0:
		return e("Interval", p.Interval.String(), "must be >= 0 (0 for one minute)")
	case !(lo > 1) || math.IsInf(lo, 0):
		return e("MinRatio", fmt.Sprint(p.MinRatio), "must be > 1 (0 for 1.25)")
	case !(hi >= lo) || math.IsInf(hi, 0):
		return e("MaxRatio", fmt.Sprint(p.MaxRatio), fmt.Sprintf("must be finite and >= MinRatio (%g)", lo))
	}
	return nil
}

// Resolution is the evaluation interval: the test sums whole periods of any
// resolution, and looking once per period is all it can use.
func (p Sequential) Resolution() time.Duration { return p.interval() }

// Start returns the per-run state, a *SequentialMonitor.
func (p Sequential) Start() Monitor { return p.NewMonitor() }

// NewMonitor is Start with the concrete type.
func (p Sequential) NewMonitor() *SequentialMonitor {
	m := &SequentialMonitor{p: p, threshold: math.Log(1 / p.Alpha), logPrior: -math.Log(GridSize)}
	lo, hi := p.ratios()
	for g := range m.logRho {
		f := 0.0
		if GridSize > 1 {
			f = float64(g) / (GridSize - 1)
		}
		m.logRho[g] = math.Log(lo) + float64(f*(math.Log(hi)-math.Log(lo))) // converted: no fused multiply-add on arm64
		m.rhoM1[g] = math.Exp(m.logRho[g]) - 1
	}
	m.logMix = 0
	return m
}

// SequentialMonitor is the per-run state of Sequential.
type SequentialMonitor struct {
	p         Sequential
	threshold float64 // log(1/Alpha)
	logPrior  float64
	logRho    [GridSize]float64
	rhoM1     [GridSize]float64 // ρ-1
	logL      [GridSize]float64 // log L(ρ_g) so far
	logMix    float64           // log Λ
	maxLogMix float64
	consumed  int // base periods already counted
	c, d      float64
	a, b      float64
}

// Next returns the next multiple of the interval after t.
func (m *SequentialMonitor) Next(t time.Duration) time.Duration {
	return nextTick(t, m.p.interval(), 0)
}

// Evaluate adds the periods that became visible and rolls back when the
// mixture likelihood ratio reaches 1/Alpha.
func (m *SequentialMonitor) Evaluate(obs Observation) Decision {
	if obs.Series != nil {
		for ; m.consumed < len(obs.Series.Periods); m.consumed++ {
			pd := &obs.Series.Periods[m.consumed]
			cd, bd := &pd.Dims[metrics.Candidate], &pd.Dims[metrics.Baseline]
			m.Add(cd.Invocations, cd.Errors, bd.Invocations, bd.Errors)
		}
	}
	if m.logMix < m.threshold {
		return Decision{}
	}
	return Decision{Rollback: true, Alarm: m.p.Name(), Reason: fmt.Sprintf(
		"sequential test: likelihood ratio %.3g >= 1/α = %g (candidate %g errors / %g invocations, baseline %g / %g; always-valid p = %.3g)",
		math.Exp(m.logMix), 1/m.p.Alpha, m.c, m.a, m.d, m.b, m.PValue())}
}

// Add counts one period: candidate invocations a with c errors, baseline
// invocations b with d errors. A period in which either version served
// nothing, or nothing failed, carries no information about the ratio.
func (m *SequentialMonitor) Add(a, c, b, d float64) {
	m.a += a
	m.b += b
	m.c += c
	m.d += d
	n := c + d
	if a <= 0 || b <= 0 || n <= 0 {
		return
	}
	theta := a / (a + b)
	mx := math.Inf(-1)
	for g := range m.logL {
		m.logL[g] += float64(c*m.logRho[g]) - float64(n*math.Log1p(m.rhoM1[g]*theta))
		if m.logL[g] > mx {
			mx = m.logL[g]
		}
	}
	var s float64
	for g := range m.logL {
		s += math.Exp(m.logL[g] - mx)
	}
	m.logMix = mx + math.Log(s) + m.logPrior
	if m.logMix > m.maxLogMix {
		m.maxLogMix = m.logMix
	}
}

// LogLR is log Λ, the log of the mixture likelihood ratio so far.
func (m *SequentialMonitor) LogLR() float64 { return m.logMix }

// PValue is the always-valid p-value min(1, 1/max Λ): at any stopping time,
// P(PValue <= x) <= x under H0.
func (m *SequentialMonitor) PValue() float64 { return math.Min(1, math.Exp(-m.maxLogMix)) }
