package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exactRank is the nearest-rank definition computed independently of the
// code under test: the smallest k with k >= q·n, where q is the decimal
// fraction num/100 taken exactly (big.Rat), not its float64 rounding.
func exactRank(pct int64, n int) int {
	r := new(big.Rat).SetFrac64(pct*int64(n), 100)
	k := new(big.Int).Quo(r.Num(), r.Denom()) // floor
	if new(big.Rat).SetInt(k).Cmp(r) < 0 {
		k.Add(k, big.NewInt(1))
	}
	return max(1, int(k.Int64()))
}

// Below ExactValues the printed p50, p95 and p99 are the sample's own
// nearest-rank values, for every n from 1 to 400 and for a few large n: no
// sketch error, and the float product q·n gives the same rank as exact
// decimal arithmetic.
func TestExactQuantilesAreOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sizes := []int{}
	for n := 1; n <= 400; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 999, 1000, 1001, 2000, 4321, ExactValues-1, ExactValues)
	for _, n := range sizes {
		var s Summary
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = rng.Int64N(1_000_000) - 1000 // a few negatives, many distinct values
			s.Add(&Run{Bad: true, Outcome: Missed, Candidate: VersionCounts{Requests: 1}, ExcessFailures: float64(vals[i]),
				FaultOnset: Never, FirstFailure: Never, Detected: Never, WeightZero: Never, Drained: Never, Promoted: Never})
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		st := s.Stats(ExcessFailures)
		if !st.Exact {
			t.Fatalf("n = %d: quantiles not exact", n)
		}
		for _, c := range []struct {
			pct int64
			got float64
		}{{50, st.P50}, {95, st.P95}, {99, st.P99}} {
			want := float64(sorted[exactRank(c.pct, n)-1])
			if c.got != want {
				t.Fatalf("n = %d: p%d = %v, want the order statistic %v", n, c.pct, c.got, want)
			}
		}
		if q := s.Quantile(ExcessFailures, 0.95); q != st.P95 {
			t.Fatalf("n = %d: Quantile(0.95) = %v, Stats.P95 = %v", n, q, st.P95)
		}
	}
}

