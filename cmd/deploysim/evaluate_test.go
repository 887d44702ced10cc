package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/manifest"
)

// testdata/sam.yaml: WatchedFn (Canary10Percent5Minutes with an alarm on
// candidate Errors > 0) and UnwatchedFn (Linear10PercentEvery1Minute with no
// alarm, so nothing can roll it back).
func TestEvaluateSAM(t *testing.T) {
	out := mustRun(t, "evaluate", "--runs", "5", "--rps", "20", "--horizon", "0", "testdata/sam.yaml")
	lines := strings.Split(out, "\n")
	var watched, unwatched string
	for _, l := range lines {
		switch f := strings.Fields(l); {
		case len(f) > 2 && f[0] == "WatchedFn":
			watched = l
		case len(f) > 2 && f[0] == "UnwatchedFn":
			unwatched = l
		}
	}
	if watched == "" || unwatched == "" {
		t.Fatalf("a deployable's row is missing:\n%s", out)
	}
	// With no alarm the fault is never detected; with one on candidate
	// errors at 20 req/s (2 candidate req/s at 10 %, 5 % failing: 6 errors a
	// minute) it always is.
	if !strings.Contains(unwatched, "0% [0,") || !strings.Contains(watched, "100% [") {
		t.Errorf("detection rates:\n%s\n%s", watched, unwatched)
	}
	if !strings.Contains(out, "\nwarnings (") || !strings.Contains(out, "sam.yaml:") {
		t.Errorf("no warnings section naming the file:\n%s", out)
	}

	var doc struct {
		Scenario map[string]any   `json:"scenario"`
		File     string           `json:"file"`
		Warnings []string         `json:"warnings"`
		Rows     []map[string]any `json:"rows"`
	}
	js := mustRun(t, "evaluate", "--runs", "2", "--format", "json", "testdata/sam.yaml")
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.File != "testdata/sam.yaml" || len(doc.Rows) != 2 || doc.Rows[0]["strategy"] != "WatchedFn" || doc.Scenario["rps"] != deploysim.DefaultRate {
		t.Errorf("json: file %q, %d rows, scenario %v", doc.File, len(doc.Rows), doc.Scenario)
	}
	if doc.Warnings == nil {
		t.Errorf("json has no warnings list")
	}
}

func TestEvaluateErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "want a FILE"},
		{[]string{"testdata/sam.yaml", "testdata/none.yaml"}, "none.yaml"},
		{[]string{"testdata/none.yaml"}, "none.yaml"},
		{[]string{"--policy", "none", "testdata/sam.yaml"}, "unknown flag: --policy"},
		{[]string{"--rps", "-4", "testdata/sam.yaml"}, "--rps = -4"},
	} {
		code, _, errs := runCLI(t, append([]string{"evaluate"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("evaluate %q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// evaluateJSON runs evaluate with --format json and returns its document.
func evaluateJSON(t *testing.T, args ...string) (doc struct {
	Files []string         `json:"files"`
	File  string           `json:"file"`
	Rows  []map[string]any `json:"rows"`
}) {
	t.Helper()
	out := mustRun(t, append([]string{"evaluate", "--format", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc
}

// rate returns a row's detection_rate or false_rollback_rate value.
func rate(t *testing.T, row map[string]any, key string) float64 {
	t.Helper()
	v, ok := row[key].(map[string]any)["value"].(float64)
	if !ok {
		t.Fatalf("row has no %s value: %v", key, row)
	}
	return v
}

// A Flagger canary is watched through Prometheus, not CloudWatch: evaluate
// must use the file's metric pipeline (manifest.Deployable.Apply). With
// threshold 1 a single failed check rolls back, and Flagger fails a check
// whose query finds no data; under CloudWatch's 60 s ingestion delay the
// first check, at 60 s (one interval after the first step), would find none
// and roll every healthy candidate back.
func TestEvaluateFlaggerPipeline(t *testing.T) {
	src, err := os.ReadFile("../../manifest/testdata/flagger-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "threshold: 5\n") {
		t.Fatal("manifest/testdata/flagger-canary.yaml no longer has threshold: 5")
	}
	path := filepath.Join(t.TempDir(), "canary.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(src), "threshold: 5\n", "threshold: 1\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// No errors at all and a p99 latency (250 ms) far below the file's
	// 500 ms limit: no check can fail on its data, only on missing data.
	healthy := []string{"--runs", "20", "--error-rate", "0", "--baseline-error-rate", "0", "--latency-p99", "250ms"}
	doc := evaluateJSON(t, append(healthy, path)...)
	if len(doc.Rows) != 1 || doc.File != path || len(doc.Files) != 1 {
		t.Fatalf("rows %d, file %q, files %q", len(doc.Rows), doc.File, doc.Files)
	}
	row := doc.Rows[0]
	if fr := rate(t, row, "false_rollback_rate"); fr != 0 {
		t.Errorf("false rollback rate %v with Prometheus's pipeline; want 0", fr)
	}
	// Flagger's closed form: promotion at interval × maxWeight/stepWeight
	// = 1m × 50/10 = 300 s.
	if d := row["duration_s"].(map[string]any)["mean"]; d != 300.0 {
		t.Errorf("duration %v s; want 300", d)
	}
	// The row says which pipeline it ran with (issue 18.5): Prometheus's
	// 15 s, published every gcd(10 s, 1m, 15 s) = 5 s.
	if p := paramsOf(row); p["metric_delay"] != "15s" || p["metric_step"] != "5s" {
		t.Errorf("params %v; want metric_delay 15s and metric_step 5s", p)
	}
	// The same file under CloudWatch's delay, given on the command line
	// (which wins over the file's pipeline): every run rolls back at the
	// tick after the first check.
	doc = evaluateJSON(t, append(healthy, "--ingestion-delay", "60s", path)...)
	if fr := rate(t, doc.Rows[0], "false_rollback_rate"); fr != 1 {
		t.Errorf("false rollback rate %v with a 60 s delay; want 1 (no data at the first check)", fr)
	}
	if p := paramsOf(doc.Rows[0]); p["metric_delay"] != "1m0s" {
		t.Errorf("params %v; want metric_delay 1m0s", p)
	}
}

// Several files are read together: the Rollout of manifest/testdata/multi
// uses AnalysisTemplates declared in the other file. Alone, nothing watches
// the rollout and the default bad candidate (+5 % errors) is never caught;
// with the templates, its error-rate check (result <= 1 %, failureLimit 2)
// sees about 5 % errors from the start of the analysis and rolls back in
// every run.
func TestEvaluateSeveralFiles(t *testing.T) {
	one := []string{"../../manifest/testdata/multi/rollout.yaml"}
	both := append(one[:1:1], "../../manifest/testdata/multi/templates.yaml")
	doc := evaluateJSON(t, append([]string{"--runs", "5"}, one...)...)
	if len(doc.Rows) != 1 || rate(t, doc.Rows[0], "detection_rate") != 0 {
		t.Errorf("rollout.yaml alone: %d rows, want 1 never detecting: %v", len(doc.Rows), doc.Rows)
	}
	doc = evaluateJSON(t, append([]string{"--runs", "5"}, both...)...)
	if doc.File != "" || len(doc.Files) != 2 || len(doc.Rows) != 1 {
		t.Fatalf("file %q, files %q, %d rows", doc.File, doc.Files, len(doc.Rows))
	}
	if d := rate(t, doc.Rows[0], "detection_rate"); d != 1 {
		t.Errorf("with templates.yaml: detection rate %v, want 1", d)
	}
}

// The file says which hooks exist (manifest.Deployable.Apply); the flags,
// when given, say how they behave. manifest/testdata/sam-docs-gradual.yaml
// declares both hooks on a Canary10Percent10Minutes and no alarm:
// promotion comes after the assumed 1-minute pre-traffic hook and the
// schedule's 10 minutes, at 660 s. testdata/sam.yaml declares none: a sure
// pre-traffic hook on the command line does not run there, so its unwatched
// function never detects the fault.
func TestEvaluateHooks(t *testing.T) {
	if help := newEvaluateCmd(streams{}).Long; !strings.Contains(help, manifest.DefaultHookDuration.String()) || !strings.Contains(help, fmt.Sprint(manifest.DefaultHookCatchProb)) {
		t.Errorf("evaluate's help does not give manifest's hook defaults (%v, %v)", manifest.DefaultHookDuration, manifest.DefaultHookCatchProb)
	}
	const docs = "../../manifest/testdata/sam-docs-gradual.yaml"
	doc := evaluateJSON(t, "--runs", "5", "--error-rate", "0", docs)
	if d := doc.Rows[0]["duration_s"].(map[string]any)["mean"]; d != 660.0 {
		t.Errorf("healthy duration %v s; want 60 + 600", d)
	}
	// A hook that always catches, of the flags' duration: every bad run is
	// caught at its end, 2 minutes in.
	doc = evaluateJSON(t, "--runs", "5", "--pre-traffic-hook", "2m", "--pre-traffic-catch", "1", docs)
	row := doc.Rows[0]
	if d := rate(t, row, "detection_rate"); d != 1 {
		t.Errorf("detection rate %v with a sure pre-traffic hook; want 1", d)
	}
	if d := row["time_to_detect_s"].(map[string]any)["mean"]; d != 120.0 {
		t.Errorf("time to detect %v s; want the hook's 120", d)
	}
	doc = evaluateJSON(t, "--runs", "5", "--pre-traffic-hook", "2m", "--pre-traffic-catch", "1", "testdata/sam.yaml")
	for _, row := range doc.Rows {
		if row["strategy"] == "UnwatchedFn" && rate(t, row, "detection_rate") != 0 {
			t.Errorf("UnwatchedFn declares no hook, yet detected: %v", row)
		}
	}
}

// paramsOf reads a JSON row's params ([{"name", "value"}]) into a map.
func paramsOf(row map[string]any) map[string]string {
	out := map[string]string{}
	ps, _ := row["params"].([]any)
	for _, p := range ps {
		m, _ := p.(map[string]any)
		n, _ := m["name"].(string)
		v, _ := m["value"].(string)
		out[n] = v
	}
	return out
}
