package sim

import (
	"math"
	"math/rand/v2"
)

// Exact samplers for the bucketed engine. gonum's distuv samplers build a
// rand.Rand per call (an allocation per draw) and take float counts; these
// draw from the run's *rand.Rand and allocate nothing. Each is exact in
// distribution (up to float64 arithmetic): inversion for small means,
// rejection with an exact acceptance test otherwise.

// poissonDraw draws Poisson(mu). Below mean 10 it inverts the CDF
// sequentially (the expected number of steps is mu+1); above, it is
// Hörmann's PTRS transformed rejection ("The transformed rejection method
// for generating Poisson random variables", Insurance: Mathematics and
// Economics 12(1), 1993), as gonum's distuv.Poisson does.
func poissonDraw(r *rand.Rand, mu float64) int64 {
	if !(mu > 0) {
		return 0
	}
	if mu < 10 {
		// Sequential inversion; a draw that runs past 100 (probability
		// below 1e-40 at mu < 10) is only float rounding: draw again.
		for {
			u := r.Float64()
			p := math.Exp(-mu)
			c := p
			var k int64
			for u > c && k < 100 {
				k++
				p *= mu / float64(k)
				c += p
			}
			if k < 100 {
				return k
			}
		}
	}
	logMu := math.Log(mu)
	b := 0.931 + 2.53*math.Sqrt(mu)
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mu + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v*invAlpha/(a/(us*us)+b)) <= k*logMu-mu-lg {
			return int64(k)
		}
	}
}

// binomialDraw draws Binomial(n, p). It works with q = min(p, 1-p); for a
// mean n·q below 10 it inverts the CDF (Kachitvichyanukul and Schmeiser's
// BINV: expected n·q+1 steps, whatever n); above, it is the rejection method
// with a Lorentzian envelope of Numerical Recipes (2nd ed., §7.3), which
// gonum's distuv.Binomial also uses, and whose acceptance test uses the exact
// probability mass.
func binomialDraw(r *rand.Rand, n int64, p float64) int64 {
	if n <= 0 || !(p > 0) {
		return 0
	}
	if p >= 1 {
		return n
	}
	q := p
	if p > 0.5 {
		q = 1 - p
	}
	nf := float64(n)
	mean := nf * q
	var k int64
	if mean < 10 {
		k = binomialInversion(r, n, q)
	} else {
		g, _ := math.Lgamma(nf + 1)
		lq, lq1 := math.Log(q), math.Log1p(-q)
		sq := math.Sqrt(2 * mean * (1 - q))
		for {
			var em, y float64
			for {
				y = math.Tan(math.Pi * r.Float64())
				em = sq*y + mean
				if em >= 0 && em < nf+1 {
					break
				}
			}
			em = math.Floor(em)
			l1, _ := math.Lgamma(em + 1)
			l2, _ := math.Lgamma(nf - em + 1)
			t := 1.2 * sq * (1 + y*y) * math.Exp(g-l1-l2+em*lq+(nf-em)*lq1)
			if r.Float64() <= t {
				k = int64(em)
				break
			}
		}
	}
	if q != p {
		return n - k
	}
	return k
}

// binomialInversion is BINV for q <= 0.5 and a small mean.
func binomialInversion(r *rand.Rand, n int64, q float64) int64 {
	s := q / (1 - q)
	a := float64(n+1) * s
	p0 := math.Exp(float64(n) * math.Log1p(-q))
	for {
		u := r.Float64()
		p := p0
		var k int64
		for u > p {
			u -= p
			k++
			if k > n {
				break // rounding: draw again
			}
			p *= a/float64(k) - s
			if p <= 0 {
				k = n + 1
				break
			}
		}
		if k <= n {
			return k
		}
	}
}

// gammaDraw draws Gamma(shape, 1) by Marsaglia and Tsang's method ("A simple
// method for generating gamma variables", ACM TOMS 26(3), 2000), with the
// usual U^(1/shape) boost for shape < 1.
func gammaDraw(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaDraw(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// orderStat draws the k-th smallest (1-based) of n independent uniforms on
// [0, 1): it is Beta(k, n-k+1), the ratio of two gamma draws.
func orderStat(r *rand.Rand, k, n int64) float64 {
	x := gammaDraw(r, float64(k))
	y := gammaDraw(r, float64(n-k+1))
	return x / (x + y)
}
