package metrics

import "math"

// SketchAccuracy is the relative accuracy of Sketch quantiles: a quantile
// estimate q̂ of a true sample quantile q > 0 satisfies |q̂-q| <= SketchAccuracy·q.
// It is the DDSketch guarantee (Masson, Rim, Lee, VLDB 2019) for log-spaced
// buckets with ratio gamma = (1+a)/(1-a).
const SketchAccuracy = 0.01

var (
	sketchGamma    = (1 + SketchAccuracy) / (1 - SketchAccuracy)
	sketchLogGamma = math.Log(sketchGamma)
)

// Sketch is a mergeable quantile sketch of non-negative values (latencies in
// seconds, concurrency). Buckets are log-spaced with a fixed global indexing,
// so merging two sketches adds bucket counts and is exact: the merge of the
// sketches of two samples is the sketch of their union. Count, Sum, Min and
// Max are exact. The zero value is an empty sketch ready to use.
type Sketch struct {
	count    float64
	sum      float64
	min, max float64
	zeros    float64   // values <= minIndexable
	offset   int       // bucket index of counts[0]
	counts   []float64 // counts[i] holds values in (gamma^(offset+i-1), gamma^(offset+i)]
}

// minIndexable: values at or below it (1 ns when values are seconds) land in the zero bucket.
const minIndexable = 1e-9

// BucketIndex returns the index of the bucket that holds v (> minIndexable).
func BucketIndex(v float64) int { return int(math.Ceil(math.Log(v) / sketchLogGamma)) }

// BucketUpper returns the upper bound gamma^i of bucket i; bucket i holds
// values in (BucketUpper(i-1), BucketUpper(i)].
func BucketUpper(i int) float64 { return math.Exp(float64(i) * sketchLogGamma) }

// bucketValue is the value reported for bucket i: the point that keeps the
// relative error within SketchAccuracy for every value in the bucket.
func bucketValue(i int) float64 { return 2 * BucketUpper(i) / (1 + sketchGamma) }

// Add records one value.
func (s *Sketch) Add(v float64) { s.AddN(v, 1) }

// AddN records n copies of value v.
func (s *Sketch) AddN(v float64, n float64) {
	if n <= 0 || math.IsNaN(v) {
		return
	}
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count += n
	s.sum += v * n
	if v <= minIndexable {
		s.zeros += n
		return
	}
	s.addBucket(BucketIndex(v), n)
}

// AddBucket records n values known only to lie in bucket i (used by the bucketed
// engine, which draws bucket counts directly). It updates Count, and Sum, Min
// and Max from the bucket's representative value.
func (s *Sketch) AddBucket(i int, n float64) {
	if n <= 0 {
		return
	}
	v := bucketValue(i)
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count += n
	s.sum += v * n
	s.addBucket(i, n)
}

func (s *Sketch) addBucket(i int, n float64) {
	if len(s.counts) == 0 {
		if cap(s.counts) == 0 {
			s.counts = make([]float64, 1, 64)
		} else {
			s.counts = s.counts[:1]
			s.counts[0] = 0
		}
		s.offset = i
	}
	if i < s.offset {
		grow := s.offset - i
		s.counts = append(s.counts, make([]float64, grow)...)
		copy(s.counts[grow:], s.counts[:len(s.counts)-grow])
		for j := 0; j < grow; j++ {
			s.counts[j] = 0
		}
		s.offset = i
	}
	for i-s.offset >= len(s.counts) {
		s.counts = append(s.counts, 0)
	}
	s.counts[i-s.offset] += n
}

// Reset empties the sketch, keeping its memory for reuse.
func (s *Sketch) Reset() {
	c := s.counts[:0]
	*s = Sketch{counts: c}
}

// Merge adds every value recorded in o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || o.count == 0 {
		return
	}
	if s.count == 0 || o.min < s.min {
		s.min = o.min
	}
	if s.count == 0 || o.max > s.max {
		s.max = o.max
	}
	s.count += o.count
	s.sum += o.sum
	s.zeros += o.zeros
	for j, c := range o.counts {
		if c != 0 {
			s.addBucket(o.offset+j, c)
		}
	}
}

// Count is the number of values recorded.
func (s *Sketch) Count() float64 { return s.count }

// Sum is the sum of the values recorded.
func (s *Sketch) Sum() float64 { return s.sum }

// Min is the smallest value recorded (0 when empty).
func (s *Sketch) Min() float64 { return s.min }

// Max is the largest value recorded (0 when empty).
func (s *Sketch) Max() float64 { return s.max }

// Mean is Sum/Count (NaN when empty).
func (s *Sketch) Mean() float64 {
	if s.count == 0 {
		return math.NaN()
	}
	return s.sum / s.count
}

// Quantile returns the q-quantile (q in [0, 1]) of the recorded values: the
// value of rank ceil(q·Count) (nearest rank), within SketchAccuracy relative
// error, clamped to [Min, Max]. It returns NaN for an empty sketch.
func (s *Sketch) Quantile(q float64) float64 {
	if s.count == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q <= 0 {
		return s.min
	}
	if q >= 1 {
		return s.max
	}
	rank := math.Ceil(q * s.count)
	if rank < 1 {
		rank = 1
	}
	seen := s.zeros
	if seen >= rank {
		return s.min
	}
	for j, c := range s.counts {
		seen += c
		if seen >= rank {
			v := bucketValue(s.offset + j)
			return math.Max(s.min, math.Min(s.max, v))
		}
	}
	return s.max
}
