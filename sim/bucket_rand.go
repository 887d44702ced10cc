package sim

import (
	"github.com/deploysim/deploysim/internal/xmath"
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
			p := xmath.Exp(-mu)
			c := p
			var k int64
			for u > c && k < 100 {
				k++
				p *= mu / float64(k)
				c += float64(p) // converted: the product above is not fused into this sum on arm64
			}
			if k < 100 {
				return k
			}
		}
	}
	logMu := xmath.Log(mu)
	// Products are converted before a sum throughout: no fused multiply-add
	// on arm64, so the draws have the same bits on every GOARCH.
	b := 0.931 + float64(2.53*math.Sqrt(mu))
	a := -0.059 + float64(0.02483*b)
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := float64(r.Float64()) - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor(float64((2*a/us+b)*u) + mu + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := xmath.Lgamma(k + 1)
		if xmath.Log(v*invAlpha/(a/(us*us)+b)) <= float64(k*logMu)-mu-lg {
			return int64(k)
		}
	}
}

// binomialDraw draws Binomial(n, p). It works with q = min(p, 1-p); for a
// mean n·q below 10 it inverts the CDF (Kachitvichyanukul and Schmeiser's
// BINV: expected n·q+1 steps, whatever n); above, it is Hörmann's BTRS
// transformed rejection with squeeze ("The generation of binomial random
// variates", J. Statist. Comput. Simul. 46, 1993), as TensorFlow's sampler:
// most draws are accepted by the squeeze with two uniforms and no
// logarithm, the others by comparison with the log of the exact mass ratio
// (Stirling series tails, tabulated below 10).
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
	var k int64
	if nf*q < 10 {
		k = binomialInversion(r, n, q)
	} else {
		k = binomialBTRS(r, nf, q)
	}
	if q != p {
		return n - k
	}
	return k
}

// stirlingTail is log(k!) - [(k+½)log(k+1) - (k+1) + ½log(2π)]: the
// correction term of Stirling's series at k.
func stirlingTail(k float64) float64 {
	if k <= 9 {
		return stirlingTails[int(k)]
	}
	kp1sq := (k + 1) * (k + 1)
	return (1.0/12 - (1.0/360-1.0/1260/kp1sq)/kp1sq) / (k + 1)
}

var stirlingTails = [10]float64{
	0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
	0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
	0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
	0.00833056343336287,
}

// binomialBTRS is BTRS for p <= 0.5 and n·p >= 10.
func binomialBTRS(r *rand.Rand, n, p float64) int64 {
	q := 1 - p
	spq := math.Sqrt(n * p * q)
	// Products converted before sums: no fused multiply-add on arm64.
	b := 1.15 + float64(2.53*spq)
	a := -0.0873 + float64(0.0248*b) + float64(0.01*p)
	c := float64(n*p) + 0.5
	vr := 0.92 - 4.2/b
	rr := p / q
	alpha := (2.83 + 5.1/b) * spq
	m := math.Floor((n + 1) * p)
	for {
		u := float64(r.Float64()) - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor(float64((2*a/us+b)*u) + c)
		if k < 0 || k > n {
			continue
		}
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		v = xmath.Log(v * alpha / (a/(us*us) + b))
		bound := float64((m+0.5)*xmath.Log((m+1)/(rr*(n-m+1)))) +
			float64((n+1)*xmath.Log((n-m+1)/(n-k+1))) +
			float64((k+0.5)*xmath.Log(rr*(n-k+1)/(k+1))) +
			stirlingTail(m) + stirlingTail(n-m) - stirlingTail(k) - stirlingTail(n-k)
		if v <= bound {
			return int64(k)
		}
	}
}

