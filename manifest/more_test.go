package manifest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func mustRead(t *testing.T, src string) *File {
	t.Helper()
	f, err := Read("in.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFlaggerVariants(t *testing.T) {
	const head = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n"
	// Blue/green: interval × iterations of validation with no customer
	// traffic, all of it at the next tick, promotion an interval later
	// (Flagger's runBlueGreen).
	d := only(t, mustRead(t, head+"  analysis: {interval: 30s, iterations: 10, threshold: 2}\n"))
	if !strategy.Equal(d.Strategy, strategy.Steps{{SetWeight: 0}, {Pause: 5 * time.Minute}, {SetWeight: 100}, {Pause: 30 * time.Second}}) || d.Policy != nil {
		t.Errorf("blue/green: %v, %v", d.Strategy, d.Policy)
	}
	// stepWeights: each weight an interval, promotion an interval after the last.
	d = only(t, mustRead(t, head+"  analysis: {interval: 1m, threshold: 2, stepWeights: [1, 5, 25, 80]}\n"))
	wantSchedule(t, d.Strategy, [][2]float64{{0, 1}, {1, 5}, {2, 25}, {3, 80}, {4, 100}})
	// v1alpha3: canaryAnalysis and a bare threshold on the built-in metrics.
	d = only(t, mustRead(t, "apiVersion: flagger.app/v1alpha3\nkind: Canary\nmetadata: {name: c}\nspec:\n  canaryAnalysis:\n    interval: 1m\n    threshold: 5\n    maxWeight: 30\n    stepWeight: 10\n    metrics:\n      - {name: istio_requests_total, threshold: 99, interval: 1m}\n      - {name: istio_request_duration_seconds_bucket, threshold: 500, interval: 30s}\n"))
	if len(d.Checks) != 2 || d.Checks[0].Threshold != 0.01 || d.Checks[1].Threshold != 500 || d.Checks[1].Metric != metrics.Duration {
		t.Errorf("v1alpha3 checks %+v", d.Checks)
	}
	// A custom metric through a MetricTemplate of the same file; Flagger
	// fills {{ target }} with the canary workload.
	f := mustRead(t, head+`  analysis:
    interval: 1m
    threshold: 2
    stepWeight: 25
    metrics:
      - name: error-pct
        templateRef: {name: errors}
        thresholdRange: {max: 2}
        interval: 1m
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: errors}
spec:
  provider: {type: prometheus, address: http://prom:9090}
  query: |
    100 * sum(rate(http_requests_total{workload="{{ target }}",code=~"5.."}[1m])) / sum(rate(http_requests_total{workload="{{ target }}"}[1m]))
`)
	d = only(t, f)
	if len(d.Checks) != 1 || d.Checks[0].Dimension != metrics.Candidate || d.Checks[0].Threshold != 0.02 || d.Checks[0].FailWhen != rollback.GreaterThanThreshold {
		t.Errorf("custom check %+v\n%s", d.Checks, dumpWarnings(f.AllWarnings()))
	}
	// skipAnalysis promotes at once.
	d = only(t, mustRead(t, head+"  skipAnalysis: true\n  analysis: {interval: 1m, stepWeight: 10}\n"))
	if !strategy.Equal(d.Strategy, strategy.AllAtOnce{}) || !hasWarning(d.Warnings, 5, "skipAnalysis") {
		t.Errorf("skipAnalysis: %v %v", d.Strategy, d.Warnings)
	}
}

// Arguments fill {{args.x}} in a metric's count and interval.
func TestArgoArgs(t *testing.T) {
	f := mustRead(t, `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    canary:
      trafficRouting: {smi: {}}
      steps:
        - setWeight: 10
        - analysis:
            templates: [{templateName: t}]
            args: [{name: n, value: "3"}, {name: every, value: 2m}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: n}, {name: every}]
  metrics:
    - name: m
      count: "{{args.n}}"
      interval: "{{args.every}}"
      failureCondition: result[0] > 0.05
      provider:
        prometheus:
          query: sum(rate(x{code=~"5..",track="canary"}[2m])) / sum(rate(x{track="canary"}[2m]))
`)
	d := only(t, f)
	// 3 measurements 2 minutes apart: the step lasts 4 minutes.
	wantSchedule(t, d.Strategy, [][2]float64{{0, 10}, {4, 100}})
	if len(d.Checks) != 1 || d.Checks[0].Count != 3 || d.Checks[0].Interval != 2*time.Minute || d.Checks[0].Threshold != 0.05 {
		t.Errorf("checks %+v", d.Checks)
	}
}

func TestYAMLSyntaxError(t *testing.T) {
	_, err := Read("bad.yaml", []byte("Resources:\n  Fn:\n    Type: [unclosed\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:") || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("err = %v", err)
	}
	var e *Error
	if !asError(err, &e) || e.Line == 0 {
		t.Errorf("no line in %#v", err)
	}
}

// The Argo canary of testdata in the simulator: its background error-rate
// check (from 5 min, failureLimit 2, one measurement a minute) rolls back a
// candidate failing every request at its third failed measurement, 7 min;
// a healthy candidate completes at 69 min (the manual pause taken as one
// hour). Measurements are at fixed instants (Apply's Prometheus delay only
// shortens each window by 15 s), a candidate failing every request fails
// every measurement whatever the seed, and the healthy latency (p99 200 ms)
// is far under the 500 ms check.
func TestArgoCanaryInSimulation(t *testing.T) {
	d := only(t, read(t, "testdata/argo-canary.yaml"))
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 20}
	base.ActionLatency = 0
	base.Baseline.P99, base.Candidate.P99 = 200*time.Millisecond, 200*time.Millisecond
	base.Seed = 11
	bad := d.Apply(base)
	bad.Fault = sim.Fault{ErrorProb: 1}
	r, err := sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || r.Detected != 7*time.Minute {
		t.Errorf("bad: %v detected at %v (%s)", r.Outcome, r.Detected, r.Reason)
	}
	if testing.Short() {
		return
	}
	r, err = sim.Run(d.Apply(base))
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.Promoted != 69*time.Minute {
		t.Errorf("healthy: %v at %v (%s)", r.Outcome, r.Promoted, r.Reason)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

// A Rollout and its AnalysisTemplates in two files read together give the
// same deployable as one file; warnings name the file they are about.
func TestReadFiles(t *testing.T) {
	files, err := ReadFiles("testdata/multi/rollout.yaml", "testdata/multi/templates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || len(files[1].Deployables) != 0 {
		t.Fatalf("files %+v", files)
	}
	d := only(t, files[0])
	one := only(t, read(t, "testdata/argo-canary.yaml"))
	if !strategy.Equal(d.Strategy, one.Strategy) || len(d.Checks) != len(one.Checks) {
		t.Fatalf("two files: %v %+v; one file: %v %+v", d.Strategy, d.Checks, one.Strategy, one.Checks)
	}
	for i := range d.Checks {
		if d.Checks[i] != one.Checks[i] {
			t.Errorf("check %d: %+v vs %+v", i, d.Checks[i], one.Checks[i])
		}
	}
	found := false
	for _, w := range d.Warnings {
		if strings.Contains(w.Message, "datadog") {
			found = w.File == "testdata/multi/templates.yaml" && w.Line == 25
		}
	}
	if !found {
		t.Errorf("datadog warning not at templates.yaml:25:\n%s", dumpWarnings(d.Warnings))
	}
	// Read alone, the rollout cannot see its templates, and says so.
	alone := read(t, "testdata/multi/rollout.yaml")
	if d := only(t, alone); len(d.Checks) != 0 || !hasWarning(d.Warnings, 30, "not in the files read") || !hasWarning(d.Warnings, 43, "no time") {
		t.Errorf("alone: %+v\n%s", d.Checks, dumpWarnings(d.Warnings))
	}
}

// A misspelt field is never dropped silently: SAM rejects unknown
// DeploymentPreference properties (an error), Kubernetes prunes unknown
// fields (a warning).
func TestMisspeltFields(t *testing.T) {
	_, err := Read("t.yaml", tmpl("        Type: AllAtOnce\n        Alarm: [!Ref X]\n", ""))
	if err == nil || !strings.Contains(err.Error(), `t.yaml:10: Resources.MyFn.Properties.DeploymentPreference.Alarm: unknown DeploymentPreference property "Alarm": did you mean Alarms?`) {
		t.Errorf("err = %v", err)
	}
	// A key that is no misspelling is ignored, as SAM's translator ignores
	// it, with a warning (SAM CLI's own test template puts Events there).
	f0 := mustRead(t, string(tmpl("        Type: AllAtOnce\n        Events: {}\n", "")))
	if d := only(t, f0); !hasWarning(d.Warnings, 10, `DeploymentPreference property "Events" is not one SAM reads`) {
		t.Errorf("warnings:\n%s", dumpWarnings(d.Warnings))
	}
	f := mustRead(t, "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  analysis:\n    interval: 1m\n    treshold: 5\n    stepWeight: 10\n")
	if d := only(t, f); !hasWarning(d.Warnings, 7, `no field "treshold"`) {
		t.Errorf("warnings:\n%s", dumpWarnings(d.Warnings))
	}
}

// The Argo blue/green of testdata in the simulator: green takes all traffic
// at 10 min; the post-promotion analysis measures at 10, 12, 14, 16 min over
// the last 2 min. A green failing every request that the pre-promotion
// analysis (the pre-traffic hook) lets through: the 10-min window has no
// green traffic (passes, as `len(result) == 0 ||` says), 12 and 14 min fail,
// and the second failure exceeds failureLimit 1: back to blue at 14 min. A
// pre-promotion analysis that catches it aborts at its end, 2 min, before
// any customer request reaches green. A healthy green completes at 16 min.
func TestArgoBlueGreenInSimulation(t *testing.T) {
	d := only(t, read(t, "testdata/argo-bluegreen.yaml"))
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 10}
	base.ActionLatency = 0
	base.Seed = 5
	bad := d.Apply(base)
	bad.Fault = sim.Fault{ErrorProb: 1}
	bad.PreTraffic.CatchProb = 0 // a zero field is set after Apply
	r, err := sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || r.Detected != 14*time.Minute {
		t.Errorf("bad: %v detected at %v (%s)", r.Outcome, r.Detected, r.Reason)
	}
	base.PreTraffic = sim.Hook{CatchProb: 1} // how the declared hook behaves
	bad = d.Apply(base)
	bad.Fault = sim.Fault{ErrorProb: 1}
	if bad.PreTraffic != (sim.Hook{Duration: 2 * time.Minute, CatchProb: 1}) {
		t.Fatalf("pre-traffic hook %+v: want the file's 2 min and the caller's catch probability", bad.PreTraffic)
	}
	r, err = sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.HookAborted || r.Detected != 2*time.Minute || r.Candidate.Requests != 0 {
		t.Errorf("caught by the pre-promotion analysis: %v at %v, %d candidate requests", r.Outcome, r.Detected, r.Candidate.Requests)
	}
	base.PreTraffic = sim.Hook{}
	r, err = sim.Run(d.Apply(base))
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.Promoted != 16*time.Minute {
		t.Errorf("healthy: %v at %v (%s)", r.Outcome, r.Promoted, r.Reason)
	}
}

// YAML merge keys (<<: *anchor) are read like the keys they merge.
func TestMergeKeys(t *testing.T) {
	f := mustRead(t, `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: c}
spec:
  analysis:
    <<: &defaults {interval: 30s, threshold: 2, maxWeight: 40}
    stepWeight: 20
    metrics:
      - <<: &sr {name: request-success-rate, interval: 1m}
        thresholdRange: {min: 95}
`)
	d := only(t, f)
	wantSchedule(t, d.Strategy, [][2]float64{{0, 20}, {0.5, 40}, {1, 100}})
	if len(d.Checks) != 1 || !near(d.Checks[0].Threshold, 0.05) || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0].Message, "assumed: each check reads Prometheus") {
		t.Errorf("checks %+v\n%s", d.Checks, dumpWarnings(d.Warnings))
	}
}

// Merges of merges cannot blow up: 40 levels of two-fold merges would be
// 2^40 mappings.
func TestMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nx0: &a0 {k: v}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "x%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("spec:\n  analysis:\n    <<: *a40\n    interval: 1m\n    stepWeight: 50\n")
	done := make(chan struct{})
	go func() {
		defer func() { done <- struct{}{} }()
		Read("bomb.yaml", []byte(b.String()))
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("merge bomb: no answer in 20 s")
	}
}
