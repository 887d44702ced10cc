package xmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Exp and Log are the standard library's pure-Go algorithms: on random
// arguments over their useful range they agree with math.Exp and math.Log
// (assembly on amd64) within 2 ulps (each claims to be within 1 ulp of the true value).
func TestAgreesWithMath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ulps := func(a, b float64) int64 {
		d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
		if d < 0 {
			d = -d
		}
		return d
	}
	for i := 0; i < 200000; i++ {
		x := (r.Float64() - 0.5) * 1400
		if d := ulps(Exp(x), math.Exp(x)); d > 2 {
			t.Fatalf("Exp(%v) = %v, math.Exp = %v (%d ulps)", x, Exp(x), math.Exp(x), d)
		}
		y := math.Exp((r.Float64() - 0.5) * 1400)
		if d := ulps(Log(y), math.Log(y)); d > 2 {
			t.Fatalf("Log(%v) = %v, math.Log = %v (%d ulps)", y, Log(y), math.Log(y), d)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {math.Inf(-1), 0}, {800, math.Inf(1)}, {-800, 0},
	} {
		if got := Exp(c.x); got != c.want {
			t.Errorf("Exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(Exp(math.NaN())) || !math.IsNaN(Log(-1)) || !math.IsInf(Log(0), -1) || Log(1) != 0 {
		t.Error("special cases of Exp or Log")
	}
	if got := Pow(2, 10); math.Abs(got-1024) > 1e-12 {
		t.Errorf("Pow(2, 10) = %v", got)
	}
}

// The values on fixed arguments are pinned bit for bit: these bits are those
// of the algorithm in exact IEEE double arithmetic (no fused multiply-add),
// which GOARCH=386 (SSE2) computes and amd64 must reproduce; a port that
// fused an operation or fell back to assembly would change some of them.
func TestBitsPinned(t *testing.T) {
	var h uint64 = 14695981039346656037
	mix := func(v float64) {
		h ^= math.Float64bits(v)
		h *= 1099511628211
	}
	for i := 1; i <= 10000; i++ {
		x := float64(float64(i)*0.0137) - 70 // converted: no fused multiply-add on arm64
		mix(Exp(x))
		mix(Log(float64(i) * 0.731))
	}
	const want = 0x8d84d68429ec6b33
	if h != want {
		t.Errorf("hash of 20,000 values = %#x, want %#x", h, uint64(want))
	}
}

// Every function of the package against its math counterpart over its
// useful range: within 4 ulps, as both are within 1 ulp of the true value
// and Erf, Erfc and Lgamma multiply results of Exp or Log, which on amd64
// math computes with assembly and this package without.
func TestMsunAgreesWithMath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ulps := func(a, b float64) int64 {
		if a == b {
			return 0
		}
		d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
		if d < 0 {
			d = -d
		}
		return d
	}
	lg := func(x float64) float64 { v, _ := Lgamma(x); return v }
	mlg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	for _, c := range []struct {
		name   string
		f, ref func(float64) float64
		lo, hi float64
	}{
		{"Log1p", Log1p, math.Log1p, -0.999, 10},
		{"Expm1", Expm1, math.Expm1, -40, 40},
		{"Erf", Erf, math.Erf, -6, 6},
		{"Erfc", Erfc, math.Erfc, -6, 27},
		{"Lgamma", lg, mlg, 0.001, 1e6},
	} {
		for i := 0; i < 100000; i++ {
			x := c.lo + r.Float64()*(c.hi-c.lo)
			if d := ulps(c.f(x), c.ref(x)); d > 4 {
				t.Fatalf("%s(%v) = %v, math: %v (%d ulps)", c.name, x, c.f(x), c.ref(x), d)
			}
		}
	}
}

// scale, Exp's shortcut for math.Ldexp, gives Ldexp's bits for every k
// where it multiplies and at the boundaries where it hands over, for y over
// the range Exp's reduction yields (e^r with |r| ≤ ln(2)/2, rounded) and
// the edges of [0.5, 2).
func TestScaleIsLdexp(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ys := []float64{0.5, math.Nextafter(2, 0), 1, math.Sqrt2, 1 / math.Sqrt2}
	for i := 0; i < 64; i++ {
		ys = append(ys, 0.70+r.Float64()*0.72)
	}
	for _, y := range ys {
		for k := -1100; k <= 1100; k++ {
			if got, want := scale(y, k), math.Ldexp(y, k); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("scale(%v, %d) = %v, math.Ldexp = %v", y, k, got, want)
			}
		}
	}
}
