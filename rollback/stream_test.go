package rollback

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"gonum.org/v1/gonum/stat/distuv"
)

// stream is a synthetic per-minute metric stream of the kind the simulator's
// bucketed engine publishes: per period, arrivals ~ Poisson(rate(j)), each
// routed to the candidate with probability weight(j), each failing with
// probability pCand(j) or pBase(j). Latency sketches get one sample per
// invocation from a lognormal (median latMedian ms, candidate × latFactor).
type stream struct {
	rate         func(j int) float64
	weight       func(j int) float64
	pBase, pCand func(j int) float64
	latency      bool
	latFactor    float64
}

func constant(x float64) func(int) float64 { return func(int) float64 { return x } }

func (st stream) fill(rng *rand.Rand, s *metrics.Series, periods int) {
	if cap(s.Periods) < periods {
		s.Periods = make([]metrics.Period, periods)
	}
	s.Resolution = time.Minute
	s.Periods = s.Periods[:periods]
	pois := distuv.Poisson{Src: rng}
	bin := distuv.Binomial{Src: rng}
	draw := func(n, p float64) float64 {
		if n == 0 || p == 0 {
			return 0
		}
		bin.N, bin.P = n, p
		return bin.Rand()
	}
	for j := 0; j < periods; j++ {
		pd := &s.Periods[j]
		pd.Dims[metrics.Candidate].Reset()
		pd.Dims[metrics.Baseline].Reset()
		pois.Lambda = st.rate(j)
		total := pois.Rand()
		a := draw(total, st.weight(j))
		b := total - a
		c, d := &pd.Dims[metrics.Candidate], &pd.Dims[metrics.Baseline]
		c.Invocations, c.Errors = a, draw(a, st.pCand(j))
		d.Invocations, d.Errors = b, draw(b, st.pBase(j))
		if st.latency {
			for i := 0; i < int(a); i++ {
				c.Duration.Add(100 * st.latFactor * math.Exp(0.5*rng.NormFloat64()))
			}
			for i := 0; i < int(b); i++ {
				d.Duration.Add(100 * math.Exp(0.5*rng.NormFloat64()))
			}
		}
	}
}

// canary is the benchmark scenario: 50 req/s (3,000 per minute), the
// candidate at a constant 10 % (Canary10Percent30Minutes' canary phase),
// baseline error probability 1 %.
func canary(pCand float64) stream {
	return stream{rate: constant(3000), weight: constant(0.1), pBase: constant(0.01), pCand: constant(pCand)}
}

// detectAt runs a fresh monitor of p over s with zero ingestion delay and
// returns the period count at rollback (the number of visible periods), or
// -1 if it never rolled back within the series.
func detectAt(p Policy, s *metrics.Series) int {
	m := p.Start()
	vis := metrics.Series{Resolution: s.Resolution}
	horizon := time.Duration(len(s.Periods)) * s.Resolution
	for t := m.Next(0); t <= horizon; t = m.Next(t) {
		vis.Periods = s.Periods[:int(t/s.Resolution)]
		if m.Evaluate(Observation{Now: t, Series: &vis}).Rollback {
			return len(vis.Periods)
		}
	}
	return -1
}
