package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/strategy"
)

// With only a small run count, compare covers every Lambda preset in the
// reference's order, on the documented default scenario. Each row holds the
// 4 bad runs and their 4 healthy twins (deploysim.Estimate): 8 runs.
func TestCompareDefaultsToLambdaPresets(t *testing.T) {
	out := mustRun(t, "compare", "--runs", "4", "--columns", "runs,detection_rate")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// The comment may take two lines (it wraps at 120 columns): join them.
	for len(lines) > 1 && strings.HasPrefix(lines[1], "# ") {
		lines[0] += " " + strings.TrimPrefix(lines[1], "# ")
		lines = append(lines[:1], lines[2:]...)
	}
	presets := strategy.LambdaPresets()
	if len(lines) != 2+len(presets) {
		t.Fatalf("%d lines, want a comment, a header and %d rows:\n%s", len(lines), len(presets), out)
	}
	if !strings.Contains(lines[0], fmt.Sprintf("%g req/s poisson", deploysim.DefaultRate)) || !strings.Contains(lines[0], fmt.Sprintf("+%g%% errors", 100*deploysim.DefaultFaultErrorProb)) || !strings.Contains(lines[0], "CandidateErrorRate") {
		t.Errorf("header does not describe the default scenario: %q", lines[0])
	}
	for i, s := range presets {
		if f := strings.Fields(lines[2+i]); len(f) < 2 || f[0] != s.Name() || f[1] != "8" {
			t.Errorf("row %d = %q, want %s with 4 + 4 runs", i, lines[2+i], s.Name())
		}
	}
}

// compareJSON runs compare --format json and decodes the document.
func compareJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out := mustRun(t, append([]string{"compare", "--format", "json"}, args...)...)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return doc
}

// The JSON schema the issue promises scripts.
func TestCompareJSONSchema(t *testing.T) {
	doc := compareJSON(t, "--runs", "5", "--strategies", "Canary10Percent5Minutes,AllAtOnce")
	for _, k := range []string{"scenario", "resolution", "rows"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no key %q", k)
		}
	}
	if r := doc["resolution"]; r != "request" && r != "bucket" {
		t.Errorf("resolution = %v, want request or bucket", r)
	}
	sc := doc["scenario"].(map[string]any)
	for _, k := range []string{"strategies", "rps", "traffic", "error_rate", "baseline_error_rate", "fault_onset",
		"latency_p50", "latency_p99", "latency_regression", "concurrency_limit", "event_model", "users", "runs",
		"seed", "horizon", "resolution", "policy", "alarms", "ingestion_delay", "evaluation_interval",
		"rollback_latency"} {
		if _, ok := sc[k]; !ok {
			t.Errorf("scenario has no %q", k)
		}
	}
	alarm := sc["alarms"].([]any)[0].(map[string]any)
	for _, k := range []string{"MetricName", "Dimension", "Statistic", "Period", "EvaluationPeriods",
		"DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData"} {
		if _, ok := alarm[k]; !ok {
			t.Errorf("scenario alarm has no %q", k)
		}
	}
	rows := doc["rows"].([]any)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	for i, want := range []string{"Canary10Percent5Minutes", "AllAtOnce"} {
		row := rows[i].(map[string]any)
		if row["strategy"] != want || row["runs"] != 10.0 {
			t.Errorf("row %d: strategy %v runs %v, want %s and 5 bad + 5 healthy twins", i, row["strategy"], row["runs"], want)
		}
		for _, k := range []string{"detection_rate", "false_rollback_rate"} {
			o, _ := row[k].(map[string]any)
			for _, kk := range []string{"ci_low", "ci_high"} {
				if _, ok := o[kk]; !ok {
					t.Errorf("row %d %s has no %s", i, k, kk)
				}
			}
		}
		for _, k := range []string{"candidate_failures", "users_hit", "time_to_detect_s", "time_to_rollback_s", "duration_s"} {
			o, _ := row[k].(map[string]any)
			for _, kk := range []string{"mean", "stddev", "p50", "p95", "p99", "ci_low", "ci_high"} {
				if _, ok := o[kk]; !ok {
					t.Errorf("row %d %s has no %s", i, k, kk)
				}
			}
		}
	}
	// AllAtOnce completes at once: the alarm cannot catch it (reference
	// aws.md: CodeDeploy watches alarms only while the deployment runs).
	if d := rows[1].(map[string]any)["detection_rate"].(map[string]any)["value"]; d != 0.0 {
		t.Errorf("AllAtOnce detection rate = %v, want 0", d)
	}
}

