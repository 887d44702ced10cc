package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// point is a one-run summary with the given candidate failures and, if
// dur >= 0, a deployment duration of dur seconds; if rolledBack, a healthy
// run rolled back (a false rollback).
func point(failures int64, dur int, rolledBack bool) *Summary {
	r := healthyRun(rolledBack)
	r.Candidate.Errors = failures
	r.Promoted = Never
	if dur >= 0 {
		r.Promoted = time.Duration(dur) * time.Second
	}
	var s Summary
	s.Add(r)
	return &s
}

func labels(rows []Row) string {
	var l []string
	for _, r := range rows {
		l = append(l, r.Label)
	}
	return strings.Join(l, ",")
}

func TestPareto(t *testing.T) {
	var tb Table
	tb.Add("A", point(1, 500, false)) // best failures
	tb.Add("B", point(2, 200, false)) // on the front
	tb.Add("C", point(3, 300, false)) // dominated by B on both
	tb.Add("D", point(2, 200, false)) // ties B exactly: both stay
	tb.Add("E", point(5, 100, false)) // best duration
	tb.Add("F", point(0, -1, true))   // never promoted: no duration, left out
	tb.Add("G", point(5, 150, false)) // dominated by E (same failures, longer)
	tb.Add("H", point(1, 500, false)) // ties A
	front := Pareto(tb.Rows, CandidateFailures, DeployDuration)
	if got := labels(front); got != "A,H,B,D,E" {
		t.Errorf("front = %s, want A,H,B,D,E (by x, then y, then table order)", got)
	}
	// Swapping the axes gives the same set, ordered by the new x.
	if got := labels(Pareto(tb.Rows, DeployDuration, CandidateFailures)); got != "E,B,D,A,H" {
		t.Errorf("swapped front = %s, want E,B,D,A,H", got)
	}
	// DetectionRate is maximised: no bad runs here, so it is NaN and every row is left out.
	if got := Pareto(tb.Rows, DetectionRate, CandidateFailures); len(got) != 0 {
		t.Errorf("front over an undefined rate: %s", labels(got))
	}
	if got := Pareto(nil, CandidateFailures, DeployDuration); len(got) != 0 {
		t.Errorf("empty rows: %s", labels(got))
	}
}

func TestParetoMaximisesDetection(t *testing.T) {
	mk := func(detected, of int, failures int64) *Summary {
		var s Summary
		for i := range of {
			d := Never
			if i < detected {
				d = time.Minute
			}
			s.Add(badRun(failures, d))
		}
		return &s
	}
	var tb Table
	tb.Add("sure", mk(4, 4, 10))  // detects always, many failures
	tb.Add("cheap", mk(1, 4, 2))  // rarely detects, few failures
	tb.Add("worse", mk(1, 4, 10)) // dominated by both
	tb.Add("middle", mk(2, 4, 5)) // between
	if got := labels(Pareto(tb.Rows, DetectionRate, CandidateFailures)); got != "sure,middle,cheap" {
		t.Errorf("front = %s, want sure,middle,cheap (highest detection first)", got)
	}
}

