package metrics

import (
	"math"
	"sync"
)

// The critical values of the confidence intervals, computed the same way on
// every architecture. math.Exp and math.Log have assembly on amd64 and
// arm64 and pure Go on 386, so they differ in their last bits, and arm64
// fuses a*b+c into one instruction; gonum's quantile functions inherit
// both, and a table printed on a laptop would not match the one from CI.
// Here every operation is +, -, *, / or math.Sqrt (correctly rounded IEEE
// operations everywhere), with an explicit float64() around each product
// that is then added, which the Go specification says must be rounded on
// its own, so no multiply-add is fused.

// expNeg is e^x for -750 <= x <= 0: x = k·ln 2 + r with |r| <= ln2/2
// (Cody–Waite, ln 2 split in two so that k·ln2Hi is exact), then 24 terms
// of the Taylor series of e^r, then an exact scaling by 2^k.
func expNeg(x float64) float64 {
	if x < -750 {
		return 0
	}
	const (
		ln2Hi = 6.93147180369123816490e-01 // 0x3FE62E42FEE00000: k·ln2Hi is exact for |k| < 2^20
		ln2Lo = 1.90821492927058770002e-10 // ln 2 - ln2Hi
	)
	k := math.Floor(float64(x*math.Log2E) + 0.5)
	r := float64(x-float64(k*ln2Hi)) - float64(k*ln2Lo)
	s := 1.0
	for n := 24; n >= 1; n-- {
		s = 1 + float64(float64(r/float64(n))*s)
	}
	return math.Ldexp(s, int(k))
}

// normalCentral is P(0 <= Z <= z) for a standard normal Z and z >= 0:
// φ(z)·Σ z^(2k+1)/(1·3·…·(2k+1)), a series of positive terms (no
// cancellation) that converges for every z.
func normalCentral(z float64) float64 {
	const invSqrt2Pi = 0.398942280401432677939946059934381868475858631164934657665925
	z2 := float64(z * z)
	term, sum := z, z
	for k := 1; k < 2000; k++ {
		term = float64(term*z2) / float64(2*k+1)
		next := sum + term
		if next == sum {
			break
		}
		sum = next
	}
	return float64(expNeg(-z2/2)*invSqrt2Pi) * sum
}

// zCritical is the two-sided standard normal critical value at level: the
// z with P(|Z| <= z) = level (1.959963984540054 at 0.95), by bisection on
// normalCentral until the interval is two adjacent float64.
func zCritical(level float64) float64 {
	if !(level > 0 && level < 1) {
		return math.NaN()
	}
	lo, hi := 0.0, 40.0
	for {
		mid := lo + float64((hi-lo)/2) // converted: not fused into a multiply-add on arm64
		if mid == lo || mid == hi {
			return mid
		}
		if 2*normalCentral(mid) < level {
			lo = mid
		} else {
			hi = mid
		}
	}
}

// atanUnit is arctan(x) for 0 <= x <= 1: two halvings of the angle
// (tan(θ/2) = x/(1+√(1+x²)), which leave x <= tan(π/16) < 0.2) and the
// alternating Taylor series.
func atanUnit(x float64) float64 {
	for range 2 {
		x = x / (1 + math.Sqrt(1+float64(x*x)))
	}
	x2 := float64(x * x)
	term, sum := x, x
	for k := 1; k < 60; k++ {
		term = -float64(term * x2)
		next := sum + term/float64(2*k+1)
		if next == sum {
			break
		}
		sum = next
	}
	return 4 * sum
}

// tDirectMax is the largest number of degrees of freedom tCritical sums
// the exact distribution function for; beyond, its expansion in 1/ν is
// exact to the last bits.
const tDirectMax = 1000

// tCritical is the two-sided Student t critical value with nu degrees of
// freedom at level: the t with P(|T| <= t) = level (12.706 for ν = 1 at
// 0.95, 1.96 as ν grows).
//
// For ν <= tDirectMax it solves A(t|ν) = level, where A is the
// distribution of |T| in closed form for whole ν (Abramowitz and Stegun
// 26.7.3 and 26.7.4): with θ = arctan(t/√ν), c = cos²θ,
//
//	ν even: A = sin θ · (1 + c/2 + 1·3/(2·4)·c² + … + 1·3·…·(ν-3)/(2·4·…·(ν-2))·c^((ν-2)/2))
//	ν odd:  A = (2/π)·(θ + sin θ cos θ · (1 + 2/3·c + 2·4/(3·5)·c² + … + 2·4·…·(ν-3)/(3·5·…·(ν-2))·c^((ν-3)/2)))
//
// by bisection on c, and returns √ν·tan θ. Beyond it uses the
// Cornish–Fisher expansion in powers of 1/ν around the normal critical
// value (Abramowitz and Stegun 26.7.5), whose first omitted term is below
// 1e-15 of t there.
func tCritical(level float64, nu int64) float64 {
	if !(level > 0 && level < 1) || nu < 1 {
		return math.NaN()
	}
	if nu > tDirectMax {
		return tExpansion(level, nu)
	}
	return tDirect(level, nu)
}

