package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// randomRun makes a run with every figure exercised: bad or healthy, every
// outcome, instants that are Never, negative excess failures, float figures
// with fractional parts, and counts spanning several orders of magnitude.
func randomRun(rng *rand.Rand) *Run {
	r := &Run{Seed: rng.Uint64(), Bad: rng.IntN(2) == 0, FaultOnset: Never, FirstFailure: Never, Detected: Never, WeightZero: Never, Drained: Never, Promoted: Never}
	scale := int64(1) << rng.IntN(30)
	r.Candidate = VersionCounts{Requests: rng.Int64N(scale) + 1, Errors: rng.Int64N(scale/4 + 1), Timeouts: rng.Int64N(3), Throttles: rng.Int64N(5), ColdStarts: rng.Int64N(20)}
	r.Baseline = VersionCounts{Requests: rng.Int64N(scale) + 1, Errors: rng.Int64N(3), Throttles: rng.Int64N(2), ColdStarts: rng.Int64N(5)}
	r.ExcessFailures = rng.NormFloat64() * 100
	r.UsersHit = math.Floor(rng.Float64() * 50)
	r.ExposureSeconds = rng.Float64() * 3000
	r.LostEvents, r.FailedAttempts, r.DelayedMessages, r.DeadLettered = rng.Int64N(4), rng.Int64N(10), rng.Int64N(7), rng.Int64N(2)
	if r.Bad {
		r.FaultOnset = time.Duration(rng.Int64N(int64(time.Minute)))
	}
	switch k := rng.IntN(6); {
	case k < 2:
		r.Detected = time.Duration(rng.Int64N(int64(20 * time.Minute)))
		r.WeightZero = r.Detected + 5*time.Second
		r.Drained = r.WeightZero + time.Duration(rng.Int64N(int64(time.Second)))
		if r.Bad {
			r.Outcome = RolledBack
		} else {
			r.Outcome = FalseRollback
		}
	case k == 2:
		r.Outcome = HookAborted
	case k == 3:
		r.Outcome = Unfinished
	default:
		r.Promoted = time.Duration(rng.Int64N(int64(90 * time.Minute)))
		if r.Bad {
			r.Outcome = Missed
		} else {
			r.Outcome = Completed
		}
	}
	for range rng.IntN(5) {
		r.CandidateLatency.Add(math.Exp(4 + rng.NormFloat64()))
	}
	for range rng.IntN(3) {
		r.BaselineLatency.Add(math.Exp(3 + rng.NormFloat64()))
	}
	r.End = 2 * time.Hour
	return r
}

func randomRuns(seed uint64, n int) []*Run {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	runs := make([]*Run, n)
	for i := range runs {
		runs[i] = randomRun(rng)
	}
	return runs
}

func summarize(runs []*Run) *Summary {
	var s Summary
	for _, r := range runs {
		s.Add(r)
	}
	return &s
}