func TestBest(t *testing.T) {
	var tb Table
	tb.Add("fast-risky", point(1, 60, false))
	tb.Add("slow-safe", point(0, 5400, false))
	tb.Add("balanced", point(3, 900, false))
	tb.Add("twin", point(3, 900, false))
	tb.Add("flaky", point(0, -1, true)) // a false rollback
	rec, err := Best(&tb, CandidateFailures, AtMost(DeployDuration, 1800), AtMost(FalseRollbackRate, 0.01))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Row.Label != "fast-risky" || rec.Index != 0 || rec.Value != 1 || len(rec.Others) != 4 {
		t.Fatalf("recommendation: %+v", rec)
	}
	want := map[string]string{
		"slow-safe": "fails duration_s <= 1800: 5400",
		"balanced":  "candidate_failures = 3, worse than fast-risky's 1",
		"twin":      "candidate_failures = 3, worse than fast-risky's 1",
		"flaky":     "fails duration_s <= 1800: no data",
	}
	for _, v := range rec.Others {
		if v.Reason != want[v.Row.Label] {
			t.Errorf("%s: reason %q, want %q", v.Row.Label, v.Reason, want[v.Row.Label])
		}
	}

	// Ties: the first in table order wins, the other says so.
	rec, err = Best(&tb, CandidateFailures, AtLeast(DeployDuration, 600), AtMost(DeployDuration, 1000))
	if err != nil || rec.Row.Label != "balanced" {
		t.Fatalf("tie: %+v, %v", rec, err)
	}
	for _, v := range rec.Others {
		if v.Row.Label == "twin" && v.Reason != "ties balanced on candidate_failures = 3; listed later" {
			t.Errorf("twin: %q", v.Reason)
		}
	}

	// Confident constraints use the interval: one run has no interval, so none qualifies.
	_, err = Best(&tb, CandidateFailures, Constraint{Figure: DeployDuration, Bound: Upper, Limit: 1e9, Confident: true})
	if !errors.Is(err, ErrNoneQualifies) || !strings.Contains(err.Error(), "fast-risky: fails duration_s <= 1e+09 (CI): no data") {
		t.Errorf("confident: %v", err)
	}

	// Nothing qualifies: the error names every row's first failed constraint.
	_, err = Best(&tb, CandidateFailures, AtMost(DeployDuration, 10))
	if !errors.Is(err, ErrNoneQualifies) || !strings.Contains(err.Error(), "slow-safe: fails duration_s <= 10: 5400") {
		t.Errorf("none: %v", err)
	}
	if _, err := Best(&Table{}, CandidateFailures); !errors.Is(err, ErrNoneQualifies) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty table: %v", err)
	}
	if _, err := Best(&tb, Figure(200)); err == nil || !strings.Contains(err.Error(), "objective = 200") {
		t.Errorf("bad objective: %v", err)
	}
	if _, err := Best(&tb, CandidateFailures, Constraint{Figure: DeployDuration, Bound: 7}); err == nil || !strings.Contains(err.Error(), "Bound = 7") {
		t.Errorf("bad bound: %v", err)
	}
}

func TestFigureNames(t *testing.T) {
	seen := map[string]bool{}
	for f := Figure(0); f < numFigures; f++ {
		if !f.valid() {
			continue
		}
		s := f.String()
		if seen[s] || strings.HasPrefix(s, "Figure(") {
			t.Errorf("figure %d: name %q missing or repeated", f, s)
		}
		seen[s] = true
		if back, err := ParseFigure(s); err != nil || back != f {
			t.Errorf("ParseFigure(%q) = %v, %v", s, back, err)
		}
		if f.Label() == "" {
			t.Errorf("figure %v has no label", f)
		}
	}
	if len(RunFigures) != int(numRunFigures) {
		t.Errorf("RunFigures lists %d of %d figures", len(RunFigures), numRunFigures)
	}
	if _, err := ParseFigure("failures"); err == nil || !strings.Contains(err.Error(), `Figure = "failures"`) {
		t.Errorf("ParseFigure(failures): %v", err)
	}
	r := badRun(7, time.Minute)
	r.ExposureSeconds = 1.5
	if v, ok := TimeToDetect.Of(r); !ok || v != 60 {
		t.Errorf("TimeToDetect.Of = %g, %v", v, ok)
	}
	if v, ok := Exposure.Of(r); !ok || v != 1.5 {
		t.Errorf("Exposure.Of = %g, %v", v, ok)
	}
	if _, ok := DeployDuration.Of(r); ok {
		t.Errorf("DeployDuration of a rolled-back run")
	}
	for v := 1.0; v <= 100; v++ {
		r.CandidateLatency.Add(v)
	}
	// nearest rank 99 of 1..100 is 99, within SketchAccuracy (then rounded to a millionth).
	if v, ok := CandidateP99Latency.Of(r); !ok || math.Abs(v-99) > SketchAccuracy*99 {
		t.Errorf("CandidateP99Latency.Of = %g, %v", v, ok)
	}
	if _, ok := BaselineP99Latency.Of(r); ok {
		t.Errorf("baseline p99 with no baseline invocations")
	}
	if _, ok := DetectionRate.Of(r); ok {
		t.Errorf("a rate has no per-run value")
	}
}