// The "scenario" of one run's JSON is a valid --scenario file that
// reproduces the run exactly, and flags override it.
func TestScenarioRoundTrip(t *testing.T) {
	dir := t.TempDir()
	first := mustRun(t, "compare", "--format", "json", "--runs", "6", "--rps", "20", "--seed", "7",
		"--strategies", "Canary10Percent5Minutes,Linear:20%,1m", "--alarm", "MetricName=Errors,Threshold=3,EvaluationPeriods=2,DatapointsToAlarm=1",
		"--rollback-latency", "0", "--ingestion-delay", "30s", "--users", "50")
	path := filepath.Join(dir, "run.json")
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	if again := mustRun(t, "compare", "--format", "json", "--scenario", path); again != first {
		t.Errorf("rerun from its own output differs:\n%s\nvs\n%s", again, first)
	}
	// Flags override the file.
	doc := compareJSON(t, "--scenario", path, "--runs", "3")
	sc := doc["scenario"].(map[string]any)
	if sc["runs"] != 3.0 || sc["rps"] != 20.0 || sc["seed"] != 7.0 || sc["rollback_latency"] != "0s" || sc["ingestion_delay"] != "30s" {
		t.Errorf("scenario after override: runs %v rps %v seed %v rollback %v ingestion %v", sc["runs"], sc["rps"], sc["seed"], sc["rollback_latency"], sc["ingestion_delay"])
	}
	a := sc["alarms"].([]any)[0].(map[string]any)
	if a["Threshold"] != 3.0 || a["EvaluationPeriods"] != 2.0 || a["DatapointsToAlarm"] != 1.0 || a["TreatMissingData"] != "missing" {
		t.Errorf("alarm from the file: %v", a)
	}
	if got := len(doc["rows"].([]any)); got != 2 {
		t.Errorf("%d rows, want the file's 2 strategies", got)
	}
}

// A YAML scenario file, as examples/scenario.yaml documents it.
func TestScenarioYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	yml := `# a healthy candidate, two alarms
strategies: [Canary10Percent5Minutes]
rps: 5
error_rate: 0
baseline_error_rate: 0.01
horizon: 0s
runs: 7
policy: alarms
alarms:
  - MetricName: Errors
    Threshold: 100
  - MetricName: Duration
    Statistic: p99
    Threshold: 2000
    EvaluationPeriods: 3
    DatapointsToAlarm: 2
`
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := compareJSON(t, "--scenario", path)
	sc := doc["scenario"].(map[string]any)
	if sc["rps"] != 5.0 || sc["runs"] != 7.0 || sc["baseline_error_rate"] != 0.01 || sc["horizon"] != "0s" {
		t.Errorf("scenario: %v", sc)
	}
	as := sc["alarms"].([]any)
	if len(as) != 2 || as[1].(map[string]any)["Statistic"] != "p99" || as[1].(map[string]any)["AlarmName"] != "alarm2" {
		t.Errorf("alarms: %v", as)
	}
	// Healthy candidate: no bad runs, so the detection rate is undefined
	// and the false-rollback rate is measured over the 7 runs; thresholds
	// this high never fire at 5 req/s (100 errors in a minute from 300
	// requests at 1 %: P ≈ 0).
	row := doc["rows"].([]any)[0].(map[string]any)
	fr := row["false_rollback_rate"].(map[string]any)
	if fr["value"] != 0.0 || fr["trials"] != 7.0 {
		t.Errorf("false_rollback_rate = %v, want 0 of 7", fr)
	}
}

// Closed form: with no policy, AllAtOnce serves every request on the
// candidate until the horizon, so the mean candidate failures per run is
// rps·horizon·(1-(1-b)(1-e)). With rps 10, horizon 10 min, b = 0, e = 0.05
// that is 300, and each run's count is Poisson(300) (Poisson arrivals,
// independent failures), so the mean of 40 runs has standard deviation
// sqrt(300/40) ≈ 2.7; 5 standard deviations (14) is the tolerance.
func TestCompareClosedFormBlastRadius(t *testing.T) {
	doc := compareJSON(t, "--strategies", "AllAtOnce", "--policy", "none", "--rps", "10", "--horizon", "10m",
		"--error-rate", "0.05", "--baseline-error-rate", "0", "--runs", "40")
	row := doc["rows"].([]any)[0].(map[string]any)
	mean := row["candidate_failures"].(map[string]any)["mean"].(float64)
	if math.Abs(mean-300) > 14 {
		t.Errorf("mean candidate failures = %v, want 300 ± 14", mean)
	}
}

