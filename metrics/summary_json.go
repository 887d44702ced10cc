package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// summaryFormat versions the JSON state; a reader refuses other versions
// rather than misreading them. Format 3 adds the exact values of figures
// within ExactValues ("values"), the origin ("fingerprint", "bad_run_ranges",
// "healthy_run_ranges") and writes outcome keys in snake_case
// ("rolled_back"); its figures without "values" are sketch-only. Format 2
// keeps the figures of bad and of healthy runs apart ("figures" and
// "healthy_figures"); its figures are read as sketch-only (it had no
// values) and its hyphenated outcome keys are accepted. Format 1 had one
// "figures" map for all runs, which is still read when every run was of one
// kind (then it is that kind's map) and refused otherwise, as its pooled
// figures cannot be split.
const summaryFormat = 3

type summaryJSON struct {
	Format         int                 `json:"format"`
	Runs           int64               `json:"runs"`
	BadRuns        int64               `json:"bad_runs"`
	BadStopped     int64               `json:"bad_stopped"`
	HealthyStopped int64               `json:"healthy_stopped"`
	Outcomes       map[string]int64    `json:"outcomes"`
	Figures        map[string]*accJSON `json:"figures"`                   // over bad runs
	HealthyFigures map[string]*accJSON `json:"healthy_figures,omitempty"` // over healthy runs
	Fingerprint    string              `json:"fingerprint,omitempty"`
	BadRanges      [][2]int64          `json:"bad_run_ranges,omitempty"`     // [first, end) of the bad runs' indices
	HealthyRanges  [][2]int64          `json:"healthy_run_ranges,omitempty"` // [first, end) of the healthy runs' indices
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
	// Values, when present, are every value in ascending order (the figure
	// is exact, n <= ExactValues): the sketch is then rebuilt from them and
	// zeros, pos and neg are absent.
	Values []int64 `json:"values,omitempty"`
}

type storeJSON struct {
	Offset int     `json:"offset"`
	Counts []int64 `json:"counts"`
}

// MarshalJSON writes the mergeable state of s (not only derived numbers), so
// that UnmarshalJSON gives back a Summary that is Equal to s. Figures no run
// had are left out; an exact figure writes its values, sorted, and a
// sketch-only one its buckets with empty ends trimmed, so equal summaries
// write identical bytes.
func (s *Summary) MarshalJSON() ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("metrics: Summary.MarshalJSON: nil Summary")
	}
	j := summaryJSON{
		Format: summaryFormat, Runs: s.runs, BadRuns: s.bad, BadStopped: s.badStopped, HealthyStopped: s.healthyStopped,
		Outcomes: map[string]int64{}, Figures: map[string]*accJSON{}, Fingerprint: s.origin.fingerprint,
		BadRanges: rangesJSON(s.origin.ranges[BadCandidate]), HealthyRanges: rangesJSON(s.origin.ranges[HealthyCandidate]),
	}
	for o, n := range s.outcomes {
		if n != 0 {
			j.Outcomes[Outcome(o).Key()] = n
		}
	}
	j.Figures = figuresJSON(&s.figs[BadCandidate])
	if h := figuresJSON(&s.figs[HealthyCandidate]); len(h) > 0 {
		j.HealthyFigures = h
	}
	return json.Marshal(j) // map keys are written sorted: deterministic
}

func rangesJSON(rs []RunRange) [][2]int64 {
	var out [][2]int64
	for _, r := range rs {
		out = append(out, [2]int64{r.First, r.End})
	}
	return out
}

func figuresJSON(figs *[numRunFigures]accumulator) map[string]*accJSON {
	m := map[string]*accJSON{}
	for f := Figure(0); f < numRunFigures; f++ {
		a := &figs[f]
		if a.n == 0 {
			continue
		}
		aj := &accJSON{Per: f.perUnit(), N: a.n, Sum: a.sum.big().String(), SumSq: a.sumSq.big().String(), Min: a.min, Max: a.max}
		if a.exact() {
			aj.Values = a.sortedVals()
		} else {
			aj.Zeros = a.zeros
			if off, c := a.pos.trimmed(); len(c) > 0 {
				aj.Pos = &storeJSON{Offset: off, Counts: c}
			}
			if off, c := a.neg.trimmed(); len(c) > 0 {
				aj.Neg = &storeJSON{Offset: off, Counts: c}
			}
		}
		m[f.String()] = aj
	}
	return m
}

