package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
)

// summaryFormat versions the JSON state; a reader refuses other versions
// rather than misreading them.
const summaryFormat = 1

type summaryJSON struct {
	Format         int                 `json:"format"`
	Runs           int64               `json:"runs"`
	BadRuns        int64               `json:"bad_runs"`
	BadStopped     int64               `json:"bad_stopped"`
	HealthyStopped int64               `json:"healthy_stopped"`
	Outcomes       map[string]int64    `json:"outcomes"`
	Figures        map[string]*accJSON `json:"figures"`
}

type accJSON struct {
	Per   int64      `json:"per"` // stored units per display unit (1e9: nanoseconds per second)
	N     int64      `json:"n"`
	Sum   string     `json:"sum"`    // exact, decimal, in units
	SumSq string     `json:"sum_sq"` // exact, decimal, in units squared
	Min   int64      `json:"min"`
	Max   int64      `json:"max"`
	Zeros int64      `json:"zeros,omitempty"`
	Pos   *storeJSON `json:"pos,omitempty"` // sketch buckets of positive values (Sketch indexing)
	Neg   *storeJSON `json:"neg,omitempty"` // sketch buckets of negative values, by magnitude
}

type storeJSON struct {
	Offset int     `json:"offset"`
	Counts []int64 `json:"counts"`
}

// MarshalJSON writes the mergeable state of s (not only derived numbers), so
// that UnmarshalJSON gives back a Summary that is Equal to s. Figures no run
// had are left out; empty sketch ends are trimmed, so equal summaries write
// identical bytes.
func (s *Summary) MarshalJSON() ([]byte, error) {
	j := summaryJSON{
		Format: summaryFormat, Runs: s.runs, BadRuns: s.bad, BadStopped: s.badStopped, HealthyStopped: s.healthyStopped,
		Outcomes: map[string]int64{}, Figures: map[string]*accJSON{},
	}
	for o, n := range s.outcomes {
		if n != 0 {
			j.Outcomes[Outcome(o).String()] = n
		}
	}
	for f := Figure(0); f < numRunFigures; f++ {
		a := &s.figs[f]
		if a.n == 0 {
			continue
		}
		aj := &accJSON{Per: f.perUnit(), N: a.n, Sum: a.sum.big().String(), SumSq: a.sumSq.big().String(), Min: a.min, Max: a.max, Zeros: a.zeros}
		if off, c := a.pos.trimmed(); len(c) > 0 {
			aj.Pos = &storeJSON{Offset: off, Counts: c}
		}
		if off, c := a.neg.trimmed(); len(c) > 0 {
			aj.Neg = &storeJSON{Offset: off, Counts: c}
		}
		j.Figures[f.String()] = aj
	}
	return json.Marshal(j) // map keys are written sorted: deterministic
}

// UnmarshalJSON reads the state MarshalJSON wrote, checking that it is
// consistent (counts add up, bounds hold) so that a corrupt shard file is
// refused with the field at fault rather than merged.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("metrics: Summary: %w", err)
	}
	var out Summary
	if err := out.fromJSON(&j); err != nil {
		return err
	}
	*s = out
	return nil
}

func (s *Summary) fromJSON(j *summaryJSON) error {
	if j.Format != summaryFormat {
		return fmt.Errorf("metrics: Summary.format = %d: must be %d", j.Format, summaryFormat)
	}
	if j.Runs < 0 {
		return fmt.Errorf("metrics: Summary.runs = %d: must be >= 0", j.Runs)
	}
	if j.BadRuns < 0 || j.BadRuns > j.Runs {
		return fmt.Errorf("metrics: Summary.bad_runs = %d: must be in [0, runs = %d]", j.BadRuns, j.Runs)
	}
	if j.BadStopped < 0 || j.BadStopped > j.BadRuns {
		return fmt.Errorf("metrics: Summary.bad_stopped = %d: must be in [0, bad_runs = %d]", j.BadStopped, j.BadRuns)
	}
	if j.HealthyStopped < 0 || j.HealthyStopped > j.Runs-j.BadRuns {
		return fmt.Errorf("metrics: Summary.healthy_stopped = %d: must be in [0, runs - bad_runs = %d]", j.HealthyStopped, j.Runs-j.BadRuns)
	}
	s.runs, s.bad, s.badStopped, s.healthyStopped = j.Runs, j.BadRuns, j.BadStopped, j.HealthyStopped
	var total int64
	for name, n := range j.Outcomes {
		o, ok := parseOutcome(name)
		if !ok {
			return fmt.Errorf("metrics: Summary.outcomes key %q: must be one of %v", name, outcomeNames)
		}
		if n < 0 || n > j.Runs {
			return fmt.Errorf("metrics: Summary.outcomes.%s = %d: must be in [0, runs = %d]", name, n, j.Runs)
		}
		s.outcomes[o] = n
		total += n
	}
	if total != j.Runs {
		return fmt.Errorf("metrics: Summary.outcomes add up to %d: must equal runs = %d", total, j.Runs)
	}
	for name, aj := range j.Figures {
		f, err := ParseFigure(name)
		if err != nil || f >= numRunFigures {
			return fmt.Errorf("metrics: Summary.figures key %q: must name a per-run figure", name)
		}
		if aj == nil {
			continue
		}
		if err := s.figs[f].fromJSON(aj, f, j.Runs); err != nil {
			return err
		}
	}
	return nil
}