// tExpansion is the Cornish–Fisher expansion of tCritical.
func tExpansion(level float64, nu int64) float64 {
	{
		x := zCritical(level)
		n := float64(nu)
		x2 := float64(x * x)
		poly := func(cs ...float64) float64 { // Σ cs[i]·x^(2i+1), Horner in x²
			s := 0.0
			for i := len(cs) - 1; i >= 0; i-- {
				s = float64(s*x2) + cs[i]
			}
			return float64(s * x)
		}
		g1 := float64(poly(1, 1) / 4) // converted: no fused multiply-add on arm64
		g2 := float64(poly(3, 16, 5) / 96)
		g3 := float64(poly(-15, 17, 19, 3) / 384)
		g4 := float64(poly(-945, -1920, 1482, 776, 79) / 92160)
		return x + (g1+(g2+(g3+g4/n)/n)/n)/n
	}
}

// tDirect is tCritical from the exact distribution function.
func tDirect(level float64, nu int64) float64 {
	// The coefficients of the polynomial in c, once for all evaluations.
	m := (nu - 2) / 2
	if nu%2 == 1 {
		m = (nu - 3) / 2
	}
	coef := make([]float64, max(m, 0)+1) // ν = 1 has no polynomial (coef unused)
	coef[0] = 1
	for k := int64(1); k <= m; k++ {
		if nu%2 == 0 {
			coef[k] = coef[k-1] * float64(2*k-1) / float64(2*k)
		} else {
			coef[k] = coef[k-1] * float64(2*k) / float64(2*k+1)
		}
	}
	// a(c) = A(t|ν) as a function of c = cos²θ, decreasing from 1 at c = 0.
	a := func(c float64) float64 {
		sin, cos := math.Sqrt(1-c), math.Sqrt(c)
		sum := 0.0
		for k := len(coef) - 1; k >= 0; k-- {
			sum = float64(sum*c) + coef[k]
		}
		if nu%2 == 0 {
			return float64(sin * sum)
		}
		var theta float64 // arctan(sin/cos) with the argument in [0, 1]
		if sin <= cos {
			theta = atanUnit(sin / cos)
		} else {
			theta = math.Pi/2 - atanUnit(cos/sin)
		}
		if nu == 1 {
			return theta * (2 / math.Pi)
		}
		return (theta + float64(float64(sin*cos)*sum)) * (2 / math.Pi)
	}
	lo, hi := 0.0, 1.0
	for {
		mid := lo + float64((hi-lo)/2) // converted: not fused into a multiply-add on arm64
		if mid == lo || mid == hi {
			break
		}
		if a(mid) > level {
			lo = mid
		} else {
			hi = mid
		}
	}
	c := lo + float64((hi-lo)/2)
	return math.Sqrt(float64(nu)) * math.Sqrt((1-c)/c)
}

// criticalCache remembers t critical values: a table asks for the same
// (level, ν) for every figure of every row.
var criticalCache struct {
	sync.Mutex
	m map[criticalKey]float64
}

type criticalKey struct {
	level float64
	nu    int64
}

// criticalValue is tCritical (zCritical for nu = 0), remembered (at most
// 4096 values).
func criticalValue(level float64, nu int64) float64 {
	k := criticalKey{level, nu}
	criticalCache.Lock()
	v, ok := criticalCache.m[k]
	criticalCache.Unlock()
	if ok {
		return v
	}
	if nu == 0 {
		v = zCritical(level)
	} else {
		v = tCritical(level, nu)
	}
	criticalCache.Lock()
	if criticalCache.m == nil || len(criticalCache.m) >= 4096 {
		criticalCache.m = map[criticalKey]float64{}
	}
	criticalCache.m[k] = v
	criticalCache.Unlock()
	return v
}