// UnmarshalJSON reads the state MarshalJSON wrote, checking that it is
// consistent (counts add up, bounds hold) so that a corrupt shard file is
// refused with the field at fault rather than merged.
func (s *Summary) UnmarshalJSON(b []byte) error {
	if s == nil {
		return fmt.Errorf("metrics: Summary.UnmarshalJSON: nil Summary")
	}
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
	if j.Format < 1 || j.Format > summaryFormat {
		return fmt.Errorf("metrics: Summary.format = %d: must be %d (or 1, 2)", j.Format, summaryFormat)
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
		o, ok := parseOutcome(name, j.Format)
		if !ok {
			return fmt.Errorf("metrics: Summary.outcomes key %q: must be one of %v", clip(name), outcomeKeys())
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
	if stopped := s.outcomes[RolledBack] + s.outcomes[FalseRollback] + s.outcomes[HookAborted]; j.BadStopped+j.HealthyStopped != stopped {
		return fmt.Errorf("metrics: Summary.bad_stopped + healthy_stopped = %d + %d: must equal the runs rolled back or aborted in outcomes = %d", j.BadStopped, j.HealthyStopped, stopped)
	}
	if err := s.originFromJSON(j); err != nil {
		return err
	}
	figures, healthy := j.Figures, j.HealthyFigures
	if j.Format == 1 {
		if len(healthy) > 0 {
			return fmt.Errorf("metrics: Summary.healthy_figures: must be absent in format 1")
		}
		switch {
		case j.BadRuns == 0:
			figures, healthy = nil, figures
		case j.BadRuns != j.Runs:
			return fmt.Errorf("metrics: Summary.format = 1 with bad_runs = %d of runs = %d: a format-1 state mixing bad and healthy runs cannot be split; write it again with format %d", j.BadRuns, j.Runs, summaryFormat)
		}
	}
	for _, part := range []struct {
		key  string
		m    map[string]*accJSON
		p    Population
		runs int64
	}{{"figures", figures, BadCandidate, j.BadRuns}, {"healthy_figures", healthy, HealthyCandidate, j.Runs - j.BadRuns}} {
		for name, aj := range part.m {
			f, err := ParseFigure(name)
			if err != nil || f >= numRunFigures {
				return fmt.Errorf("metrics: Summary.%s key %q: must name a per-run figure", part.key, name)
			}
			if aj == nil {
				continue
			}
			field := "metrics: Summary." + part.key + "." + f.String()
			a := &s.figs[part.p][f]
			if err := a.fromJSON(aj, field, f, part.runs, part.p, j.Format); err != nil {
				return err
			}
			if err := a.check(); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		}
		// The times to detect and roll back exist only for bad runs.
		for _, f := range []Figure{TimeToDetect, TimeToRollback} {
			if n := s.figs[part.p][f].n; part.p == HealthyCandidate && n != 0 {
				return fmt.Errorf("metrics: Summary.%s.%s.n = %d: healthy runs have no %s", part.key, f, n, f)
			}
		}
	}
	return nil
}

func (s *Summary) originFromJSON(j *summaryJSON) error {
	if j.Fingerprint == "" {
		if len(j.BadRanges)+len(j.HealthyRanges) > 0 {
			return fmt.Errorf("metrics: Summary: run ranges without a fingerprint")
		}
		return nil
	}
	if err := checkFingerprint(j.Fingerprint); err != nil {
		return fmt.Errorf("metrics: Summary.%w", err)
	}
	s.origin.fingerprint = j.Fingerprint
	for _, part := range []struct {
		key  string
		rs   [][2]int64
		p    Population
		runs int64
	}{{"bad_run_ranges", j.BadRanges, BadCandidate, j.BadRuns}, {"healthy_run_ranges", j.HealthyRanges, HealthyCandidate, j.Runs - j.BadRuns}} {
		var rs []RunRange
		for _, r := range part.rs {
			rs = append(rs, RunRange{r[0], r[1]})
		}
		if err := checkRanges(rs, part.runs); err != nil {
			return fmt.Errorf("metrics: Summary.%s: %w", part.key, err)
		}
		s.origin.ranges[part.p] = rs
	}
	return nil
}

func (a *accumulator) fromJSON(j *accJSON, field string, f Figure, runs int64, p Population, format int) error {
	if j.Per != f.perUnit() {
		return fmt.Errorf("%s.per = %d: must be %d", field, j.Per, f.perUnit())
	}
	if j.N < 0 || j.N > runs {
		return fmt.Errorf("%s.n = %d: must be in [0, %s runs = %d]", field, j.N, p, runs)
	}
	a.reset()
	if j.N == 0 {
		return nil
	}
	if j.Min > j.Max || j.Min < -maxUnits || j.Max > maxUnits {
		return fmt.Errorf("%s.min, max = %d, %d: must satisfy -2^53 <= min <= max <= 2^53", field, j.Min, j.Max)
	}
	sum, ok := parseInt128(j.Sum)
	if !ok {
		return fmt.Errorf("%s.sum = %q: must be a decimal integer of at most 128 bits", field, clip(j.Sum))
	}
	sumSq, ok := parseInt128(j.SumSq)
	if !ok || sumSq.hi < 0 {
		return fmt.Errorf("%s.sum_sq = %q: must be a non-negative decimal integer of at most 128 bits", field, clip(j.SumSq))
	}
	if j.Values != nil {
		if format < 3 {
			return fmt.Errorf("%s.values: not in format %d", field, format)
		}
		if int64(len(j.Values)) != j.N || j.N > ExactValues {
			return fmt.Errorf("%s.values: %d values with n = %d: must be n values, at most %d", field, len(j.Values), j.N, ExactValues)
		}
		if j.Zeros != 0 || j.Pos != nil || j.Neg != nil {
			return fmt.Errorf("%s: values and sketch buckets both given: an exact figure has only its values", field)
		}
		a.n, a.sum, a.sumSq, a.min, a.max = j.N, sum, sumSq, j.Min, j.Max
		a.vals, a.sorted = slices.Clone(j.Values), true
		for _, u := range a.vals {
			if u < -maxUnits || u > maxUnits {
				return fmt.Errorf("%s.values: %d: must be within ±2^53", field, u)
			}
			a.bucket(u)
		}
		return nil
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
		if st.s.Offset < 0 || st.s.Offset > maxBucket+1-len(st.s.Counts) { // no Offset+len: it overflows
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
	a.n, a.sum, a.sumSq, a.min, a.max, a.zeros = j.N, sum, sumSq, j.Min, j.Max, j.Zeros
	a.inexact = true
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

// parseOutcome reads an outcome key: snake_case, or in states before
// format 3 the hyphenated names.
func parseOutcome(s string, format int) (Outcome, bool) {
	for o := Outcome(0); o < NumOutcomes; o++ {
		if o.Key() == s || (format < 3 && o.String() == s) {
			return o, true
		}
	}
	return 0, false
}

func outcomeKeys() []string {
	var ks []string
	for o := Outcome(0); o < NumOutcomes; o++ {
		ks = append(ks, o.Key())
	}
	return ks
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