// binomialInversion is BINV for q <= 0.5 and a small mean.
func binomialInversion(r *rand.Rand, n int64, q float64) int64 {
	s := q / (1 - q)
	a := float64(n+1) * s
	p0 := xmath.Exp(float64(n) * xmath.Log1p(-q))
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
		return gammaDraw(r, shape+1) * xmath.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + float64(c*x) // converted: no fused multiply-add on arm64
		if v <= 0 {
			continue
		}
		v = float64(v * v * v)
		u := r.Float64()
		if u < 1-float64(0.0331*x*x*x*x) || xmath.Log(u) < float64(0.5*x*x)+float64(d*(1-v+xmath.Log(v))) {
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

// hyperMode is the mode of Hypergeometric(n, m, k) and its mass, as
// Loader computes it (R's dhyper): a ratio of binomial masses at p = k/n,
// each from Stirling's remainder and the deviance bd0, so that nothing of
// the order of n·ln n cancels.
func hyperMode(n, m, k int64) (mode int64, mass float64) {
	lo, hi := max(0, k+m-n), min(k, m)
	mode = int64((float64(k+1) * float64(m+1)) / float64(n+2))
	mode = min(max(mode, lo), hi)
	p := float64(k) / float64(n)
	q := float64(n-k) / float64(n)
	return mode, binomMass(mode, m, p, q) * binomMass(k-mode, n-m, p, q) / binomMass(k, n, p, q)
}

// binomMass is the Binomial(n, p) mass at x (q = 1 − p), by Loader's
// saddle-point expansion ("Fast and accurate computation of binomial
// probabilities", 2000; R's dbinom_raw): exp(stirlerr(n) − stirlerr(x) −
// stirlerr(n−x) − bd0(x, np) − bd0(n−x, nq)) / sqrt(2π x (n−x)/n), accurate
// to a few ulps where log-gamma differences lose digits to cancellation.
func binomMass(x, n int64, p, q float64) float64 {
	switch {
	case n == 0:
		return 1
	case x == 0:
		return xmath.Exp(float64(n) * xmath.Log1p(-p))
	case x == n:
		return xmath.Exp(float64(n) * xmath.Log1p(-q))
	}
	xf, nf := float64(x), float64(n)
	lc := stirlerr(nf) - stirlerr(xf) - stirlerr(nf-xf) - bd0(xf, float64(nf*p)) - bd0(nf-xf, float64(nf*q))
	lf := float64(2*math.Pi*xf) * float64((nf-xf)/nf)
	return xmath.Exp(lc) / math.Sqrt(lf)
}

// stirlerr is ln n! − ((n+½) ln n − n + ln √(2π)), the remainder of
// Stirling's formula: from log-gamma up to 15, where nothing cancels much,
// and from its asymptotic series above.
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		lg, _ := xmath.Lgamma(n + 1)
		return lg - float64((n+0.5)*xmath.Log(n)) + n - float64(0.5*xmath.Log(2*math.Pi)) // converted: no fused multiply-add on arm64
	}
	nn := float64(n * n)
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	}
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0 is x ln(x/np) + np − x, the deviance term of Loader's expansion,
// by its series in v = (x−np)/(x+np) where x is near np (the closed form
// would cancel to nothing there).
func bd0(x, np float64) float64 {
	if math.Abs(x-np) >= 0.1*(x+np) {
		return float64(x*xmath.Log(x/np)) + np - x
	}
	v := (x - np) / (x + np)
	s := float64((x - np) * v)
	ej := float64(2 * x * v)
	v2 := float64(v * v)
	for j := 1; j < 1000; j++ {
		ej = float64(ej * v2)
		s1 := s + ej/float64(2*j+1)
		if s1 == s {
			return s1
		}
		s = s1
	}
	return s
}

// hypergeometricDraw draws how many of k items taken without replacement
// from n hold a mark that m of the n hold: Hypergeometric(n, m, k). The
// symmetries bring m and k to at most n/2; then it inverts the CDF
// outwards from the mode (Kemp's chop-down search), alternately up and
// down, each step a ratio of consecutive masses, so its expected cost is
// of the order of the standard deviation (a few hundred steps at the
// bucketed engine's largest groups) and it needs no rejection constants.
// The mass at the mode is Loader's (binomMass), accurate to a few ulps
// whatever n; a uniform that outruns the rounded masses draws again.
func hypergeometricDraw(r *rand.Rand, n, m, k int64) int64 {
	if n <= 0 || m <= 0 || k <= 0 {
		return 0
	}
	m, k = min(m, n), min(k, n)
	if 2*m > n {
		return k - hypergeometricDraw(r, n, n-m, k) // the unmarked among the k
	}
	if 2*k > n {
		return m - hypergeometricDraw(r, n, m, n-k) // the marked left out
	}
	lo, hi := max(0, k+m-n), min(k, m)
	mode, pm := hyperMode(n, m, k)
	nm, km, mm := float64(n-m), float64(k), float64(m)
	for {
		u := float64(r.Float64()) - pm
		if u < 0 {
			return mode
		}
		up, down := mode, mode
		pu, pd := pm, pm
		for up < hi || down > lo {
			if up < hi {
				// P(j+1)/P(j) = (m-j)(k-j) / ((j+1)(n-m-k+j+1))
				j := float64(up)
				pu = float64(pu * (float64((mm-j)*(km-j)) / float64((j+1)*(nm-km+j+1))))
				up++
				if u -= pu; u < 0 {
					return up
				}
			}
			if down > lo {
				// P(j-1)/P(j) = j(n-m-k+j) / ((m-j+1)(k-j+1))
				j := float64(down)
				pd = float64(pd * (float64(j*(nm-km+j)) / float64((mm-j+1)*(km-j+1))))
				down--
				if u -= pd; u < 0 {
					return down
				}
			}
		}
	}
}