// Every policy runs; a sequential test at alpha 0.05 and a compare test
// both catch a 30 % error regression at 50 req/s within a 10 % canary's
// 5 minutes (hundreds of candidate requests against a 0.1 % baseline).
func TestComparePolicies(t *testing.T) {
	for _, p := range []string{"none", "compare", "sequential", "alarms"} {
		doc := compareJSON(t, "--policy", p, "--strategies", "Canary10Percent5Minutes", "--rps", "50", "--error-rate", "0.3", "--runs", "5", "--horizon", "0")
		if doc["scenario"].(map[string]any)["policy"] != p {
			t.Errorf("policy %s: scenario says %v", p, doc["scenario"].(map[string]any)["policy"])
		}
		d := doc["rows"].([]any)[0].(map[string]any)["detection_rate"].(map[string]any)["value"]
		want := 1.0
		if p == "none" {
			want = 0
		}
		if d != want {
			t.Errorf("policy %s: detection rate %v, want %v", p, d, want)
		}
	}
}

func TestCompareTraceTraffic(t *testing.T) {
	// testdata/trace.csv: 20 requests a second for 600 s, so 12,000 expected
	// requests, Poisson; with no policy AllAtOnce serves all of them, each
	// failing with 1-(1-0.001)(1-0.05) = 0.05095: mean 611.4, per-run SD
	// sqrt(611.4) ≈ 24.7, over 8 runs 8.7; tolerance 5 SD.
	doc := compareJSON(t, "--traffic", "trace:testdata/trace.csv", "--error-rate", "0.05", "--strategies", "AllAtOnce", "--policy", "none", "--horizon", "20m", "--runs", "8")
	mean := doc["rows"].([]any)[0].(map[string]any)["candidate_failures"].(map[string]any)["mean"].(float64)
	if math.Abs(mean-611.4) > 44 {
		t.Errorf("mean candidate failures = %v, want 611.4 ± 44", mean)
	}
}

func TestCompareFormats(t *testing.T) {
	md := mustRun(t, "compare", "--runs", "2", "--strategies", "AllAtOnce", "--format", "markdown")
	if !strings.HasPrefix(md, "|") || !strings.Contains(md, "| AllAtOnce") {
		t.Errorf("markdown:\n%s", md)
	}
	csv := mustRun(t, "compare", "--runs", "2", "--strategies", "AllAtOnce,Canary10Percent5Minutes", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "AllAtOnce,") || !strings.Contains(lines[0], "candidate_failures_mean") {
		t.Errorf("csv:\n%s", csv)
	}
}

