package metrics

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// crossArchTable builds a table from runs drawn with integer arithmetic only
// (every float is an integer over a power of two, exact everywhere), so
// that the input is bit-identical on every architecture: one row with few
// runs (exact quantiles, wide intervals), one with a healthy twin, and one
// past ExactValues (sketch quantiles).
func crossArchTable() *Table {
	mk := func(seed uint64, n int, twin bool) *Summary {
		rng := rand.New(rand.NewPCG(seed, 99))
		var s Summary
		for i := range n {
			r := &Run{Bad: true, Outcome: RolledBack, FaultOnset: 0, FirstFailure: time.Second, Promoted: Never, End: time.Hour}
			r.Candidate = VersionCounts{Requests: 100 + rng.Int64N(900), Errors: rng.Int64N(80), Timeouts: rng.Int64N(3)}
			r.Baseline = VersionCounts{Requests: 1000 + rng.Int64N(9000)}
			r.ExcessFailures = float64(rng.Int64N(800)-20) / 8
			r.UsersHit = float64(rng.Int64N(500)) / 4
			r.ExposureSeconds = float64(rng.Int64N(1<<20)) / 16
			d := time.Duration(60+rng.Int64N(600)) * time.Second / 7
			r.Detected, r.WeightZero, r.Drained = d, d+5*time.Second, d+6*time.Second
			if i%9 == 0 {
				r.Outcome, r.Detected, r.WeightZero, r.Drained, r.Promoted = Missed, Never, Never, Never, 10*time.Minute
			}
			for range 1 + rng.IntN(40) {
				r.CandidateLatency.Add(float64(1+rng.Int64N(4000)) / 4)
				r.BaselineLatency.Add(float64(1+rng.Int64N(2000)) / 8)
			}
			s.Add(r)
			if twin {
				h := &Run{Outcome: Completed, FaultOnset: Never, FirstFailure: Never, Detected: Never, WeightZero: Never, Drained: Never,
					Promoted: time.Duration(300+rng.Int64N(7)) * time.Second / 3, End: time.Hour}
				if rng.IntN(50) == 0 {
					h.Outcome, h.Promoted, h.Detected, h.WeightZero = FalseRollback, Never, time.Minute, time.Minute+5*time.Second
				}
				h.Candidate = VersionCounts{Requests: 50 + rng.Int64N(500), Errors: rng.Int64N(2)}
				h.CandidateLatency.Add(float64(1+rng.Int64N(400)) / 4)
				s.Add(h)
			}
		}
		return &s
	}
	var t Table
	t.Add("few", mk(1, 7, false))
	t.Add("twins", mk(2, 300, true), Param{"rps", "100"})
	t.Add("many", mk(3, ExactValues+50, true), Param{"rps", "1000"})
	return &t
}

// TestCrossArchOutput: what a table prints, as text (every column) and as
// JSON with (the hash of) its state, is the same bytes on every architecture. The golden
// file was written on amd64 (UPDATE_GOLDEN=1); CI runs this test under
// GOARCH=386 too, where math.Exp, math.Log and gonum's quantiles differ in
// their last bits, and it passes on arm64 (fused multiply-adds) under
// qemu-aarch64. Everything printed comes from integer state, correctly
// rounded IEEE operations, internal/xmath (the sketch's bucket values) and
// critical.go (the interval's critical values).
func TestCrossArchOutput(t *testing.T) {
	tb := crossArchTable()
	var b bytes.Buffer
	if err := tb.WriteWith(&b, Text, WriteOptions{Wide: true}); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteWith(&b, CSV, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteWith(&b, JSON, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The state (a megabyte of values and buckets) enters by its hash.
	var st bytes.Buffer
	if err := tb.WriteWith(&st, JSON, WriteOptions{WithState: true}); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "state sha256 %x\n", sha256.Sum256(st.Bytes()))
	const golden = "testdata/crossarch.golden"
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		got, wl := bytes.Split(b.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(got), len(wl)) {
			if !bytes.Equal(got[i], wl[i]) {
				t.Fatalf("output differs from %s at line %d:\n got: %s\nwant: %s", golden, i+1, got[i], wl[i])
			}
		}
		t.Fatalf("output differs from %s: %d lines, want %d", golden, len(got), len(wl))
	}
}