func (a *accumulator) fromJSON(j *accJSON, f Figure, runs int64) error {
	field := "metrics: Summary.figures." + f.String()
	if j.Per != f.perUnit() {
		return fmt.Errorf("%s.per = %d: must be %d", field, j.Per, f.perUnit())
	}
	if j.N < 0 || j.N > runs {
		return fmt.Errorf("%s.n = %d: must be in [0, runs = %d]", field, j.N, runs)
	}
	if j.N == 0 {
		a.reset()
		return nil
	}
	if j.Min > j.Max || j.Min < -maxUnits || j.Max > maxUnits {
		return fmt.Errorf("%s.min, max = %d, %d: must satisfy -2^53 <= min <= max <= 2^53", field, j.Min, j.Max)
	}
	sum, ok := parseInt128(j.Sum)
	if !ok {
		return fmt.Errorf("%s.sum = %q: must be a decimal integer of at most 128 bits", field, j.Sum)
	}
	sumSq, ok := parseInt128(j.SumSq)
	if !ok || sumSq.hi < 0 {
		return fmt.Errorf("%s.sum_sq = %q: must be a non-negative decimal integer of at most 128 bits", field, j.SumSq)
	}
	if j.Zeros < 0 {
		return fmt.Errorf("%s.zeros = %d: must be >= 0", field, j.Zeros)
	}
	total := j.Zeros
	for _, st := range []struct {
		name string
		s    *storeJSON
	}{{"pos", j.Pos}, {"neg", j.Neg}} {
		if st.s == nil {
			continue
		}
		if st.s.Offset < 0 || st.s.Offset+len(st.s.Counts) > maxBucket+1 {
			return fmt.Errorf("%s.%s.offset = %d with %d counts: buckets must lie in [0, %d]", field, st.name, st.s.Offset, len(st.s.Counts), maxBucket)
		}
		for i, c := range st.s.Counts {
			if c < 0 || c > j.N {
				return fmt.Errorf("%s.%s.counts[%d] = %d: must be in [0, n = %d]", field, st.name, i, c, j.N)
			}
			total += c
		}
	}
	if total != j.N {
		return fmt.Errorf("%s: zeros and bucket counts add up to %d: must equal n = %d", field, total, j.N)
	}
	a.reset()
	a.n, a.sum, a.sumSq, a.min, a.max, a.zeros = j.N, sum, sumSq, j.Min, j.Max, j.Zeros
	if j.Pos != nil {
		a.pos.merge(&store[int64]{offset: j.Pos.Offset, counts: j.Pos.Counts})
	}
	if j.Neg != nil {
		a.neg.merge(&store[int64]{offset: j.Neg.Offset, counts: j.Neg.Counts})
	}
	return nil
}

// maxBucket is the bucket of the largest stored magnitude; stored values are
// whole units, so the smallest non-zero magnitude, 1, is in bucket 0.
var maxBucket = BucketIndex(maxUnits)

func parseInt128(s string) (int128, bool) {
	z, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return int128{}, false
	}
	return int128FromBig(z)
}

func parseOutcome(s string) (Outcome, bool) {
	for i, n := range outcomeNames {
		if n == s {
			return Outcome(i), true
		}
	}
	return 0, false
}

// num is a float64 that JSON writes as null when it is NaN or infinite
// (encoding/json refuses those), e.g. the mean time to detect when nothing
// was detected.
type num float64

// MarshalJSON writes null for NaN and ±Inf, the shortest exact decimal otherwise.
func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null back as NaN.
func (n *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = num(f)
	return nil
}
