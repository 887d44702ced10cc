// Package xmath holds the elementary functions whose results must be the
// same bit for bit on every GOARCH: the pure-Go algorithms of the standard
// library's math package (Exp, Log, Log1p, Expm1, Erf, Erfc, Lgamma; from
// FreeBSD's msun), with every product that feeds a sum wrapped in an explicit float64
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

// Pow returns x**y for x > 0 as Exp(y·Log(x)): within a few ulps of
// math.Pow for the moderate arguments the simulator uses (weights of a Zipf
// law), and the same on every GOARCH.
func Pow(x, y float64) float64 {
	if x == 1 || y == 0 {
		return 1
	}
	return Exp(float64(y * Log(x)))
}
