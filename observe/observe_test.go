package observe

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTest(t *testing.T, names ...string) Data {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join("testdata", n))
	}
	d, err := ReadFiles(paths, Pick{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func find(t *testing.T, ss []Series, m Metric, stat, version string) *Series {
	t.Helper()
	for i := range ss {
		if ss[i].Metric == m && ss[i].Stat == stat && ss[i].Version == version {
			return &ss[i]
		}
	}
	t.Fatalf("no %v %s version %q among %d series", m, stat, version, len(ss))
	return nil
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// The two pages of get-metric-data.json (newest first, the first marked
// PartialData) hold 12 minutes from 10:00 with minute 7 left out:
// Invocations 600+60k, Throttles 5 in minute 9, Errors summing to 12,
// Duration p50/p90/p99 of a lognormal(ln 100, 0.5), ConcurrentExecutions
// 10+k with 40 in minute 9.
func TestGetMetricDataPages(t *testing.T) {
	d := readTest(t, "get-metric-data.json")
	inv := find(t, d.Series, Invocations, "Sum", "")
	if len(inv.Points) != 11 || inv.Period != time.Minute || inv.Partial {
		t.Fatalf("Invocations: %d points, period %v, partial %v; want 11, 1m0s, false (page 2 completes it)", len(inv.Points), inv.Period, inv.Partial)
	}
	if !inv.Points[0].T.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) || inv.Points[0].V != 600 {
		t.Errorf("oldest point %v = %v, want 10:00 = 600 (pages are newest first)", inv.Points[0].T, inv.Points[0].V)
	}
	if inv.Gaps() != 1 {
		t.Errorf("Gaps = %d, want 1 (minute 7)", inv.Gaps())
	}
	find(t, d.Series, Duration, "p90", "")
	find(t, d.Series, ConcurrentExecutions, "Maximum", "")

	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Arrivals = Invocations + Throttles; minute 7 has none.
	total := 0.0
	for k := 0; k < 12; k++ {
		if k != 7 {
			total += 600 + 60*float64(k)
		}
	}
	total += 5
	if len(c.PerMinute) != 12 {
		t.Fatalf("len(PerMinute) = %d, want 12", len(c.PerMinute))
	}
	near(t, "PerMinute[7]", c.PerMinute[7], 0, 0)
	near(t, "PerMinute[9]", c.PerMinute[9], 600+540+5, 1e-9)
	near(t, "MeanRate", c.MeanRate.Value, total/12/60, 1e-12)
	near(t, "PeakRate", c.PeakRate.Value, (600+60*11)/60.0, 1e-12)
	near(t, "ErrorRate", c.ErrorRate.Value, 12/(total-5), 1e-15)
	near(t, "LatencyP50", c.LatencyP50.Value, 100, 0.01)
	near(t, "LatencyP99", c.LatencyP99.Value, 100*math.Exp(0.5*2.3263478740408408), 0.05)
	near(t, "MaxConcurrency", c.MaxConcurrency.Value, 40, 0)
	near(t, "ThrottleRate", c.ThrottleRate.Value, 5/total, 1e-15)
	near(t, "ConcurrencyLimit", c.ConcurrencyLimit.Value, 40, 0)
	if !hasWarning(c.Warnings, "1 periods of 1m0s missing") {
		t.Errorf("no gap warning in %q", c.Warnings)
	}
	for _, e := range []Estimate{c.MeanRate, c.ErrorRate, c.LatencyP50, c.ThrottleRate, c.Dispersion.Rho} {
		if e.Source == "" {
			t.Errorf("an estimate (%v) says not where it came from", e.Value)
		}
	}
}

func TestPartialDataWarns(t *testing.T) {
	// Page 1 alone: every result says PartialData.
	data, err := os.ReadFile(filepath.Join("testdata", "get-metric-data.json"))
	if err != nil {
		t.Fatal(err)
	}
	first := string(data[:strings.Index(string(data), "}\n{")+2])
	_, warn, err := ReadCloudWatch(strings.NewReader(first), "page1.json")
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(warn, "PartialData") {
		t.Errorf("warnings %q: want one about PartialData", warn)
	}
}

// Per-version series are summed when the alias as a whole is missing.
func TestVersionsSummed(t *testing.T) {
	d := readTest(t, "get-metric-data-versions.json")
	find(t, d.Series, Invocations, "Sum", "3")
	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []float64{600, 600, 600} {
		near(t, "PerMinute", c.PerMinute[k], want, 0)
	}
	near(t, "ErrorRate", c.ErrorRate.Value, 5.0/1800, 1e-15)
}

func TestGetMetricStatistics(t *testing.T) {
	d := readTest(t, "get-metric-statistics.json")
	inv := find(t, d.Series, Invocations, "Sum", "")
	for i, p := range inv.Points { // written in no order; read oldest first
		if p.V != 120*float64(i+1) {
			t.Errorf("Invocations[%d] = %v, want %v", i, p.V, 120*(i+1))
		}
	}
	find(t, d.Series, Duration, "p99", "")
	c, err := Fit(d.Series, Options{Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 120, 240, …, 600 per minute, scaled ×2: mean 720, peak 1200.
	near(t, "MeanRate", c.MeanRate.Value, 720.0/60, 1e-12)
	near(t, "PeakRate", c.PeakRate.Value, 1200.0/60, 1e-12)
	near(t, "LatencyP50", c.LatencyP50.Value, 100, 1e-6)
	near(t, "LatencyP99", c.LatencyP99.Value, 100*math.Exp(0.3*2.3263478740408408), 1e-3)
	if c.ErrorRate.Value >= 0 || !hasWarning(c.Warnings, "baseline error rate not calibrated") {
		t.Errorf("ErrorRate %v, warnings %q: want none and a warning", c.ErrorRate.Value, c.Warnings)
	}
}

// API Gateway: Count is the traffic, 5XXError/Count the error rate, and
// Latency − IntegrationLatency the overhead (130 − 110 ms).
func TestAPIGateway(t *testing.T) {
	d := readTest(t, "apigateway.json")
	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "MeanRate", c.MeanRate.Value, 20, 1e-12)
	near(t, "ErrorRate", c.ErrorRate.Value, 8.0/6000, 1e-15)
	near(t, "APIOverhead", c.APIOverhead.Value, 20, 1e-12)
}

// sum by (code): 200 at 10+k req/s, 404 at 0.5, 503 at 0.05 every other
// step. Requests are all codes, errors the 5xx, per 60 s step.
func TestPrometheus(t *testing.T) {
	d := readTest(t, "prometheus.json")
	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := 0.0
	for k := 0; k < 10; k++ {
		req += 10 + float64(k) + 0.5
		if k%2 == 1 {
			req += 0.05
		}
	}
	near(t, "MeanRate", c.MeanRate.Value, req/10, 1e-9)
	near(t, "PeakRate", c.PeakRate.Value, 19.55, 1e-9)
	near(t, "ErrorRate", c.ErrorRate.Value, 5*0.05/req, 1e-12)
}

func TestCSV(t *testing.T) {
	d := readTest(t, "per-minute.csv")
	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 30, 60, 90, 120, 30, 60, 90, 120 per minute.
	near(t, "MeanRate", c.MeanRate.Value, 75.0/60, 1e-12)
	near(t, "PeakRate", c.PeakRate.Value, 2, 1e-12)
	if !c.Start.Equal(time.Unix(1714557600, 0)) {
		t.Errorf("Start = %v, want the first row", c.Start)
	}
	// A start within the file drops the minutes before it.
	c, err = Fit(d.Series, Options{Start: time.Unix(1714557600+120, 0), Deployment: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.PerMinute) != 6 || c.PerMinute[0] != 90 {
		t.Errorf("PerMinute from minute 2 = %v, want 6 minutes from 90", c.PerMinute)
	}
	if !hasWarning(c.Warnings, "shorter than the deployment") {
		t.Errorf("warnings %q: want one about a series shorter than the deployment", c.Warnings)
	}
}

func TestAzurePick(t *testing.T) {
	for _, tc := range []struct {
		pick  string
		hash  string
		total float64
	}{
		{"busiest", "0f0f0f02", 8640},
		{"rank:2", "0f0f0f03", 3000},
		{"rank:4", "0f0f0f01", 144},
		{"0f0f0f04", "0f0f0f04", 2880},
	} {
		p, err := ParsePick(tc.pick)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ReadFiles([]string{"testdata/function_durations_percentiles.anon.d03.csv", "testdata/invocations_per_function_md.anon.d03.csv"}, p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Azure.Function != tc.hash || d.Azure.Total != tc.total || d.Azure.Day != 3 {
			t.Errorf("%s: got %s (total %v, day %d), want %s (%v, day 3)", tc.pick, d.Azure.Function, d.Azure.Total, d.Azure.Day, tc.hash, tc.total)
		}
		c, err := Fit(d.Series, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near(t, tc.pick+" MeanRate", c.MeanRate.Value, tc.total/1440/60, 1e-12)
		// Durations: lognormal(ln 200, 0.4) percentiles 1..99.
		near(t, tc.pick+" LatencyP50", c.LatencyP50.Value, 200, 0.05)
		near(t, tc.pick+" LatencyP99", c.LatencyP99.Value, 200*math.Exp(0.4*2.3263478740408408), 0.2)
	}
	if _, err := ReadFiles([]string{"testdata/invocations_per_function_md.anon.d03.csv"}, Pick{Rank: 5}); err == nil || !strings.Contains(err.Error(), "has 4 functions") {
		t.Errorf("rank:5 of 4: err = %v", err)
	}
	for _, bad := range []string{"rank:0", "rank:x", "zz", ""} {
		if _, err := ParsePick(bad); err == nil {
			t.Errorf("ParsePick(%q): no error", bad)
		}
	}
}

func TestRecognise(t *testing.T) {
	for _, tc := range []struct {
		id, label string
		m         Metric
		stat, ver string
	}{
		{"inv", "", Invocations, "Sum", ""},
		{"m1", "Invocations", Invocations, "Sum", ""},
		{"errors_v3", "", Errors, "Sum", "3"},
		{"x", "Errors ExecutedVersion 12", Errors, "Sum", "12"},
		{"dur_p99", "", Duration, "p99", ""},
		{"d", "Duration p99.9", Duration, "p99.9", ""},
		{"dur_avg_v2", "", Duration, "Average", "2"},
		{"conc", "", ConcurrentExecutions, "Maximum", ""},
		{"api_5xx", "", Error5XX, "Sum", ""},
		{"q", "5XXError", Error5XX, "Sum", ""},
		{"q", "4XXError", Error4XX, "Sum", ""},
		{"integration_latency", "", IntegrationLatency, "Average", ""},
		{"lat_p99", "", Latency, "p99", ""},
		{"count", "", Count, "Sum", ""},
		{"thr", "", Throttles, "Sum", ""},
		{"m9", "something", Unknown, "", ""},
	} {
		m, st, v := Recognise(tc.id, tc.label)
		if m != tc.m || st != tc.stat || v != tc.ver {
			t.Errorf("Recognise(%q, %q) = %v %q %q, want %v %q %q", tc.id, tc.label, m, st, v, tc.m, tc.stat, tc.ver)
		}
	}
}

func TestErrorsNamePlace(t *testing.T) {
	long := strings.Repeat("x", 500)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"a.json", "{\"MetricDataResults\": [\n {\"Id\": \"inv\", \"Timestamps\": [\"" + long + "\"], \"Values\": [1]}]}", []string{"a.json:2", "Timestamps[0]", "xxxx\"…"}},
		{"b.json", "{\"MetricDataResults\": [\n\n {\"Id\": \"inv\", \"Timestamps\": [], \"Values\": [1]}]}", []string{"b.json:3", "0 Timestamps and 1 Values"}},
		{"c.json", "{\n\"Label\": \"Duration\",\n\"Datapoints\": [\n{\"Timestamp\": \"2024-05-01T10:00:00Z\", \"Average\": \"x\"}]}", []string{"c.json:4", "Average"}},
		{"d.json", "{\"MetricDataResults\": [\n{\"Id\": ", []string{"d.json:2", "cut short"}},
		{"e.csv", "timestamp,count\n2024-05-01T10:00:00Z,5\n2024-05-01T10:01:00Z,-3\n", []string{"e.csv:3", "count", "\"-3\""}},
		{"f.csv", "timestamp,count\n" + long + ",5\n", []string{"f.csv:2", "timestamp", "…"}},
		{"g.json", `{"status":"success","data":{"resultType":"vector","result":[]}}`, []string{"g.json", "data.resultType", "matrix"}},
		{"h.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\n", []string{"h.csv:1", "header"}},
	} {
		_, err := Read(strings.NewReader(tc.in), tc.name, Pick{})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: %v is not a *ParseError", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: error is %d bytes long: values must be clipped", tc.name, len(err.Error()))
		}
	}
}

// Ids that say nothing (m1, m2 …) are read through the queries file the
// export was made with: MetricName, Stat and ExecutedVersion.
func TestQueriesFile(t *testing.T) {
	d := readTest(t, "get-metric-data-opaque-ids.json")
	if s := find(t, d.Series, Unknown, "", ""); s == nil {
		t.Fatal("opaque Ids recognised without the queries")
	}
	d = readTest(t, "get-metric-data-opaque-ids.json", "queries.json")
	find(t, d.Series, Invocations, "Sum", "7")
	find(t, d.Series, Duration, "p99", "")
	c, err := Fit(d.Series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "MeanRate", c.MeanRate.Value, 240.0/60, 1e-12)
	near(t, "ErrorRate", c.ErrorRate.Value, 3.0/720, 1e-15)
	near(t, "LatencyP50", c.LatencyP50.Value, 100, 1e-9)
	near(t, "LatencyP99", c.LatencyP99.Value, 500, 1e-9)
	// The metric-math result (no MetricStat) stays unknown, with a warning.
	if !hasWarning(c.Warnings, `Id "rate"`) {
		t.Errorf("no warning about the expression result in %q", c.Warnings)
	}
	if _, err := ReadQueries(strings.NewReader(`[{"Expression": "m1"}]`), "q.json"); err == nil || !strings.Contains(err.Error(), "[0].Id") {
		t.Errorf("a query without Id: %v", err)
	}
}

func TestRecogniseRatios(t *testing.T) {
	for _, s := range []string{"error rate", "errors_pct", "ErrorRate", "5xx_ratio", "Errors percent"} {
		if m, _, _ := Recognise(s, ""); m != Unknown {
			t.Errorf("Recognise(%q) = %v, want Unknown (a ratio)", s, m)
		}
	}
	for _, s := range []string{"IntegrationLatency", "Duration p99.9", "duration"} {
		if m, _, _ := Recognise(s, ""); m == Unknown {
			t.Errorf("Recognise(%q) = Unknown: its letters spell rate or ratio, not its words", s)
		}
	}
}
