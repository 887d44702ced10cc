package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

// statsFixture: 10 invocations of which 3 failed, 2 throttles, durations
// 10, 20, …, 100 ms, concurrency samples 1, 2, 3, 4.
func statsFixture() *VersionStats {
	v := &VersionStats{Invocations: 10, Errors: 3, Throttles: 2}
	for d := 10.0; d <= 100; d += 10 {
		v.Duration.Add(d)
	}
	for c := 1.0; c <= 4; c++ {
		v.Concurrency.Add(c)
	}
	return v
}

func pct(p float64) Statistic { return Statistic{Kind: Percentile, P: p} }

// TestVersionStatsValue checks every metric × statistic against what
// CloudWatch computes from the samples Lambda publishes (docs/model.md,
// "CloudWatch metrics and alarms"):
// Invocations is a sample of 1 per invocation; Errors a sample per
// invocation, 1 if it failed, so SampleCount = invocations and Average =
// the error rate; Throttles a 1 per throttle; Duration one sample per
// invocation. Percentiles are nearest-rank: over the sorted samples, the
// value of rank ceil(p/100·n), rank 1 for p0. Expected values are worked out
// by hand from the fixture; sketch-based ones are within SketchAccuracy.
func TestVersionStatsValue(t *testing.T) {
	v := statsFixture()
	cases := []struct {
		m      Metric
		st     Statistic
		want   float64
		approx bool // from the sketch: within SketchAccuracy
	}{
		{Invocations, Statistic{Kind: Sum}, 10, false},
		{Invocations, Statistic{Kind: SampleCount}, 10, false},
		{Invocations, Statistic{Kind: Average}, 1, false},
		{Invocations, Statistic{Kind: Minimum}, 1, false},
		{Invocations, Statistic{Kind: Maximum}, 1, false},
		{Invocations, pct(0), 1, false},
		{Invocations, pct(50), 1, false},
		{Invocations, pct(100), 1, false},

		// Errors: samples 0,0,0,0,0,0,0,1,1,1 sorted.
		{Errors, Statistic{Kind: Sum}, 3, false},
		{Errors, Statistic{Kind: SampleCount}, 10, false},
		{Errors, Statistic{Kind: Average}, 0.3, false},
		{Errors, Statistic{Kind: Minimum}, 0, false},
		{Errors, Statistic{Kind: Maximum}, 1, false},
		{Errors, pct(0), 0, false},
		{Errors, pct(50), 0, false},   // rank 5
		{Errors, pct(70), 0, false},   // rank 7: the last 0
		{Errors, pct(70.1), 1, false}, // rank 8: the first 1
		{Errors, pct(99), 1, false},
		{Errors, pct(100), 1, false},

		{Throttles, Statistic{Kind: Sum}, 2, false},
		{Throttles, Statistic{Kind: SampleCount}, 2, false},
		{Throttles, Statistic{Kind: Average}, 1, false},
		{Throttles, Statistic{Kind: Minimum}, 1, false},
		{Throttles, Statistic{Kind: Maximum}, 1, false},
		{Throttles, pct(0), 1, false},
		{Throttles, pct(50), 1, false},
		{Throttles, pct(100), 1, false},

		// ErrorRate is the metric-math expression Errors/Invocations (Sum/Sum) whatever the statistic.
		{ErrorRate, Statistic{Kind: Sum}, 0.3, false},
		{ErrorRate, Statistic{Kind: SampleCount}, 0.3, false},
		{ErrorRate, Statistic{Kind: Average}, 0.3, false},
		{ErrorRate, Statistic{Kind: Minimum}, 0.3, false},
		{ErrorRate, Statistic{Kind: Maximum}, 0.3, false},
		{ErrorRate, pct(99), 0.3, false},

		// Duration: 10..100 step 10; sum 550.
		{Duration, Statistic{Kind: Sum}, 550, false},
		{Duration, Statistic{Kind: SampleCount}, 10, false},
		{Duration, Statistic{Kind: Average}, 55, false},
		{Duration, Statistic{Kind: Minimum}, 10, false},
		{Duration, Statistic{Kind: Maximum}, 100, false},
		{Duration, pct(0), 10, false},
		{Duration, pct(50), 50, true},  // rank 5
		{Duration, pct(90), 90, true},  // rank 9
		{Duration, pct(91), 100, true}, // rank 10
		{Duration, pct(100), 100, false},

		{ConcurrentExecutions, Statistic{Kind: Sum}, 10, false},
		{ConcurrentExecutions, Statistic{Kind: SampleCount}, 4, false},
		{ConcurrentExecutions, Statistic{Kind: Average}, 2.5, false},
		{ConcurrentExecutions, Statistic{Kind: Minimum}, 1, false},
		{ConcurrentExecutions, Statistic{Kind: Maximum}, 4, false},
		{ConcurrentExecutions, pct(50), 2, true}, // rank 2
		{ConcurrentExecutions, pct(75), 3, true}, // rank 3
	}
	for _, c := range cases {
		got, ok := v.Value(c.m, c.st)
		if !ok {
			t.Errorf("%v %v: missing", c.m, c.st)
			continue
		}
		tol := 1e-12 * math.Abs(c.want)
		if c.approx {
			tol = SketchAccuracy * math.Abs(c.want)
		}
		if math.Abs(got-c.want) > tol {
			t.Errorf("%v %v = %g, want %g", c.m, c.st, got, c.want)
		}
	}
}