// sameFloat compares bit patterns, so NaN equals NaN and -0 differs from 0.
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// derivedEqual checks every number a reader can get from the two summaries.
func derivedEqual(t *testing.T, a, b *Summary) bool {
	t.Helper()
	ok := true
	for _, f := range RunFigures {
		if a.Population(f) != b.Population(f) {
			t.Logf("%v: read over %v vs %v", f, a.Population(f), b.Population(f))
			ok = false
		}
		x, y := a.Stats(f), b.Stats(f)
		for _, p := range []Population{BadCandidate, HealthyCandidate} {
			xp, yp := a.StatsOver(f, p, 0.9), b.StatsOver(f, p, 0.9)
			if xp.N != yp.N || !sameFloat(xp.Mean, yp.Mean) || !sameFloat(xp.StdDev, yp.StdDev) || !sameFloat(xp.P95, yp.P95) || !sameFloat(xp.CILow, yp.CILow) {
				t.Logf("%v over %v: %+v vs %+v", f, p, xp, yp)
				ok = false
			}
		}
		xs := []float64{x.Mean, x.StdDev, x.Min, x.Max, x.P50, x.P95, x.P99, x.CILow, x.CIHigh}
		ys := []float64{y.Mean, y.StdDev, y.Min, y.Max, y.P50, y.P95, y.P99, y.CILow, y.CIHigh}
		for i := range xs {
			if !sameFloat(xs[i], ys[i]) || x.N != y.N {
				t.Logf("%v: field %d: %v vs %v", f, i, xs[i], ys[i])
				ok = false
			}
		}
	}
	for _, f := range []Figure{DetectionRate, FalseRollbackRate, MissRate} {
		x, y := a.Rate(f), b.Rate(f)
		if x != y && !(sameFloat(x.Value, y.Value) && sameFloat(x.CILow, y.CILow) && sameFloat(x.CIHigh, y.CIHigh)) {
			t.Logf("%v: %+v vs %+v", f, x, y)
			ok = false
		}
	}
	return ok
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSummaryMergeEqualsWhole is the property that makes sharded sweeps
// possible: for any runs and any assignment of them to two shards (in any
// order within each), merging the shards' summaries gives the summary of
// the whole, bit for bit, in memory, in every derived number and in JSON.
func TestSummaryMergeEqualsWhole(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	if testing.Short() {
		params.MinSuccessfulTests = 50
	}
	params.Rng.Seed(1)
	props := gopter.NewProperties(params)
	props.Property("merge(shards) == whole", prop.ForAll(
		func(seed uint64, n int, mask uint64, reverse bool) bool {
			runs := randomRuns(seed, n)
			whole := summarize(runs)
			var a, b []*Run
			for i, r := range runs {
				if mask>>(uint(i)%64)&1 == 1 {
					a = append(a, r)
				} else {
					b = append(b, r)
				}
			}
			if reverse {
				for i, j := 0, len(a)-1; i < j; i, j = i+1, j-1 {
					a[i], a[j] = a[j], a[i]
				}
			}
			merged := summarize(a)
			merged.Merge(summarize(b))
			if !merged.Equal(whole) {
				t.Logf("state differs")
				return false
			}
			if !derivedEqual(t, merged, whole) {
				return false
			}
			return bytes.Equal(mustJSON(t, merged), mustJSON(t, whole)) &&
				bytes.Equal(mustJSON(t, Row{Label: "x", Summary: merged}), mustJSON(t, Row{Label: "x", Summary: whole}))
		},
		gen.UInt64(), gen.IntRange(0, 120), gen.UInt64(), gen.Bool(),
	))
	props.TestingRun(t)
}

// TestSummaryJSONRoundTrip: the state read back is Equal to the one written,
// and writes the same bytes again.
func TestSummaryJSONRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 57} {
		s := summarize(randomRuns(uint64(n)+7, n))
		b := mustJSON(t, s)
		var back Summary
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("n=%d: %v\n%s", n, err, b)
		}
		if !back.Equal(s) {
			t.Errorf("n=%d: round trip changed the state", n)
		}
		if !derivedEqual(t, &back, s) {
			t.Errorf("n=%d: round trip changed derived numbers", n)
		}
		if b2 := mustJSON(t, &back); !bytes.Equal(b, b2) {
			t.Errorf("n=%d: second write differs:\n%s\n%s", n, b, b2)
		}
		// A merge after the round trip still equals the whole.
		more := randomRuns(99, 10)
		back.Merge(summarize(more))
		whole := summarize(append(randomRuns(uint64(n)+7, n), more...))
		if !back.Equal(whole) {
			t.Errorf("n=%d: merge after round trip differs from the whole", n)
		}
	}
}

// BenchmarkSummaryAdd: the per-run cost of counting a run (Monte Carlo
// workers call it once per run, so it must not allocate once warm).
func BenchmarkSummaryAdd(b *testing.B) {
	runs := randomRuns(1, 1024)
	var s Summary
	for _, r := range runs {
		s.Add(r)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(runs[i&1023])
	}
}

// BenchmarkSummaryMerge: combining two summaries (per shard or per worker).
func BenchmarkSummaryMerge(b *testing.B) {
	part := summarize(randomRuns(2, 1000))
	var s Summary
	s.Merge(part)
	b.ReportAllocs()
	for b.Loop() {
		s.Merge(part)
	}
}

// BenchmarkSummaryStats: deriving one figure's numbers (exact big-number
// mean and variance, three quantiles, a t quantile).
func BenchmarkSummaryStats(b *testing.B) {
	s := summarize(randomRuns(3, 1000))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Stats(CandidateFailures)
	}
}

func TestSummaryAddDoesNotAllocateWhenWarm(t *testing.T) {
	runs := randomRuns(1, 256)
	s := summarize(runs)
	allocs := testing.AllocsPerRun(200, func() {
		for _, r := range runs[:16] {
			s.Add(r)
		}
	})
	if allocs != 0 {
		t.Errorf("warm Summary.Add allocated %g times per 16 runs, want 0", allocs)
	}
}
