package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBucketIndexMatchesDefinition checks that BucketIndex is the smallest
// i with v <= gamma^i, gamma^i exact: at every bound of a sample of
// buckets (computed from the exact power by exactBucketEntry, which the
// tables must equal) the bound is in bucket i and the next float64 in
// bucket i+1, and the float64 formula ceil(ln v / ln gamma) agrees with it
// on random values, which lie far from a bound.
func TestBucketIndexMatchesDefinition(t *testing.T) {
	step := 7
	if testing.Short() {
		step = 97
	}
	for k := 0; k < len(bucketBound); k += step {
		i := bucketFastMin + k
		b, u, v := exactBucketEntry(i)
		if b != bucketBound[k] || u != bucketUpperTab[k] || v != bucketValTab[k] {
			t.Fatalf("bucket %d: tables (%v, %v, %v), exact (%v, %v, %v)", i, bucketBound[k], bucketUpperTab[k], bucketValTab[k], b, u, v)
		}
		if b < math.Ldexp(1, bucketFastMinExp) || b >= math.Ldexp(1, bucketFastMaxExp+1) {
			continue // the slack buckets at both ends, outside the fast path
		}
		if got := BucketIndex(b); got != i {
			t.Fatalf("BucketIndex(bound %v) = %d, want %d", b, got, i)
		}
		if next := math.Nextafter(b, math.Inf(1)); BucketIndex(next) != i+1 {
			t.Fatalf("BucketIndex(%v, just above bound %d) = %d, want %d", next, i, BucketIndex(next), i+1)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		// log-uniform over 1e-9 .. 1e19, the fast range
		v := math.Exp(r.Float64()*(math.Log(1e19)-math.Log(1e-9)) + math.Log(1e-9))
		got := BucketIndex(v)
		if want := bucketIndexSlow(v); got != want {
			if k := got - bucketFastMin; k < 0 || k >= len(bucketBound) || math.Abs(v-bucketBound[k]) > 1e-12*v && math.Abs(v-bucketBound[max(k-1, 0)]) > 1e-12*v {
				t.Fatalf("BucketIndex(%v) = %d, float formula gives %d away from a bound", v, got, want)
			}
		}
	}
	for _, v := range []float64{math.Ldexp(1, bucketFastMaxExp+1), math.MaxFloat64, math.Inf(1), 5e-324} {
		if got, want := BucketIndex(v), bucketIndexSlow(v); got != want {
			t.Errorf("BucketIndex(%v) = %d, outside the tables it is the float formula: %d", v, got, want)
		}
	}
}

// The bounds are the bucket edges gamma^i: each is within a relative 1e-12
// of math.Exp's gamma^i.
func TestBucketBoundNearUpper(t *testing.T) {
	for k, b := range bucketBound {
		u := math.Exp(float64(bucketFastMin+k) * sketchLogGamma)
		if math.Abs(b-u) > 1e-12*u || math.Abs(BucketUpper(bucketFastMin+k)-u) > 1e-12*u {
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