// TestVersionStatsMissing: CloudWatch has no datapoint for a period without
// samples (a minute with no invocations has no Errors datapoint).
func TestVersionStatsMissing(t *testing.T) {
	all := []Statistic{{Kind: Sum}, {Kind: SampleCount}, {Kind: Average}, {Kind: Minimum}, {Kind: Maximum}, pct(99)}
	var empty VersionStats
	for m := Metric(0); m < numMetrics; m++ {
		for _, st := range all {
			if v, ok := empty.Value(m, st); ok {
				t.Errorf("empty %v %v = %g, want missing", m, st, v)
			}
		}
	}
	// Invocations but no throttles: Throttles has no samples, so no datapoint.
	busy := VersionStats{Invocations: 5}
	if _, ok := busy.Value(Throttles, Statistic{Kind: Sum}); ok {
		t.Errorf("Throttles with no throttle samples: want missing")
	}
	// Invocations and no errors: Errors has 5 zero samples, a datapoint of 0.
	for _, st := range []Statistic{{Kind: Sum}, {Kind: Average}, {Kind: Minimum}, {Kind: Maximum}, pct(99)} {
		if v, ok := busy.Value(Errors, st); !ok || v != 0 {
			t.Errorf("Errors %v with 5 clean invocations = %g, %v; want 0, true", st, v, ok)
		}
	}
	if v, ok := busy.Value(Errors, Statistic{Kind: SampleCount}); !ok || v != 5 {
		t.Errorf("Errors SampleCount = %g, want 5", v)
	}
	if _, ok := busy.Value(Metric(200), Statistic{Kind: Sum}); ok {
		t.Errorf("unknown metric: want missing")
	}
	if _, ok := statsFixture().Value(Invocations, Statistic{Kind: StatKind(99)}); ok {
		t.Errorf("unknown statistic: want missing")
	}
}

func TestSeriesAggregate(t *testing.T) {
	s := Series{Resolution: time.Minute, Periods: make([]Period, 4)}
	for i := range s.Periods {
		s.Periods[i].Dims[Candidate] = VersionStats{Invocations: float64(i + 1), Errors: 1}
		s.Periods[i].Dims[Candidate].Duration.Add(float64(10 * (i + 1)))
	}
	var into VersionStats
	into.Invocations = 1000 // must be reset
	s.Aggregate(Candidate, 1, 3, &into)
	if into.Invocations != 2+3 || into.Errors != 2 || into.Duration.Count() != 2 || into.Duration.Max() != 30 {
		t.Errorf("Aggregate [1,3): %+v", into)
	}
	s.Aggregate(Candidate, -5, 99, &into) // clamped to [0, 4)
	if into.Invocations != 10 || into.Errors != 4 {
		t.Errorf("Aggregate clamped: invocations %g errors %g, want 10 4", into.Invocations, into.Errors)
	}
	if v, ok := into.Value(Errors, Statistic{Kind: Average}); !ok || v != 0.4 {
		t.Errorf("aggregated error rate = %g, want 0.4", v)
	}
	s.Aggregate(Baseline, 0, 4, &into)
	if _, ok := into.Value(Errors, Statistic{Kind: Sum}); ok {
		t.Errorf("baseline with no traffic: want missing")
	}
}

func TestParseStatistic(t *testing.T) {
	good := map[string]Statistic{
		"Sum": {Kind: Sum}, "SampleCount": {Kind: SampleCount}, "Average": {Kind: Average},
		"Minimum": {Kind: Minimum}, "Maximum": {Kind: Maximum},
		"p99": pct(99), "p99.9": pct(99.9), "p0.0": pct(0), "p0": pct(0), "p100": pct(100),
		"p50": pct(50), "P95": pct(95), "p99.99": pct(99.99), "p100.0": pct(100), "p007": pct(7),
	}
	for in, want := range good {
		got, err := ParseStatistic(in)
		if err != nil || got != want {
			t.Errorf("ParseStatistic(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := []string{"p101", "p-1", "pNaN", "p", "", "P", "pInf", "p+5", "p1e2", "p.5", "p99.", "p9.9.9",
		"p0x10", "p 99", "p99 ", "sum", "average", "p100.0001", "Sum ", "p٩٩", "tm99", "p_99"}
	for _, in := range bad {
		got, err := ParseStatistic(in)
		if err == nil {
			t.Errorf("ParseStatistic(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "Statistic") || !strings.Contains(err.Error(), strings.TrimSpace(in)) {
			t.Errorf("ParseStatistic(%q): error %q does not name the field and value", in, err)
		}
	}
	// String and ParseStatistic round-trip, including percentiles String
	// could once have written with an exponent.
	for _, st := range []Statistic{pct(0.00001), pct(99.9), pct(100), {Kind: Average}} {
		back, err := ParseStatistic(st.String())
		if err != nil || back != st {
			t.Errorf("round trip %v -> %q -> %v, %v", st, st.String(), back, err)
		}
	}
}

func TestParseMetricAndDimension(t *testing.T) {
	for m := Metric(0); m < numMetrics; m++ {
		got, err := ParseMetric(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMetric(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMetric("errors"); err == nil || !strings.Contains(err.Error(), `MetricName = "errors"`) {
		t.Errorf("ParseMetric(errors): %v", err)
	}
	want := map[string]Dimension{"alias": Alias, "candidate": Candidate, "baseline": Baseline}
	for s, d := range want {
		got, err := ParseDimension(s)
		if err != nil || got != d || d.String() != s {
			t.Errorf("ParseDimension(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseDimension("Candidate"); err == nil || !strings.Contains(err.Error(), `Dimension = "Candidate"`) {
		t.Errorf("ParseDimension(Candidate): %v", err)
	}
	if Metric(77).String() != "Metric(77)" || Dimension(9).String() != "Dimension(9)" {
		t.Errorf("unknown names: %v %v", Metric(77), Dimension(9))
	}
}
