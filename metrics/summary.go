package metrics

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// DefaultConfidence is the level of the confidence intervals a Summary
// reports unless asked for another.
const DefaultConfidence = 0.95

// Summary is what many runs of one scenario add up to. It keeps, for every
// per-run Figure and separately for the bad and the healthy runs (see
// Population), the number of runs that had it, exact integer sums of the
// values and of their squares (counts as whole numbers, times in nanoseconds,
// the float figures in millionths), the exact minimum and maximum, the
// values themselves while there are at most ExactValues of them, and an
// integer-count quantile sketch with the buckets of Sketch; plus outcome
// counts and the counts behind the detection and false-rollback rates, and
// where its runs come from when SetOrigin says (a fingerprint and run
// ranges, which Merge checks).
//
// Because every part of that state is an integer that adds exactly, adding
// runs in any order, or merging the summaries of any split of the runs,
// gives the same state bit for bit, and so the same means, deviations,
// quantiles and intervals, which are derived only when read. That is what
// lets a sweep be sharded across processes and combined (see Merge).
//
// Quantiles are nearest-rank over runs: the exact order statistics of the
// stored values (the float figures are first rounded to a millionth) up to
// ExactValues runs, within SketchAccuracy relative error of them beyond
// (Stats.Exact says which). Everything derived is computed from the integer
// state with operations that round the same way on every architecture, so
// a table prints the same digits on amd64, arm64 and 386.
// Sums stay exact while |value| < 2^53 units (values beyond are clamped) and
// the sum of squares fits 127 bits: at least 2^20 runs of the largest value,
// far more for realistic ones.
//
// A Summary may hold bad runs, healthy runs or both: the runs of a
// scenario and of its healthy twin (sim.Scenario.Healthy) merged into one
// row answer both halves of the question, "if it is bad, how much does it
// hurt and how fast is it stopped; if it is good, how often is it rolled
// back anyway and how long does it take". Each figure is read over the runs
// it is about: Figure.Population says which, and Summary.Population applies
// the fallback for a Summary that has none of them.
//
// The zero value is an empty Summary ready to use. A Summary holds slices:
// copy it with Clone. A nil *Summary reads as an empty one (its readers
// return 0 runs, NaN figures and rates); Add needs a Summary to count
// into, and Merge returns an error for a nil one.
type Summary struct {
	runs           int64
	bad            int64 // runs with a bad candidate
	badStopped     int64 // bad runs rolled back or aborted
	healthyStopped int64 // healthy runs rolled back or aborted
	outcomes       [NumOutcomes]int64
	figs           [numPopulations][numRunFigures]accumulator
	origin         origin
}

// Population is the set of runs of a Summary that a figure is read over:
// the runs whose candidate had a fault (Run.Bad) or the others.
type Population uint8

const (
	// BadCandidate: runs whose candidate had a fault, where a figure says
	// what the fault costs (blast radius) and how fast it is stopped.
	BadCandidate Population = iota
	// HealthyCandidate: runs whose candidate was healthy, where a figure
	// says what releasing a good version costs (its duration).
	HealthyCandidate
	numPopulations
)

// String is "bad" or "healthy", the population's key in JSON.
func (p Population) String() string {
	switch p {
	case BadCandidate:
		return "bad"
	case HealthyCandidate:
		return "healthy"
	}
	return fmt.Sprintf("Population(%d)", p)
}

func populationOf(r *Run) Population {
	if r.Bad {
		return BadCandidate
	}
	return HealthyCandidate
}

// Population is the population figure f of s is read over by Stats,
// StatsAt, Quantile and Value: f.Population() when s holds runs of it,
// otherwise the other one. So a Summary of bad runs only, or of healthy
// runs only, reads every figure over all its runs, and a healthy-only sweep
// still shows its candidate's failures (those of healthy errors) and a
// bad-only one the duration of the deployments that missed the fault; once
// both kinds are merged, each figure describes the runs it is about. The
// choice depends only on the run counts, so it is the same for any order
// of adding or merging.
func (s *Summary) Population(f Figure) Population {
	s = s.orEmpty()
	p := f.Population()
	if s.populationRuns(p) == 0 && s.populationRuns(1-p) > 0 {
		return 1 - p
	}
	return p
}

func (s *Summary) populationRuns(p Population) int64 {
	if p == BadCandidate {
		return s.bad
	}
	return s.runs - s.bad
}

// empty is what a nil *Summary reads as. Readers never write to it.
var empty Summary

// orEmpty is s, or the empty Summary when s is nil.
func (s *Summary) orEmpty() *Summary {
	if s == nil {
		return &empty
	}
	return s
}

