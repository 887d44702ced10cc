package metrics

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
)

// RunRange is the half-open range [First, End) of run indices: run i of a
// Monte Carlo is the run whose seed is derived from (seed, i).
type RunRange struct {
	First, End int64
}

// origin is where the runs of a Summary come from: one scenario (its
// fingerprint) and, per population, the run indices counted, as sorted,
// disjoint, non-adjacent ranges. The zero origin is unknown.
type origin struct {
	fingerprint string
	ranges      [numPopulations][]RunRange
}

// maxFingerprint bounds a fingerprint's length.
const maxFingerprint = 128

// Fingerprint returns a short, stable identifier of a scenario or grid
// point from its canonical description: the SHA-256 of the parts (each
// prefixed by its length, so no two lists of parts collide by
// concatenation), as "sha256:" and 32 hexadecimal digits. Callers pass what
// determines the runs: the canonical scenario (its JSON with sorted keys,
// say), the strategy and the grid coordinates, and the base seed. Two
// summaries with different fingerprints are runs of different scenarios
// and do not merge.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// SetOrigin records where the runs of s come from: the scenario whose
// canonical description has this fingerprint (see Fingerprint) and the run
// indices first, first+1, …: the bad runs of s are runs [first,
// first+BadRuns()) and its healthy runs [first, first+Runs()-BadRuns())
// (a bad scenario's runs and those of its healthy twin share their
// indices, as deploysim.Estimate runs them). Call it once the runs are
// counted, before writing s for a merge: Merge then refuses a summary of
// another scenario and runs counted twice (a duplicated or relabelled
// shard), and Table.CheckComplete finds runs that are missing.
//
// It is an error to set the origin of a Summary that has one, to give an
// empty fingerprint, one longer than 128 bytes or with characters outside
// printable ASCII, or a first run that is negative or puts the last run
// past 2^63-1.
func (s *Summary) SetOrigin(fingerprint string, first int64) error {
	if s == nil {
		return fmt.Errorf("metrics: Summary.SetOrigin: nil Summary")
	}
	if s.origin.fingerprint != "" {
		return fmt.Errorf("metrics: Summary.SetOrigin: fingerprint already set to %q", s.origin.fingerprint)
	}
	if err := checkFingerprint(fingerprint); err != nil {
		return fmt.Errorf("metrics: Summary.SetOrigin: %w", err)
	}
	if first < 0 || first > maxRun-s.runs {
		return fmt.Errorf("metrics: Summary.SetOrigin: first run = %d with %d runs: must be >= 0 and end at most 2^63-1", first, s.runs)
	}
	o := origin{fingerprint: fingerprint}
	for p, n := range [numPopulations]int64{BadCandidate: s.bad, HealthyCandidate: s.runs - s.bad} {
		if n > 0 {
			o.ranges[p] = []RunRange{{first, first + n}}
		}
	}
	s.origin = o
	return nil
}

const maxRun = 1<<63 - 1

// Fingerprint is the fingerprint SetOrigin recorded ("" when s does not
// record where its runs come from).
func (s *Summary) Fingerprint() string {
	if s == nil {
		return ""
	}
	return s.origin.fingerprint
}

// RunRanges returns the run indices of population p that s counted, as
// sorted, disjoint ranges (nil when s does not record its origin).
func (s *Summary) RunRanges(p Population) []RunRange {
	if s == nil || p >= numPopulations {
		return nil
	}
	return slices.Clone(s.origin.ranges[p])
}

func checkFingerprint(fp string) error {
	if fp == "" || len(fp) > maxFingerprint {
		return fmt.Errorf("fingerprint = %q: must have 1 to %d characters", clip(fp), maxFingerprint)
	}
	for i := 0; i < len(fp); i++ {
		if fp[i] < 0x21 || fp[i] > 0x7e {
			return fmt.Errorf("fingerprint = %q: must be printable ASCII without spaces", clip(fp))
		}
	}
	return nil
}

func (o *origin) clone() origin {
	c := origin{fingerprint: o.fingerprint}
	for p := range o.ranges {
		c.ranges[p] = slices.Clone(o.ranges[p])
	}
	return c
}

func (o *origin) equal(b *origin) bool {
	if o.fingerprint != b.fingerprint {
		return false
	}
	for p := range o.ranges {
		if !slices.Equal(o.ranges[p], b.ranges[p]) {
			return false
		}
	}
	return true
}

// merge returns the origin of the merge of summaries of runs and oRuns
// runs with origins o and b, or the reason they cannot be parts of one set.
func (o *origin) merge(b *origin, runs, oRuns int64) (origin, error) {
	switch {
	case oRuns == 0 && b.fingerprint == "":
		return o.clone(), nil
	case runs == 0 && o.fingerprint == "":
		return b.clone(), nil
	case o.fingerprint == "" && b.fingerprint == "":
		return origin{}, nil
	case o.fingerprint == "" || b.fingerprint == "":
		fp := o.fingerprint + b.fingerprint
		return origin{}, fmt.Errorf("one summary records its origin (fingerprint %q) and the other does not: whether they share runs cannot be checked", fp)
	case o.fingerprint != b.fingerprint:
		return origin{}, fmt.Errorf("fingerprint %q differs from %q: runs of different scenarios", b.fingerprint, o.fingerprint)
	}
	out := origin{fingerprint: o.fingerprint}
	for p := range o.ranges {
		rs, err := unionRanges(o.ranges[p], b.ranges[p])
		if err != nil {
			return origin{}, fmt.Errorf("%s %w", Population(p), err)
		}
		out.ranges[p] = rs
	}
	return out, nil
}

// unionRanges merges two canonical range lists, refusing any run in both.
func unionRanges(x, y []RunRange) ([]RunRange, error) {
	all := append(slices.Clone(x), y...)
	slices.SortFunc(all, func(a, b RunRange) int {
		switch {
		case a.First < b.First:
			return -1
		case a.First > b.First:
			return 1
		}
		return 0
	})
	var out []RunRange
	for _, r := range all {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if r.First < last.End {
				return nil, fmt.Errorf("runs [%d, %d) counted twice: a shard given twice, or a copy of one under another name", r.First, min(r.End, last.End))
			}
			if r.First == last.End {
				last.End = r.End
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// checkRanges verifies a canonical range list of n runs.
func checkRanges(rs []RunRange, n int64) error {
	var total int64
	for i, r := range rs {
		if r.First < 0 || r.End <= r.First {
			return fmt.Errorf("[%d, %d): must satisfy 0 <= first < end", r.First, r.End)
		}
		if i > 0 && r.First <= rs[i-1].End {
			return fmt.Errorf("[%d, %d) after [%d, %d): ranges must be sorted, disjoint and not adjacent", r.First, r.End, rs[i-1].First, rs[i-1].End)
		}
		total += r.End - r.First // each term < 2^63; the sum is checked against n as it grows
		if total > n || total < 0 {
			return fmt.Errorf("ranges hold more than the %d runs counted", n)
		}
	}
	if total != n {
		return fmt.Errorf("ranges hold %d runs: must equal the %d runs counted", total, n)
	}
	return nil
}
