package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseGate(t *testing.T) {
	for in, want := range map[string]string{
		"false_rollback_rate > 0.05":       "false_rollback_rate > 0.05",
		"candidate_failures.p95>100":       "candidate_failures.p95 > 100",
		" detection_rate <= 90% ":          "detection_rate <= 0.9",
		"duration_s.mean >= 1e3":           "duration_s.mean >= 1000",
		"outcomes.false_rollback < 1":      "outcomes.false_rollback < 1",
		"runs < 100":                       "runs < 100",
		"false_rollback_rate.ci_high > .1": "false_rollback_rate.ci_high > 0.1",
	} {
		g, err := ParseGate(in)
		if err != nil {
			t.Errorf("ParseGate(%q): %v", in, err)
			continue
		}
		if g.String() != want {
			t.Errorf("ParseGate(%q) = %q, want %q", in, g, want)
		}
	}
	for in, want := range map[string]string{
		"false_rollback_rate":          "want NAME OP NUMBER",
		"false_rollback_rate = 0.05":   "want NAME OP NUMBER",
		"> 3":                          "no name",
		"failures > 3":                 `Figure = "failures"`,
		"candidate_failures.p42 > 3":   `statistic "p42"`,
		"detection_rate.p95 > 3":       `statistic "p95"`,
		"candidate_failures > NaN":     "finite number",
		"candidate_failures > 1 > 2":   "one comparison only",
		"candidate_failures > ":        "finite number",
		"outcomes.rolled-back > 1":     "outcome must be one of",
		"candidate_failures >= 1e999":  "finite number",
		"candidate_failures. > 1":      "empty statistic",
		"candidate_failures >> 1":      "one comparison only",
		"time_to_detect_s => 1":        `Figure = "time_to_detect_s ="`,
		"detection_rate < ninety-five": "finite number",
	} {
		if _, err := ParseGate(in); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "gate = ") {
			t.Errorf("ParseGate(%q): err = %v, want %q", in, err, want)
		}
	}
}

// wilsonHigh is the Wilson upper bound at 95 % written out from its
// definition, with the tabulated normal quantile.
func wilsonHigh(k, n float64) float64 {
	p, z := k/n, z975
	return (p + z*z/(2*n) + z*math.Sqrt(p*(1-p)/n+z*z/(4*n*n))) / (1 + z*z/n)
}