// Add counts one run. It expects a run that passes Run.Validate: an
// unknown outcome is counted as Unfinished (so outcome counts still add up
// to Runs), negative counts are taken as they are. A nil r is no run and
// counts nothing.
func (s *Summary) Add(r *Run) {
	if r == nil {
		return
	}
	s.runs++
	if int(r.Outcome) < len(s.outcomes) {
		s.outcomes[r.Outcome]++
	} else {
		s.outcomes[Unfinished]++
	}
	stopped := r.Stopped()
	if r.Bad {
		s.bad++
		if stopped {
			s.badStopped++
		}
	} else if stopped {
		s.healthyStopped++
	}
	figs := &s.figs[populationOf(r)]
	for f := Figure(0); f < numRunFigures; f++ {
		if u, ok := f.units(r); ok {
			figs[f].add(u)
		}
	}
}

// Merge adds every run counted in o to s. Merging the summaries of the parts
// of a set of runs gives the summary of the whole, exactly.
//
// It refuses, leaving s unchanged, what cannot be the parts of one set of
// runs or would not add exactly: summaries of different scenarios (their
// fingerprints differ, see SetOrigin), runs counted in both (their run
// ranges overlap), a summary that records its origin with one that does
// not (the check would be blind), and counts or sums that would overflow
// their 64 or 128 bits. A nil s or o is an error.
func (s *Summary) Merge(o *Summary) error {
	if s == nil || o == nil {
		return fmt.Errorf("metrics: Summary.Merge: nil Summary")
	}
	org, err := s.origin.merge(&o.origin, s.runs, o.runs)
	if err != nil {
		return fmt.Errorf("metrics: Summary.Merge: %w", err)
	}
	for _, c := range []struct {
		name string
		a, b int64
	}{{"runs", s.runs, o.runs}, {"bad_runs", s.bad, o.bad}} {
		if c.a+c.b < c.a || c.b < 0 {
			return fmt.Errorf("metrics: Summary.Merge: %s = %d + %d overflows 64 bits", c.name, c.a, c.b)
		}
	}
	for p := range s.figs {
		for i := range s.figs[p] {
			if _, _, _, err := s.figs[p][i].mergeCheck(&o.figs[p][i]); err != nil {
				return fmt.Errorf("metrics: Summary.Merge: %s.%s: %w", Population(p), Figure(i), err)
			}
		}
	}
	s.runs += o.runs
	s.bad += o.bad
	s.badStopped += o.badStopped
	s.healthyStopped += o.healthyStopped
	for i := range s.outcomes {
		s.outcomes[i] += o.outcomes[i]
	}
	for p := range s.figs {
		for i := range s.figs[p] {
			s.figs[p][i].merge(&o.figs[p][i])
		}
	}
	s.origin = org
	return nil
}

// Reset empties s, keeping its memory (nothing to do for nil).
func (s *Summary) Reset() {
	if s == nil {
		return
	}
	s.runs, s.bad, s.badStopped, s.healthyStopped = 0, 0, 0, 0
	s.outcomes = [NumOutcomes]int64{}
	s.origin = origin{}
	for p := range s.figs {
		for i := range s.figs[p] {
			s.figs[p][i].reset()
		}
	}
}

// Clone returns a copy of s that shares no memory with it (nil for nil).
func (s *Summary) Clone() *Summary {
	if s == nil {
		return nil
	}
	c := &Summary{runs: s.runs, bad: s.bad, badStopped: s.badStopped, healthyStopped: s.healthyStopped, outcomes: s.outcomes,
		origin: s.origin.clone()}
	for p := range s.figs {
		for i := range s.figs[p] {
			c.figs[p][i] = s.figs[p][i].clone()
		}
	}
	return c
}

// Equal reports whether s and o hold the same state (the same runs, up to
// order), bit for bit. A nil Summary equals only nil.
func (s *Summary) Equal(o *Summary) bool {
	if s == nil || o == nil {
		return s == o
	}
	if s.runs != o.runs || s.bad != o.bad || s.badStopped != o.badStopped ||
		s.healthyStopped != o.healthyStopped || s.outcomes != o.outcomes || !s.origin.equal(&o.origin) {
		return false
	}
	for p := range s.figs {
		for i := range s.figs[p] {
			if !s.figs[p][i].equal(&o.figs[p][i]) {
				return false
			}
		}
	}
	return true
}

// Runs is the number of runs counted.
func (s *Summary) Runs() int64 { return s.orEmpty().runs }