// One value past ExactValues the figure falls back to the sketch: its
// quantiles are within SketchAccuracy and say so.
func TestExactValuesLimit(t *testing.T) {
	var s Summary
	rng := rand.New(rand.NewPCG(8, 8))
	var vals []int64
	for range ExactValues + 1 {
		v := 1 + rng.Int64N(1_000_000)
		vals = append(vals, v)
		s.Add(&Run{Bad: true, Outcome: Missed, Candidate: VersionCounts{Requests: v, Errors: v},
			FaultOnset: Never, FirstFailure: Never, Detected: Never, WeightZero: Never, Drained: Never, Promoted: Never})
	}
	st := s.Stats(CandidateFailures)
	if st.Exact {
		t.Fatalf("%d values: still exact", len(vals))
	}
	slices.Sort(vals)
	want := float64(vals[exactRank(95, len(vals))-1])
	if math.Abs(st.P95-want) > SketchAccuracy*want {
		t.Errorf("sketch p95 = %v, exact %v: beyond %g", st.P95, want, SketchAccuracy)
	}
	var buf bytes.Buffer
	var tb Table
	tb.Add("X", &s)
	if err := tb.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "~") || !strings.Contains(buf.String(), "quantile from the sketch") {
		t.Errorf("a sketch quantile is not marked:\n%s", buf.String())
	}
	buf.Reset()
	if err := tb.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"quantiles": "sketch"`) {
		t.Errorf("JSON does not say the quantiles are the sketch's")
	}
}

// The summary of shards, merged (in memory and through JSON), is the
// unsharded summary bit for bit: the same state and the same exact
// quantiles, for splits that keep the total within ExactValues and one
// that crosses it.
func TestExactMergeEqualsUnsharded(t *testing.T) {
	for _, n := range []int{37, 2500, ExactValues + 300} {
		runs := randomRuns(uint64(n), n)
		whole := summarize(runs)
		cuts := []int{0, n / 7, n / 3, n / 3, n - 1, n}
		var merged, viaJSON Summary
		for i := 1; i < len(cuts); i++ {
			part := summarize(runs[cuts[i-1]:cuts[i]])
			if err := merged.Merge(part); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(part)
			if err != nil {
				t.Fatal(err)
			}
			var back Summary
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("n = %d: shard %d does not read back: %v", n, i, err)
			}
			if err := viaJSON.Merge(&back); err != nil {
				t.Fatal(err)
			}
		}
		for name, m := range map[string]*Summary{"in memory": &merged, "through JSON": &viaJSON} {
			if !m.Equal(whole) || !derivedEqual(t, m, whole) {
				t.Errorf("n = %d, %s: merge of shards differs from the unsharded summary", n, name)
			}
			a, _ := json.Marshal(m)
			b, _ := json.Marshal(whole)
			if !bytes.Equal(a, b) {
				t.Errorf("n = %d, %s: merged state writes other bytes", n, name)
			}
		}
		if st := whole.Stats(CandidateFailures); st.Exact != (st.N <= ExactValues) {
			t.Errorf("n = %d: %d values, exact = %v", n, st.N, st.Exact)
		}
	}
}

// badRuns are random runs all of a bad candidate.
func badRuns(seed uint64, n int) []*Run {
	runs := randomRuns(seed, n)
	for _, r := range runs {
		r.Bad = true
	}
	return runs
}

// stateDoc writes s and returns its state as a generic document to edit.
func stateDoc(t *testing.T, s *Summary) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func readState(doc map[string]any) error {
	b, _ := json.Marshal(doc)
	var s Summary
	return json.Unmarshal(b, &s)
}

// Each hand edit of issue 13.6 breaks a named invariant and is refused.
func TestStateInvariants(t *testing.T) {
	exact := summarize(randomRuns(3, 12))
	sk := summarize(badRuns(4, ExactValues+5))
	fig := func(doc map[string]any, name string) map[string]any {
		return doc["figures"].(map[string]any)[name].(map[string]any)
	}
	cases := []struct {
		name string
		s    *Summary
		edit func(doc map[string]any)
		want string
	}{
		{"sum beyond n·max", sk, func(d map[string]any) {
			f := fig(d, "candidate_failures")
			f["sum"] = strconv.FormatInt(int64(f["n"].(float64)*f["max"].(float64))+1, 10)
		}, "the mean must lie within [min, max]"},
		{"sum_sq of 0", sk, func(d map[string]any) { fig(d, "candidate_failures")["sum_sq"] = "0" }, "a variance cannot be negative"},
		{"sum of 2^127-1", sk, func(d map[string]any) {
			fig(d, "candidate_failures")["sum"] = "170141183460469231731687303715884105727"
		}, "the mean must lie within"},
		{"sum_sq too large", sk, func(d map[string]any) {
			f := fig(d, "candidate_failures")
			f["sum_sq"] = "170141183460469231731687303715884105727"
		}, "must be <= n·max(min², max²)"},
		{"min not in the sketch", sk, func(d map[string]any) {
			f := fig(d, "candidate_requests")
			f["min"] = f["min"].(float64) + 1e6
			f["max"] = f["max"].(float64) + 1e6
		}, "bucket must hold it"},
		{"values out of order", exact, func(d map[string]any) {
			v := fig(d, "candidate_requests")["values"].([]any)
			v[0], v[len(v)-1] = v[len(v)-1], v[0]
		}, "ascending"},
		{"values and sum disagree", exact, func(d map[string]any) {
			f := fig(d, "candidate_requests")
			v := f["values"].([]any)
			v[1] = v[1].(float64) + 1
			slices.SortFunc(v, func(a, b any) int { return int(a.(float64) - b.(float64)) })
			f["min"], f["max"] = v[0], v[len(v)-1]
		}, "the values add up to"},
		{"values and sketch", exact, func(d map[string]any) {
			fig(d, "candidate_requests")["zeros"] = 1
		}, "values and sketch buckets both given"},
		{"stopped vs outcomes", exact, func(d map[string]any) {
			d["healthy_stopped"] = d["healthy_stopped"].(float64) + 1
		}, "must equal the runs rolled back or aborted"},
	}
	for _, c := range cases {
		doc := stateDoc(t, c.s)
		if err := readState(doc); err != nil {
			t.Fatalf("%s: the unedited state is refused: %v", c.name, err)
		}
		c.edit(doc)
		if err := readState(doc); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// Merging sums whose total leaves 128 bits is refused, s unchanged.
func TestMergeOverflow(t *testing.T) {
	var a, b Summary
	a.Add(badRun(3, time.Minute))
	b.Add(badRun(4, time.Minute))
	a.figs[BadCandidate][CandidateFailures].sumSq = int128{hi: math.MaxInt64, lo: math.MaxUint64}
	b.figs[BadCandidate][CandidateFailures].sumSq = int128{hi: 0, lo: 1}
	before := a.Clone()
	err := a.Merge(&b)
	if err == nil || !strings.Contains(err.Error(), "overflows 128 bits") {
		t.Fatalf("err = %v, want an overflow", err)
	}
	if !a.Equal(before) {
		t.Errorf("a refused merge changed the summary")
	}
	if _, ok := (int128{hi: math.MinInt64}).addChecked(int128{hi: -1, lo: math.MaxUint64}); ok {
		t.Errorf("-2^127 - 1 did not overflow")
	}
	if s, ok := (int128{hi: -1, lo: math.MaxUint64}).addChecked(int128{lo: 1}); !ok || s != (int128{}) {
		t.Errorf("-1 + 1 = %v, %v", s, ok)
	}
}

// Origins: shards of one scenario merge and cover [0, runs); a shard given
// twice, a shard of another scenario, a copy of a row under a new label and
// a missing shard are refused with the reason.
func TestOriginRefusals(t *testing.T) {
	runs := badRuns(9, 30) // one population: run i is bad run i
	fp := Fingerprint("scenario", "A")
	shard := func(from, to int, fp string) *Summary {
		s := summarize(runs[from:to])
		if err := s.SetOrigin(fp, int64(from)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	table := func(label string, s *Summary) *Table {
		var tb Table
		tb.Add(label, s)
		return &tb
	}
	var m Table
	for _, sh := range []*Table{table("A", shard(0, 10, fp)), table("A", shard(20, 30, fp))} {
		if err := m.Merge(sh); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.CheckComplete(30); err == nil || !strings.Contains(err.Error(), "runs [10, 20) are missing") {
		t.Errorf("missing shard: %v", err)
	}
	for name, c := range map[string]struct {
		t    *Table
		want string
	}{
		"duplicate":     {table("A", shard(0, 10, fp)), "counted twice"},
		"other sweep":   {table("A", shard(10, 20, Fingerprint("scenario2", "A"))), "runs of different scenarios"},
		"relabelled":    {table("B", shard(10, 20, fp)), "a copy of another row under a new label"},
		"no origin":     {table("A", summarize(runs[10:20])), "whether they share runs cannot be checked"},
		"overlap":       {table("A", shard(5, 15, fp)), "runs [5, 10) counted twice"},
		"nil summary":   {&Table{Rows: []Row{{Label: "A"}}}, "Summary is nil"},
		"past the runs": {table("A", shard(10, 30, fp)), "counted twice"},
	} {
		before, _ := m.MarshalJSON()
		if err := m.Merge(c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
		after, _ := m.MarshalJSON()
		if !bytes.Equal(before, after) {
			t.Errorf("%s: a refused merge changed the table", name)
		}
	}
	if err := m.Merge(table("A", shard(10, 20, fp))); err != nil {
		t.Fatal(err)
	}
	if err := m.CheckComplete(30); err != nil {
		t.Errorf("complete: %v", err)
	}
	if err := m.CheckComplete(40); err == nil || !strings.Contains(err.Error(), "[30, 40) are missing") {
		t.Errorf("runs = 40: %v", err)
	}
	if err := m.CheckComplete(20); err == nil || !strings.Contains(err.Error(), "beyond the 20 runs") {
		t.Errorf("runs = 20: %v", err)
	}
	whole := summarize(runs)
	if !m.Rows[0].Summary.Equal(shard(0, 30, fp)) || !derivedEqual(t, m.Rows[0].Summary, whole) {
		t.Errorf("merged shards differ from the whole")
	}
	// The origin survives JSON and a relabelled range is refused on read.
	doc := stateDoc(t, m.Rows[0].Summary)
	if err := readState(doc); err != nil {
		t.Fatal(err)
	}
	doc["bad_run_ranges"] = []any{[]any{0, 29}}
	if err := readState(doc); err == nil || !strings.Contains(err.Error(), "bad_run_ranges") {
		t.Errorf("ranges that do not hold the runs: %v", err)
	}
}

func TestSetOriginErrors(t *testing.T) {
	s := summarize(randomRuns(1, 3))
	for name, c := range map[string]struct {
		fp    string
		first int64
		want  string
	}{
		"empty":    {"", 0, "1 to 128 characters"},
		"space":    {"a b", 0, "printable ASCII"},
		"negative": {"x", -1, "must be >= 0"},
		"overflow": {"x", math.MaxInt64 - 1, "2^63-1"},
	} {
		if err := s.Clone().SetOrigin(c.fp, c.first); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := s.SetOrigin("x", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOrigin("y", 0); err == nil {
		t.Errorf("second SetOrigin accepted")
	}
	var nilS *Summary
	if err := nilS.SetOrigin("x", 0); err == nil {
		t.Errorf("nil Summary accepted")
	}
}