// Bad input: exit 2 and one line naming the flag or field and the rule.
func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("rps: 5\nrsp: 6\n"), 0o600)
	badDur := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badDur, []byte("rps: 5\nhorizon: soon\n"), 0o600)
	badVal := filepath.Join(dir, "badval.yaml")
	os.WriteFile(badVal, []byte("error_rate: 1.5\n"), 0o600)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--rps", "-1"}, []string{"--rps = -1", "must be a finite number >= 0"}},
		{[]string{"--rps", "fast"}, []string{"--rps", `"fast"`, "must be a finite number"}},
		{[]string{"--error-rate", "2"}, []string{"--error-rate = 2", "[0, 1]"}},
		{[]string{"--latency-p99", "10ms"}, []string{"--latency-p99", "latency_p50"}},
		{[]string{"--runs", "0"}, []string{"--runs = 0"}},
		{[]string{"--horizon", "-1s"}, []string{"--horizon", "must be >= 0"}},
		{[]string{"--horizon", "soon"}, []string{"--horizon", "duration"}},
		{[]string{"--seed", "-3"}, []string{"--seed"}},
		{[]string{"--concurrency-limit", "-1"}, []string{"--concurrency-limit = -1", "must be >= 0"}},
		{[]string{"--concurrency-limit", "9223372036854775807"}, []string{"--concurrency-limit = 9223372036854775807: must be at most 10000000"}},
		{[]string{"--event-model", "carrier-pigeon"}, []string{"--event-model", "sync, async or queue"}},
		{[]string{"--traffic", "tidal"}, []string{"--traffic", "poisson, diurnal, bursty or trace:FILE"}},
		{[]string{"--traffic", "trace:" + filepath.Join(dir, "none.csv")}, []string{"--traffic", "none.csv"}},
		{[]string{"--resolution", "fine"}, []string{"--resolution", "auto, request or bucket"}},
		// Bursty arrivals are not Poisson: only the per-request engine runs them.
		{[]string{"--resolution", "bucket", "--traffic", "bursty"}, []string{"--resolution = bucket", "Poisson"}},
		{[]string{"--policy", "prayer"}, []string{"--policy", "none, alarms, compare or sequential"}},
		{[]string{"--strategies", "Canary10Percent7Minutesx"}, []string{"--strategies", "Canary10Percent7Minutesx"}},
		{[]string{"--format", "xml"}, []string{"--format", "table, markdown, csv or json"}},
		{[]string{"--alarm", "MetricName=Errors"}, []string{"--alarm", "Threshold is required"}},
		{[]string{"--alarm", "MetricName=Errorz,Threshold=1"}, []string{"--alarm", "MetricName", "Errorz"}},
		{[]string{"--alarm", "MetricName=Errors,Threshold=1,Period=61"}, []string{"--alarm", "Period"}},
		{[]string{"--alarm", "MetricName=Errors,Threshold=1,Colour=red"}, []string{"--alarm", `unknown field "Colour"`}},
		{[]string{"--alarm", "MetricName=Errors,Threshold=1,EvaluationPeriods=2,DatapointsToAlarm=3"}, []string{"--alarm", "DatapointsToAlarm"}},
		{[]string{"--compare-confidence", "0.2"}, []string{"--compare-confidence", "(0.5, 1)"}},
		{[]string{"--policy", "sequential", "--alarm", "MetricName=Errors,Threshold=1"}, []string{"--alarm: applies only to --policy alarms"}},
		{[]string{"--sequential-alpha", "0.01"}, []string{"--sequential-alpha: applies only to --policy sequential"}},
		{[]string{"--ingestion-delay", "-1m"}, []string{"--ingestion-delay"}},
		{[]string{"--scenario", filepath.Join(dir, "missing.yaml")}, []string{"--scenario", "missing.yaml"}},
		{[]string{"--scenario", unknown}, []string{"unknown.yaml", "line 2", "rsp"}},
		{[]string{"--scenario", badDur}, []string{"bad.yaml", "line 2", "soon"}},
		{[]string{"--scenario", badVal}, []string{"badval.yaml: error_rate = 1.5", "[0, 1]"}},
	} {
		code, out, errs := runCLI(t, append([]string{"compare", "--runs", "1"}, c.args...)...)
		if c.args[0] == "--runs" {
			code, out, errs = runCLI(t, append([]string{"compare"}, c.args...)...)
		}
		if code != 2 || out != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing", c.args, code, out)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "deploysim compare: ") {
			t.Errorf("%q: stderr %q is not one line", c.args, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q: stderr %q lacks %q", c.args, errs, w)
			}
		}
	}
}

// examples/scenario.yaml documents the file format: it reads, runs, and
// spells out every key a scenario has.
func TestExampleScenarioFile(t *testing.T) {
	const path = "../../examples/scenario.yaml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := compareJSON(t, "--scenario", path, "--runs", "2")
	sc := doc["scenario"].(map[string]any)
	for k := range sc {
		if !strings.Contains(string(b), "\n"+k+":") {
			t.Errorf("examples/scenario.yaml does not show key %q", k)
		}
	}
	if len(doc["rows"].([]any)) != 3 || len(sc["alarms"].([]any)) != 2 {
		t.Errorf("the example's 3 strategies and 2 alarms were not read: %v", sc)
	}
}