// BadRuns is the number of runs whose candidate had a fault.
func (s *Summary) BadRuns() int64 { return s.orEmpty().bad }

// Outcomes is the number of runs that ended with outcome o.
func (s *Summary) Outcomes(o Outcome) int64 {
	s = s.orEmpty()
	if int(o) < len(s.outcomes) {
		return s.outcomes[o]
	}
	return 0
}

// Stats describes a per-run figure over the runs of one Population that
// had it. Every field is NaN when N is 0; StdDev and the interval are NaN
// when N is 1.
type Stats struct {
	N      int64   // runs of the population that had the figure (e.g. only detected bad runs have a TimeToDetect)
	Mean   float64 // exact mean of the stored values, correctly rounded
	StdDev float64 // sample standard deviation (n-1 denominator)
	Min    float64 // exact
	Max    float64 // exact
	P50    float64 // nearest-rank quantiles: exact order statistics when Exact, else within SketchAccuracy
	P95    float64
	P99    float64
	Exact  bool    // the quantiles are order statistics of the values (N <= ExactValues), not sketch estimates
	CILow  float64 // Student-t confidence interval for the mean
	CIHigh float64
	Level  float64 // the interval's confidence level
}

// Stats describes figure f over the runs it is about (s.Population(f)),
// with a DefaultConfidence interval for its mean. f must be a per-run
// figure (not a rate); for a rate every field is NaN.
func (s *Summary) Stats(f Figure) Stats { return s.StatsAt(f, DefaultConfidence) }

// StatsAt is Stats with a confidence interval at level (in (0, 1)).
//
// The interval is mean ± t(1-(1-level)/2, n-1)·sd/√n: Student's t, exact for
// normal figures and asymptotically right for any figure with a finite
// variance by the central limit theorem. Heavy-tailed or very skewed figures
// (time to detect at low traffic) need more runs for the nominal coverage.
func (s *Summary) StatsAt(f Figure, level float64) Stats {
	return s.StatsOver(f, s.Population(f), level)
}

// StatsOver is StatsAt over population p whatever f is about: the healthy
// twin's candidate failures, say, or the duration of the bad deployments
// that were missed. TimeToDetect and TimeToRollback have no healthy values.
func (s *Summary) StatsOver(f Figure, p Population, level float64) Stats {
	s = s.orEmpty()
	nan := math.NaN()
	st := Stats{Mean: nan, StdDev: nan, Min: nan, Max: nan, P50: nan, P95: nan, P99: nan, CILow: nan, CIHigh: nan, Level: level}
	if f >= numRunFigures || p >= numPopulations {
		return st
	}
	a := &s.figs[p][f]
	st.N = a.n
	if a.n == 0 {
		return st
	}
	per := f.perUnit()
	sc := float64(per)
	st.Mean = a.mean(per)
	st.Min = float64(a.min) / sc
	st.Max = float64(a.max) / sc
	qs := a.quantiles(0.50, 0.95, 0.99)
	st.P50, st.P95, st.P99 = qs[0]/sc, qs[1]/sc, qs[2]/sc
	st.Exact = a.exact()
	if a.n < 2 {
		return st
	}
	st.StdDev = math.Sqrt(a.variance(per))
	if level > 0 && level < 1 {
		t := criticalValue(level, a.n-1) // the same bits on every architecture (critical.go)
		half := t * st.StdDev / math.Sqrt(float64(a.n))
		st.CILow, st.CIHigh = st.Mean-half, st.Mean+half
	}
	return st
}

// Quantile returns the nearest-rank q-quantile of figure f over the runs
// of s.Population(f) that had it (NaN if none, or f is a rate): exact up
// to ExactValues runs, within SketchAccuracy beyond. Plotting it over q in
// (0, 1) draws the figure's distribution function.
func (s *Summary) Quantile(f Figure, q float64) float64 {
	s = s.orEmpty()
	if f >= numRunFigures || math.IsNaN(q) {
		return math.NaN()
	}
	a := &s.figs[s.Population(f)][f]
	if a.n == 0 {
		return math.NaN()
	}
	return a.quantiles(q)[0] / float64(f.perUnit())
}

// Proportion is a rate over runs with its confidence interval.
type Proportion struct {
	Successes int64   // runs counted in the numerator
	Trials    int64   // runs in the denominator
	Value     float64 // Successes/Trials (NaN when Trials is 0)
	CILow     float64 // Wilson score interval
	CIHigh    float64
	Level     float64
}