// The gate judges the bound that makes it conservative: 2 false rollbacks
// in 100 healthy runs (2 %) fail "> 5 %" because the upper bound is 7 %;
// 0 in 200 pass it (upper bound 1.9 %); a detection rate of 95/100 fails
// "< 90 %" on its lower bound (89 %), although 95 % is above the limit.
func TestGateConservative(t *testing.T) {
	healthy := func(n, rolledBack int) *Summary {
		var s Summary
		for i := range n {
			s.Add(healthyRun(i < rolledBack))
		}
		return &s
	}
	bad := func(n, detected int) *Summary {
		var s Summary
		for i := range n {
			d := Never
			if i < detected {
				d = time.Duration(60+i) * time.Second
			}
			s.Add(badRun(int64(i%7), d))
		}
		return &s
	}
	var tb Table
	tb.Add("two-in-100", healthy(100, 2))
	tb.Add("none-in-200", healthy(200, 0))
	tb.Add("detects-95", bad(100, 95), Param{"rps", "1"})
	g, _ := ParseGate("false_rollback_rate > 0.05")
	fs, err := g.Check(&tb)
	if err != nil {
		t.Fatal(err)
	}
	// Row 2 has no healthy run: its false-rollback rate is unknown and fails.
	if len(fs) != 2 || fs[0].Row != 0 || fs[1].Row != 2 {
		t.Fatalf("failures %+v, want rows 0 and 2", fs)
	}
	if want := wilsonHigh(2, 100); math.Abs(fs[0].Judged-want) > 1e-12 || fs[0].Value != 0.02 {
		t.Errorf("judged %v (estimate %v), want the upper bound %v of 0.02", fs[0].Judged, fs[0].Value, want)
	}
	if !strings.Contains(fs[0].String(), "two-in-100: false_rollback_rate > 0.05: upper 95% bound 0.07") {
		t.Errorf("failure reads %q", fs[0])
	}
	if !strings.Contains(fs[1].String(), "detects-95 rps=1:") || !strings.Contains(fs[1].Reason, "0 trials") {
		t.Errorf("failure reads %q", fs[1])
	}
	if wilsonHigh(0, 200) > 0.05 {
		t.Fatalf("test premise: 0/200 upper bound %v", wilsonHigh(0, 200))
	}

	low, _ := ParseGate("detection_rate < 90%")
	fs, _ = low.Check(&Table{Rows: tb.Rows[2:]})
	if len(fs) != 1 || !(fs[0].Judged < 0.9) || fs[0].Value != 0.95 {
		t.Errorf("detection 95/100 against < 90%%: %+v", fs)
	}

	// Quantiles are exact here: p95 of failures 0..6 repeated is 6.
	q, _ := ParseGate("candidate_failures.p95 > 5")
	if fs, _ := q.Check(&Table{Rows: tb.Rows[2:]}); len(fs) != 1 || fs[0].Judged != 6 {
		t.Errorf("p95 > 5: %+v", fs)
	}
	q6, _ := ParseGate("candidate_failures.p95 > 6")
	if fs, _ := q6.Check(&Table{Rows: tb.Rows[2:]}); len(fs) != 0 {
		t.Errorf("p95 > 6: %+v", fs)
	}
	// A mean is judged on its upper t bound: mean of i%7 over 100 runs is
	// 2.94, its upper bound about 3.33.
	m, _ := ParseGate("candidate_failures > 3")
	fs, _ = m.Check(&Table{Rows: tb.Rows[2:]})
	st := tb.Rows[2].Summary.Stats(CandidateFailures)
	if st.Mean > 3 || st.CIHigh <= 3 || len(fs) != 1 || fs[0].Judged != st.CIHigh {
		t.Errorf("mean %v, upper %v: failures %+v", st.Mean, st.CIHigh, fs)
	}
	// No detection at all: the time to detect fails, whatever the limit.
	none := bad(10, 0)
	d, _ := ParseGate("time_to_detect_s > 1e9")
	if fs, _ := d.Check(&Table{Rows: []Row{{Label: "blind", Summary: none}}}); len(fs) != 1 || !strings.Contains(fs[0].Reason, "no run had time_to_detect_s") {
		t.Errorf("no detection: %+v", fs)
	}
	if _, err := d.Check(nil); err == nil {
		t.Errorf("nil table accepted")
	}
	if _, err := d.Check(&Table{Rows: []Row{{Label: "x"}}}); err == nil {
		t.Errorf("nil summary accepted")
	}
	if _, err := (Gate{}).Check(&tb); err == nil {
		t.Errorf("zero Gate accepted")
	}
}

// Past ExactValues a quantile comes from the sketch and is moved by
// SketchAccuracy toward failing.
func TestGateSketchQuantile(t *testing.T) {
	var s Summary
	for range ExactValues + 1 {
		s.Add(badRun(1000, time.Minute))
	}
	st := s.Stats(CandidateFailures)
	if st.Exact {
		t.Fatal("still exact")
	}
	g, _ := ParseGate("candidate_failures.p95 > 1000")
	fs, _ := g.Check(&Table{Rows: []Row{{Label: "x", Summary: &s}}})
	if len(fs) != 1 || fs[0].Judged != 1000*(1+SketchAccuracy) {
		t.Errorf("sketch p95 %v against > 1000: %+v", st.P95, fs)
	}
}

func FuzzParseGate(f *testing.F) {
	for _, s := range []string{"false_rollback_rate > 0.05", "candidate_failures.p95 > 100", "detection_rate<=90%", "runs < 1", "outcomes.missed >= 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "gate = ") {
				t.Fatalf("error does not name the gate: %v", err)
			}
			return
		}
		if math.IsNaN(g.Threshold) || math.IsInf(g.Threshold, 0) || !validOp(g.Op) {
			t.Fatalf("ParseGate(%q) = %+v", s, g)
		}
		back, err := ParseGate(g.String())
		if err != nil || back != g {
			t.Fatalf("round trip %q -> %q -> %+v, %v", s, g, back, err)
		}
	})
}
