package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBucketIndexMatchesDefinition checks that the table-driven BucketIndex
// is the same function as its definition ceil(ln v / ln gamma). Away from a
// bucket bound the quotient is far from an integer and any faithful log gives
// the same ceiling, so the values that could differ are those next to a
// bound: every float64 within `window` ulps of each bound of the fast range
// is checked, then random values across the whole positive range.
func TestBucketIndexMatchesDefinition(t *testing.T) {
	window := 4096
	if testing.Short() {
		window = 256
	}
	for k, b := range bucketBound {
		up, down := b, b
		for range window {
			for _, v := range [2]float64{up, down} {
				if got, want := BucketIndex(v), bucketIndexSlow(v); got != want {
					t.Fatalf("BucketIndex(%v) = %d, definition gives %d (bound %d)", v, got, want, k)
				}
			}
			up = math.Nextafter(up, math.Inf(1))
			down = math.Nextafter(down, 0)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		// log-uniform over 1e-12 .. 1e22, across both ends of the fast range
		v := math.Exp(r.Float64()*(math.Log(1e22)-math.Log(1e-12)) + math.Log(1e-12))
		if got, want := BucketIndex(v), bucketIndexSlow(v); got != want {
			t.Fatalf("BucketIndex(%v) = %d, definition gives %d", v, got, want)
		}
	}
	for _, v := range []float64{1e-9, math.Nextafter(1e-9, 1), 1, math.Ldexp(1, bucketFastMinExp),
		math.Ldexp(1, bucketFastMaxExp+1), math.Nextafter(math.Ldexp(1, bucketFastMaxExp+1), 0),
		math.MaxFloat64, math.Inf(1), 5e-324} {
		if got, want := BucketIndex(v), bucketIndexSlow(v); got != want {
			t.Errorf("BucketIndex(%v) = %d, definition gives %d", v, got, want)
		}
	}
}

// The bounds are the bucket edges gamma^i, up to the rounding of math.Log and
// math.Exp: each is within a relative 1e-12 of BucketUpper.
func TestBucketBoundNearUpper(t *testing.T) {
	for k, b := range bucketBound {
		u := BucketUpper(bucketFastMin + k)
		if math.Abs(b-u) > 1e-12*u {
			t.Errorf("bucketBound[%d] = %v, BucketUpper = %v", k, b, u)
		}
	}
}

func BenchmarkBucketIndex(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]float64, 1024)
	for i := range vs {
		vs[i] = math.Exp(r.NormFloat64() + 3)
	}
	b.ReportAllocs()
	s := 0
	for i := 0; b.Loop(); i++ {
		s += BucketIndex(vs[i&1023])
	}
	sink = s
}

func BenchmarkBucketIndexSlow(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]float64, 1024)
	for i := range vs {
		vs[i] = math.Exp(r.NormFloat64() + 3)
	}
	b.ReportAllocs()
	s := 0
	for i := 0; b.Loop(); i++ {
		s += bucketIndexSlow(vs[i&1023])
	}
	sink = s
}

var sink int