// Rate returns rate f (DetectionRate, FalseRollbackRate or MissRate) with a
// DefaultConfidence Wilson interval. For a per-run figure every number is NaN.
func (s *Summary) Rate(f Figure) Proportion { return s.RateAt(f, DefaultConfidence) }

// RateAt is Rate with an interval at level (in (0, 1)).
func (s *Summary) RateAt(f Figure, level float64) Proportion {
	s = s.orEmpty()
	switch f {
	case DetectionRate:
		return Wilson(s.badStopped, s.bad, level)
	case MissRate:
		return Wilson(s.bad-s.badStopped, s.bad, level)
	case FalseRollbackRate:
		return Wilson(s.healthyStopped, s.runs-s.bad, level)
	}
	nan := math.NaN()
	return Proportion{Value: nan, CILow: nan, CIHigh: nan, Level: level}
}

// Wilson returns k/n with its Wilson score interval at level: the set of p
// for which |k/n - p| <= z·sqrt(p(1-p)/n), z the standard normal
// 1-(1-level)/2 quantile (Wilson 1927). Unlike the Wald interval it stays in
// [0, 1] and keeps near-nominal coverage at 0 or n successes, which is where
// detection and false-rollback rates live.
func Wilson(k, n int64, level float64) Proportion {
	p := Proportion{Successes: k, Trials: n, Level: level}
	nan := math.NaN()
	if n <= 0 || k < 0 || k > n {
		p.Value, p.CILow, p.CIHigh = nan, nan, nan
		return p
	}
	nf := float64(n)
	ph := float64(k) / nf
	p.Value = ph
	if !(level > 0 && level < 1) {
		p.CILow, p.CIHigh = nan, nan
		return p
	}
	z := criticalValue(level, 0) // the same bits on every architecture (critical.go)
	z2 := z * z
	den := 1 + z2/nf
	centre := (ph + z2/(2*nf)) / den
	// float64(): a product rounded on its own, so arm64 does not fuse
	// centre ± half into one multiply-add (the same bits everywhere).
	half := float64(z / den * math.Sqrt(ph*(1-ph)/nf+z2/(4*nf*nf)))
	p.CILow = math.Max(0, centre-half)
	p.CIHigh = math.Min(1, centre+half)
	if k == 0 {
		p.CILow = 0
	}
	if k == n {
		p.CIHigh = 1
	}
	return p
}

// Value is the number Pareto and Best compare: the mean of a per-run
// figure over s.Population(f), or the value of a rate. NaN when no run had
// it.
func (s *Summary) Value(f Figure) float64 {
	s = s.orEmpty()
	if f.IsRate() {
		return s.Rate(f).Value
	}
	if f >= numRunFigures {
		return math.NaN()
	}
	a := &s.figs[s.Population(f)][f]
	if a.n == 0 {
		return math.NaN()
	}
	return a.mean(f.perUnit())
}

// int128 is a two's-complement 128-bit integer: the exact sums.
type int128 struct {
	hi int64
	lo uint64
}

func int128From(v int64) int128 { return int128{hi: v >> 63, lo: uint64(v)} }

func square(v int64) int128 {
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	hi, lo := bits.Mul64(u, u)
	return int128{hi: int64(hi), lo: lo}
}

func (a int128) add(b int128) int128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	return int128{hi: a.hi + b.hi + int64(carry), lo: lo}
}

// addChecked is a+b, and false if the sum leaves the 128-bit range (two
// operands of one sign giving a result of the other).
func (a int128) addChecked(b int128) (int128, bool) {
	s := a.add(b)
	if (a.hi < 0) == (b.hi < 0) && (s.hi < 0) != (a.hi < 0) {
		return s, false
	}
	return s, true
}

func (a int128) big() *big.Int {
	z := new(big.Int).SetInt64(a.hi)
	z.Lsh(z, 64)
	return z.Add(z, new(big.Int).SetUint64(a.lo))
}

var (
	two127    = new(big.Int).Lsh(big.NewInt(1), 127)
	minInt128 = new(big.Int).Neg(two127)
	mask64    = new(big.Int).SetUint64(math.MaxUint64)
)

// int128FromBig converts z, and false if it does not fit in 128 bits.
func int128FromBig(z *big.Int) (int128, bool) {
	if z.Cmp(minInt128) < 0 || z.Cmp(two127) >= 0 {
		return int128{}, false
	}
	lo := new(big.Int).And(z, mask64).Uint64() // And of a negative z works on its two's complement
	hi := new(big.Int).Rsh(z, 64)              // arithmetic shift: floor division
	return int128{hi: hi.Int64(), lo: lo}, true
}
