package sim

import (
	"github.com/deploysim/deploysim/internal/xmath"
	"math"
	"math/rand/v2"
)

// zipf draws user ranks 0..n-1 with P(k) ∝ 1/(k+1)^s for any s >= 0, by
// rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to
// generate variates from monotone discrete distributions", ACM TOMACS 1996),
// as Apache Commons' RejectionInversionZipfSampler does. It needs O(1)
// memory and a few draws per sample whatever n, where an alias table would
// need O(n) memory per population. (math/rand/v2's Zipf requires s > 1;
// user activity is often near s = 1.)
type zipf struct {
	n                  float64
	s                  float64
	hIntegralX1        float64
	hIntegralN         float64
	sCut               float64
	uniform, exponent0 bool
}

func newZipf(n int, s float64) zipf {
	z := zipf{n: float64(n), s: s}
	if s == 0 {
		z.uniform = true
		return z
	}
	z.hIntegralX1 = z.hIntegral(1.5) - 1
	z.hIntegralN = z.hIntegral(z.n + 0.5)
	z.sCut = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

// sample returns a rank in [0, n).
func (z *zipf) sample(r *rand.Rand) int {
	if z.uniform {
		return int(r.Float64() * z.n)
	}
	for {
		u := z.hIntegralN + float64(r.Float64()*(z.hIntegralX1-z.hIntegralN)) // converted: no fused multiply-add on arm64
		x := z.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.sCut || u >= z.hIntegral(k+0.5)-z.h(k) {
			return int(k) - 1
		}
	}
}

// h is the unnormalised probability x^-s.
func (z *zipf) h(x float64) float64 { return xmath.Exp(-z.s * xmath.Log(x)) }

// hIntegral is ∫_1^x t^-s dt = (x^(1-s) - 1)/(1-s) (log x at s = 1).
func (z *zipf) hIntegral(x float64) float64 {
	lx := xmath.Log(x)
	return helper2((1-z.s)*lx) * lx
}

func (z *zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 {
		t = -1 // numerical safety: the true value is never below -1
	}
	return xmath.Exp(helper1(t) * x)
}

// helper1 is log1p(x)/x, continuous at 0.
func helper1(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return xmath.Log1p(x) / x
	}
	return 1 - float64(x*(0.5-float64(x*(1.0/3-float64(0.25*x))))) // converted: no fused multiply-add on arm64
}

// helper2 is expm1(x)/x, continuous at 0.
func helper2(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return xmath.Expm1(x) / x
	}
	return 1 + float64(x*0.5*(1+float64(x*(1.0/3)*(1+float64(0.25*x)))))
}

// userSet remembers which users saw a candidate failure.
type userSet struct {
	bits []uint64
	n    int64
}

func (u *userSet) reset(n int) {
	words := (n + 63) / 64
	if cap(u.bits) < words {
		u.bits = make([]uint64, words)
	} else {
		u.bits = u.bits[:words]
		clear(u.bits)
	}
	u.n = 0
}

func (u *userSet) add(k int) {
	w, b := k>>6, uint64(1)<<(k&63)
	if u.bits[w]&b == 0 {
		u.bits[w] |= b
		u.n++
	}
}