// The traffic shapes keep --rps as their mean, with the documented shape
// parameters. AllAtOnce with no policy sends every request of a 1-hour
// horizon to the candidate, so candidate_requests counts the arrivals.
func TestTrafficShapes(t *testing.T) {
	for _, c := range []struct {
		traffic   string
		runs      int
		want, tol float64
	}{
		// Poisson(36,000): SD 190 per run, 10 runs: 60; 5 SD.
		{"poisson", 10, 36000, 300},
		// λ(t) = 10·(1 + 0.5·cos(2π(h-14)/24)) from 10:00 to 11:00 integrates
		// to 36,000·(1 + 0.5·(24/2π)·(sin(-π/4) - sin(-π/3))) = 46,926.5;
		// Poisson SD 217 per run, 10 runs: 69; 5 SD.
		{"diurnal", 10, 46926.5, 345},
		// MMPP-2 with rates 6 and 30 req/s (mean 10), mean sojourns 300 s and
		// 60 s: the index of dispersion of long counts is
		// 1 + 2(λb-λn)²πnπb/((1/300+1/60)·λ̄) = 801, so one hour's count has
		// SD sqrt(801·36,000) ≈ 5,370, 20 runs: 1,200; 5 SD.
		{"bursty", 20, 36000, 6000},
	} {
		doc := compareJSON(t, "--traffic", c.traffic, "--rps", "10", "--strategies", "AllAtOnce", "--policy", "none",
			"--horizon", "1h", "--runs", strconv.Itoa(c.runs))
		got := doc["rows"].([]any)[0].(map[string]any)["candidate_requests"].(map[string]any)["mean"].(float64)
		if math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: mean requests in 1 h = %.1f, want %.1f ± %.0f", c.traffic, got, c.want, c.tol)
		}
	}
}

// Erlang's loss formula: with a reserved concurrency of c and no queue, an
// M/G/c/c system throttles a fraction B(c, a) of the requests whatever the
// latency distribution, a = λ·E[latency] (insensitivity). Lognormal with
// median 100 ms and p99 500 ms has mean 100·exp(σ²/2) = 127.04 ms
// (σ = ln 5 / z0.99), so at 100 req/s a = 12.704 and B(15, a) = 0.1067.
// Cold starts lengthen the first 15 invocations by ~300 ms, which shifts
// the fraction by well under 0.001 over 60,000 requests. Per run the
// throttle count has SD ≈ 210 (measured once; 0.0035 of the requests), so
// 10 runs give 0.0011; the tolerance 0.006 is 5 of those.
func TestConcurrencyLimitErlang(t *testing.T) {
	doc := compareJSON(t, "--rps", "100", "--strategies", "AllAtOnce", "--policy", "none", "--error-rate", "0", "--horizon", "10m",
		"--concurrency-limit", "15", "--runs", "10")
	row := doc["rows"].([]any)[0].(map[string]any)
	th := row["throttles"].(map[string]any)["mean"].(float64)
	req := row["candidate_requests"].(map[string]any)["mean"].(float64)
	if got := th / req; math.Abs(got-0.1067) > 0.006 {
		t.Errorf("throttled fraction = %.4f, want Erlang B(15, 12.70) = 0.1067 ± 0.006", got)
	}
	if doc["resolution"] != "request" {
		t.Errorf("resolution = %v: throttles need the per-request engine", doc["resolution"])
	}
}

// Asynchronous invocation retries a failed event twice (after 1 and 2
// minutes); with every attempt on the candidate (AllAtOnce) failing with
// p = 0.5, an event is lost when all three fail. Within a 1-hour horizon only
// events that arrive before 57 minutes can get their second retry in, so per
// arriving event the run sees 1 + p·59/60 + p²·57/60 attempts and p³·57/60
// lost events: lost/attempts = 0.11875/1.72917 = 0.0687. About 4,300 events
// are lost per run (Poisson-like SD 66, 0.001 of the ratio), so 10 runs give
// 0.0003; the tolerance 0.002 is about 6 of those.
func TestAsyncLostEvents(t *testing.T) {
	doc := compareJSON(t, "--strategies", "AllAtOnce", "--policy", "none", "--error-rate", "0.5", "--baseline-error-rate", "0",
		"--rps", "10", "--horizon", "1h", "--event-model", "async", "--runs", "10")
	row := doc["rows"].([]any)[0].(map[string]any)
	lost := row["lost_events"].(map[string]any)["mean"].(float64)
	req := row["candidate_requests"].(map[string]any)["mean"].(float64)
	if got := lost / req; math.Abs(got-0.0687) > 0.002 {
		t.Errorf("lost events per attempt = %.4f, want 0.0687 ± 0.002", got)
	}
}

