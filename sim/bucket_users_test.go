package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// usersHitExact is the bucketed engine's users-hit draw before issue 14,
// kept as the reference: exact, at a cost of one Zipf draw per failure up
// to N failures, then a multinomial walk over all N users.
func usersHitExact(r *rand.Rand, z *zipf, hit *userSet, n int, s float64, f int64) int64 {
	hit.reset(n)
	if f <= int64(n) {
		for i := int64(0); i < f; i++ {
			hit.add(z.sample(r))
		}
		return hit.n
	}
	total := 0.0
	for k := n; k >= 1; k-- {
		total += math.Pow(float64(k), -s)
	}
	rem, mass := f, 1.0
	var distinct int64
	for k := 1; k <= n && rem > 0; k++ {
		q := math.Pow(float64(k), -s) / total
		p := 1.0
		if k < n && mass > q {
			p = q / mass
		}
		c := binomialDraw(r, rem, p)
		if c > 0 {
			distinct++
		}
		rem -= c
		mass -= q
	}
	return distinct
}

// zipfWeights are the exact normalised weights w_k = k^-s / H.
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	total := 0.0
	for k := n; k >= 1; k-- {
		w[k-1] = math.Pow(float64(k), -s)
		total += w[k-1]
	}
	for k := range w {
		w[k] /= total
	}
	return w
}

// The draw's mean is the closed form E[D | f] = Σ_k 1-(1-w_k)^f, summed here
// over every user with math.Pow. Tolerance: 4.5 standard errors of the mean
// of the draws plus 1e-3 relative, the bound on the error of taking each
// weight class's users at their mean weight (a class spans weights within
// a factor 1.1^s; 1-(1-w)^f is concave in w, so the error is second order
// in the spread: below 2.5e-4 of each user's term at s = 1, 1e-3 at s = 2).
// Populations of 10,000 and 1,000,000 users; f from the direct regime to
// nearly everyone hit; exponents 0, 1 and 2.
func TestUsersHitClosedForm(t *testing.T) {
	for _, c := range []struct {
		n int
		s float64
		f int64
	}{
		{10000, 1, 100}, {10000, 1, 300}, {10000, 1, 3000}, {10000, 1, 30000}, {10000, 1, 200000},
		{10000, 0, 5000}, {10000, 0, 60000}, {10000, 2, 2000}, {10000, 0.5, 1000},
		{1000000, 1, 1000}, {1000000, 1, 100000}, {1000000, 1, 10000000}, {1000000, 0, 1000},
	} {
		t.Run(fmt.Sprintf("N=%d,s=%g,f=%d", c.n, c.s, c.f), func(t *testing.T) {
			w := zipfWeights(c.n, c.s)
			want := 0.0
			for _, wk := range w {
				want += 1 - math.Pow(1-wk, float64(c.f))
			}
			var u usersLaw
			u.init(c.n, c.s)
			r := rand.New(rand.NewPCG(7, uint64(c.f)))
			const m = 4000
			var sum, sum2 float64
			for range m {
				x := float64(u.draw(r, c.f))
				sum, sum2 = sum+x, sum2+x*x
			}
			mean := sum / m
			se := math.Sqrt(math.Max(0, sum2/m-mean*mean) / m)
			if d := math.Abs(mean - want); d > 4.5*se+1e-3*want {
				t.Errorf("mean distinct users %.3f, closed form %.3f (se %.3f)", mean, want, se)
			}
		})
	}
}

// The draws have the law of the exact occupancy draw (the pre-issue-14
// algorithm above, an independent exact reference) in every regime of the
// approximation: direct (f <= 256), normal, rare collisions, rare missed
// users. For each: a two-sample Kolmogorov–Smirnov test on m = 3,000 draws
// each (800 under the race detector, which slows the exact reference
// several times; p > 0.001: a false alarm one run in a thousand per case,
// and the test is conservative for integer values) and the variances'
// ratio within 4 standard errors of 1 (for normal-like samples the ratio's
// standard error is about sqrt(4/m): 15 % at m = 3,000).
func TestUsersHitLaw(t *testing.T) {
	for _, c := range []struct {
		n int
		s float64
		f int64
	}{
		{10000, 1, 200}, {10000, 1, 400}, {10000, 1, 3000}, {2000, 1, 10000}, {2000, 1, 40000},
		{100000, 0, 800}, {100000, 0, 20000}, {2000, 1.5, 900}, {50, 1, 400}, {300, 1, 3000},
		{10000000, 1, 1000}, {2000, 0, 6000}, {2000, 0.7, 5000},
	} {
		t.Run(fmt.Sprintf("N=%d,s=%g,f=%d", c.n, c.s, c.f), func(t *testing.T) {
			var u usersLaw
			u.init(c.n, c.s)
			r := rand.New(rand.NewPCG(11, uint64(c.f)))
			ref := rand.New(rand.NewPCG(12, uint64(c.f)))
			z := newZipf(c.n, c.s)
			var hit userSet
			m := 3000
			if raceEnabled {
				m = 800
			}
			x, y := make([]float64, m), make([]float64, m)
			for i := range m {
				x[i] = float64(u.draw(r, c.f))
				y[i] = float64(usersHitExact(ref, &z, &hit, c.n, c.s, c.f))
			}
			d, p := ksTest(x, y)
			vx, vy := variance(x), variance(y)
			if p < 0.001 {
				t.Errorf("KS D = %.4f, p = %.2g: means %.2f vs %.2f (exact), sd %.2f vs %.2f", d, p, mean(x), mean(y), math.Sqrt(vx), math.Sqrt(vy))
			}
			if vy > 0.5 && math.Abs(vx/vy-1) > 4*math.Sqrt(4/float64(m)) {
				t.Errorf("variance %.3f vs %.3f (exact)", vx, vy)
			}
			t.Logf("mean %.2f vs %.2f, sd %.3f vs %.3f, KS p %.3f", mean(x), mean(y), math.Sqrt(vx), math.Sqrt(vy), p)
		})
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func variance(x []float64) float64 {
	m := mean(x)
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x)-1)
}
