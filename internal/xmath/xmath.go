// Package xmath holds the few elementary functions whose results must be the
// same bit for bit on every GOARCH: the pure-Go algorithms of the standard
// library's math package (exp.go and log.go, themselves from FreeBSD's
// msun), with every product that feeds a sum wrapped in an explicit float64
// conversion.
//
// Why: math.Exp and math.Log run assembly on amd64 (and Exp on arm64,
// s390x) and the pure-Go code elsewhere, and the Go compiler may fuse x*y+z
// into one fused multiply-add on arm64, ppc64, riscv64 and s390x (the
// language specification allows it unless the product is converted
// explicitly). The two forms can differ in the last bit, so a random draw
// that compares against exp(…) could, rarely, go the other way on another
// machine, and the simulator promises the same numbers on any machine for
// the same seed. The conversions stop the fusion (Go spec, "Floating-point
// operators": "An explicit floating-point type conversion rounds to the
// precision of the target type, preventing fusion"); no assembly is used.
//
// The functions are correct to within 1 ulp like their math counterparts,
// but not always equal to them: use them where results feed a simulation.
package xmath

import "math"

// Exp returns e**x (math/exp.go's algorithm).
func Exp(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		log2e = 1.44269504088896338700e+00

		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28) // 2**-28
	)
	switch {
	case x != x || x > overflow:
		if x != x {
			return x
		}
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	case x > 0:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)
	return expmulti(hi, lo, k)
}

// expmulti returns e**r × 2**k where r = hi - lo and |r| ≤ ln(2)/2.
func expmulti(hi, lo float64, k int) float64 {
	const (
		p1 = 1.66666666666666657415e-01
		p2 = -2.77777777770155933842e-03
		p3 = 6.61375632143793436117e-05
		p4 = -1.65339022054652515390e-06
		p5 = 4.13813679705723846039e-08
	)
	r := hi - lo
	t := float64(r * r)
	c := r - float64(t*(p1+float64(t*(p2+float64(t*(p3+float64(t*(p4+float64(t*p5)))))))))
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}

// Log returns the natural logarithm of x (math/log.go's algorithm).
func Log(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	switch {
	case x != x || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (l1 + float64(s4*(l3+float64(s4*(l5+float64(s4*l7)))))))
	t2 := float64(s4 * (l2 + float64(s4*(l4+float64(s4*l6)))))
	r := t1 + t2
	hfsq := float64(0.5 * float64(f*f))
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// Pow returns x**y for x > 0 as Exp(y·Log(x)): within a few ulps of
// math.Pow for the moderate arguments the simulator uses (weights of a Zipf
// law), and the same on every GOARCH.
func Pow(x, y float64) float64 {
	if x == 1 || y == 0 {
		return 1
	}
	return Exp(float64(y * Log(x)))
}