// Hooks (reference: "CodeDeploy during a deployment"): a pre-traffic hook
// that always catches the fault ends every bad deployment at its end with
// no customer traffic on the candidate; on a healthy candidate it only
// delays the schedule, so Canary10Percent5Minutes promotes at 2 + 5 min.
func TestHooks(t *testing.T) {
	doc := compareJSON(t, "--strategies", "Canary10Percent5Minutes", "--policy", "none", "--runs", "5",
		"--pre-traffic-hook", "2m", "--pre-traffic-catch", "1")
	row := doc["rows"].([]any)[0].(map[string]any)
	if d := row["detection_rate"].(map[string]any)["value"]; d != 1.0 {
		t.Errorf("detection rate with a sure pre-traffic hook = %v, want 1", d)
	}
	if f := row["candidate_failures"].(map[string]any)["max"]; f != 0.0 {
		t.Errorf("candidate failures after a pre-traffic catch: max %v, want 0", f)
	}
	if d := row["time_to_detect_s"].(map[string]any)["mean"]; d != 120.0 {
		t.Errorf("time to detect = %v s, want the hook's 120", d)
	}
	doc = compareJSON(t, "--strategies", "Canary10Percent5Minutes", "--error-rate", "0", "--horizon", "0", "--runs", "3",
		"--pre-traffic-hook", "2m", "--pre-traffic-catch", "1")
	row = doc["rows"].([]any)[0].(map[string]any)
	if d := row["duration_s"].(map[string]any)["mean"]; d != 420.0 {
		t.Errorf("healthy duration with a 2-minute pre-traffic hook = %v s, want 420", d)
	}
	code, _, errs := runCLI(t, "compare", "--post-traffic-catch", "1.5")
	if code != 2 || !strings.Contains(errs, "--post-traffic-catch = 1.5") {
		t.Errorf("bad catch probability: exit %d, %q", code, errs)
	}
}

// The queue event model (sim.DefaultQueue: batches of 10, 30 s visibility
// timeout, dead-letter queue after 5 receives) with every message failing:
// a message arriving at t is received at t, t+30 s, …, t+120 s and then
// dead-lettered (plus ~0.1 s of invocation), so within a 30-minute horizon
// the messages of the first 1,680 s are: 10 req/s · 1,680 s = 16,800,
// Poisson SD 130 per run, 5 runs: 58; the tolerance 290 is 5 of those.
func TestQueueDeadLetters(t *testing.T) {
	doc := compareJSON(t, "--strategies", "AllAtOnce", "--policy", "none", "--error-rate", "1", "--baseline-error-rate", "0",
		"--rps", "10", "--horizon", "30m", "--event-model", "queue", "--runs", "5")
	if doc["scenario"].(map[string]any)["event_model"] != "queue" {
		t.Errorf("scenario event_model = %v", doc["scenario"].(map[string]any)["event_model"])
	}
	dl := doc["rows"].([]any)[0].(map[string]any)["dead_lettered"].(map[string]any)["mean"].(float64)
	if math.Abs(dl-16800) > 290 {
		t.Errorf("dead-lettered messages = %.1f, want 16,800 ± 290", dl)
	}
}

// The table's comment fits the 120-column terminal the table fits: broken
// after its clauses, never inside one, every line a "# " comment.
func TestCommentWraps(t *testing.T) {
	long := strings.Repeat("a clause of twenty, ", 12) + "the end"
	got := comment(long)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("comment(%d bytes) = %d line(s), want it wrapped", len(long), len(lines))
	}
	var back []string
	for _, l := range lines {
		if len(l) > tableWidth || !strings.HasPrefix(l, "# ") {
			t.Errorf("line %q: %d wide, want a \"# \" line of at most %d", l, len(l), tableWidth)
		}
		back = append(back, strings.TrimPrefix(l, "# "))
	}
	if strings.Join(back, " ") != long {
		t.Errorf("the lines joined are %q, want the text back", strings.Join(back, " "))
	}
	// A comma not followed by a space (a list of names) is not a break.
	if got := splitClauses("alarms(A,B), seed 1"); len(got) != 2 || got[0] != "alarms(A,B)," {
		t.Errorf("splitClauses = %q", got)
	}
	// The default compare's comment and table both fit.
	out := mustRun(t, "compare", "-n", "4")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(l) > tableWidth {
			t.Errorf("compare's line is %d wide: %q", len(l), l)
		}
	}
}
