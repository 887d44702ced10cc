package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func read(t *testing.T, path string) *File {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", path, err)
	}
	return f
}

func only(t *testing.T, f *File) Deployable {
	t.Helper()
	if len(f.Deployables) != 1 {
		t.Fatalf("%s: %d deployables, want 1", f.Name, len(f.Deployables))
	}
	return f.Deployables[0]
}

func find(t *testing.T, f *File, name string) Deployable {
	t.Helper()
	for _, d := range f.Deployables {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("%s: no deployable %q", f.Name, name)
	return Deployable{}
}

// wantSchedule compares a schedule with one written from the reference as
// (minutes, percent) pairs.
func wantSchedule(t *testing.T, s strategy.Strategy, want [][2]float64) {
	t.Helper()
	got := s.Schedule()
	if len(got) != len(want) {
		t.Fatalf("%v: schedule %v, want %v", s, got, want)
	}
	for i, w := range want {
		at := time.Duration(w[0] * float64(time.Minute))
		if got[i].At != at || !near(got[i].Weight, w[1]/100) {
			t.Fatalf("%v: step %d = %v at %v, want %v%% at %v", s, i, got[i].Weight, got[i].At, w[1], at)
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-12 && d > -1e-12 }

// hasWarning reports a warning at line whose message contains sub.
func hasWarning(ws []Warning, line int, sub string) bool {
	for _, w := range ws {
		if w.Line == line && strings.Contains(w.Message, sub) {
			return true
		}
	}
	return false
}

func wantWarning(t *testing.T, ws []Warning, line int, sub string) {
	t.Helper()
	if !hasWarning(ws, line, sub) {
		t.Errorf("no warning at line %d containing %q; got:\n%s", line, sub, dumpWarnings(ws))
	}
}

func dumpWarnings(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("  " + w.String() + "\n")
	}
	return b.String()
}

// The AWS SAM documentation's example, as printed, evaluates: a 10 % canary
// for 10 minutes with both hooks; its alarms are not defined in the snippet,
// which is said, not hidden.
func TestSAMDocumentationExample(t *testing.T) {
	f := read(t, "testdata/sam-docs-gradual.yaml")
	if f.Format != CloudFormation {
		t.Fatalf("format %v", f.Format)
	}
	d := only(t, f)
	if d.Name != "MyLambdaFunction" || d.Source.Kind != "AWS::Serverless::Function" || d.Source.Line != 8 {
		t.Errorf("deployable %q from %v", d.Name, d.Source)
	}
	// aws.md: Canary10Percent10Minutes = 10% at 0, 100% at 10 min.
	wantSchedule(t, d.Strategy, [][2]float64{{0, 10}, {10, 100}})
	if !strategy.Equal(d.Strategy, strategy.Canary{Percent: 10, Interval: 10 * time.Minute}) {
		t.Errorf("strategy %v", d.Strategy)
	}
	if d.PreTrafficHook != "PreTrafficLambdaFunction" || d.PostTrafficHook != "PostTrafficLambdaFunction" {
		t.Errorf("hooks %q, %q", d.PreTrafficHook, d.PostTrafficHook)
	}
	if d.Policy != nil || len(d.Alarms) != 0 {
		t.Errorf("alarms %v, policy %v: the snippet defines no alarm", d.Alarms, d.Policy)
	}
	ws := f.AllWarnings()
	wantWarning(t, ws, 8, "not under Resources")
	wantWarning(t, ws, 21, "AliasErrorMetricGreaterThanZeroAlarm")
	wantWarning(t, ws, 22, "LatestVersionErrorMetricGreaterThanZeroAlarm")
}

// With the alarms of SAM's "Safe Lambda deployments" page, both alarms are
// modelled exactly as written.
func TestSAMSafeDeployments(t *testing.T) {
	f := read(t, "testdata/sam-safe-deployments.yaml")
	d := only(t, f)
	wantSchedule(t, d.Strategy, [][2]float64{{0, 10}, {10, 100}})
	base := rollback.Alarm{
		Metric: metrics.Errors, Statistic: metrics.Statistic{Kind: metrics.Sum},
		Period: time.Minute, EvaluationPeriods: 2, Threshold: 0,
		Comparison: rollback.GreaterThanThreshold, TreatMissingData: rollback.TreatMissing,
	}
	alias, cand := base, base
	alias.Name, alias.Dimension = "AliasErrorMetricGreaterThanZeroAlarm", metrics.Alias
	cand.Name, cand.Dimension = "LatestVersionErrorMetricGreaterThanZeroAlarm", metrics.Candidate
	if len(d.Alarms) != 2 || d.Alarms[0] != alias || d.Alarms[1] != cand {
		t.Fatalf("alarms\n%+v\nwant\n%+v\n%+v", d.Alarms, alias, cand)
	}
	p, ok := d.Policy.(rollback.Alarms)
	if !ok || len(p.Alarms) != 2 || p.PollInterval != rollback.DefaultPollInterval {
		t.Errorf("policy %#v: want CodeDeploy's controller over both alarms", d.Policy)
	}
	if d.PreTrafficHook != "PreTrafficLambdaFunction" || d.PostTrafficHook != "PostTrafficLambdaFunction" {
		t.Errorf("hooks %q, %q", d.PreTrafficHook, d.PostTrafficHook)
	}
	// The hook functions turn their own deployment preference off.
	wantWarning(t, f.Warnings, 88, "PreTrafficLambdaFunction")
	wantWarning(t, f.Warnings, 101, "PostTrafficLambdaFunction")
	// Only the hooks' assumed behaviour is warned about.
	wantWarning(t, d.Warnings, 28, "PreTraffic hook PreTrafficLambdaFunction: simulated as running 1m0s")
	wantWarning(t, d.Warnings, 29, "PostTraffic hook PostTrafficLambdaFunction: simulated as running 1m0s")
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0].Message, "probability 0.5 (assumed") {
		t.Errorf("want the two hook warnings only:\n%s", dumpWarnings(d.Warnings))
	}
}

func TestSAMCustomConfigAndGlobals(t *testing.T) {
	f := read(t, "testdata/sam-custom-globals.yaml")
	if len(f.Deployables) != 2 {
		t.Fatalf("%d deployables", len(f.Deployables))
	}
	orders := find(t, f, "OrdersFn")
	// Type from Globals, !Ref DeployType -> Default -> the custom config
	// named so: TimeBasedCanary 5 % then the rest after 3 minutes.
	wantSchedule(t, orders.Strategy, [][2]float64{{0, 5}, {3, 100}})
	if len(orders.Alarms) != 2 {
		t.Fatalf("OrdersFn alarms %+v", orders.Alarms)
	}
	rate, throttle := orders.Alarms[0], orders.Alarms[1]
	if rate.Name == "OrdersThrottleAlarm" {
		rate, throttle = throttle, rate
	}
	// 100 * errors / invocations >= 2 (percent) is ErrorRate >= 0.02.
	if rate.Name != "orders-error-rate" || rate.Metric != metrics.ErrorRate || rate.Dimension != metrics.Alias ||
		!near(rate.Threshold, 0.02) || rate.Comparison != rollback.GreaterThanOrEqualToThreshold ||
		rate.EvaluationPeriods != 3 || rate.DatapointsToAlarm != 2 || rate.TreatMissingData != rollback.TreatNotBreaching ||
		rate.Period != time.Minute {
		t.Errorf("error-rate alarm %+v", rate)
	}
	// The throttle alarm exists because IsProd holds for the default Env.
	if throttle.Name != "OrdersThrottleAlarm" || throttle.Metric != metrics.Throttles || throttle.Threshold != 10 {
		t.Errorf("throttle alarm %+v", throttle)
	}
	wantWarning(t, orders.Warnings, 23, `Default "deploysim-canary-5pct-3min"`)
	wantWarning(t, orders.Warnings, 126, "FunctionName without Resource")

	pay := find(t, f, "PaymentsFn")
	// TimeBasedLinear 20 % every 2 minutes, first increment at 0 (aws.md).
	wantSchedule(t, pay.Strategy, [][2]float64{{0, 20}, {2, 40}, {4, 60}, {6, 80}, {8, 100}})
	if len(pay.Alarms) != 1 {
		t.Fatalf("PaymentsFn alarms %+v", pay.Alarms)
	}
	lat := pay.Alarms[0]
	if lat.Metric != metrics.Duration || lat.Dimension != metrics.Candidate || lat.Statistic != (metrics.Statistic{Kind: metrics.Percentile, P: 99}) ||
		lat.Threshold != 800 || lat.EvaluationPeriods != 5 || lat.DatapointsToAlarm != 3 {
		t.Errorf("latency alarm %+v", lat)
	}
	// The global error-rate alarm watches OrdersFn, not PaymentsFn.
	wantWarning(t, pay.Warnings, 102, "watches another function")
	if pay.PreTrafficHook != "PaymentsSmokeTest" || pay.PostTrafficHook != "" {
		t.Errorf("hooks %q %q", pay.PreTrafficHook, pay.PostTrafficHook)
	}
	wantWarning(t, f.Warnings, 160, "ReportsFn")
	wantWarning(t, f.Warnings, 77, "PaymentsSmokeTest")
}

func TestSAMJSON(t *testing.T) {
	f := read(t, "testdata/sam-template.json")
	d := only(t, f)
	// aws.md: Linear10PercentEvery1Minute, 10 % at 0, +10 % a minute, 100 % at 9 min.
	want := [][2]float64{}
	for i := 0; i < 10; i++ {
		want = append(want, [2]float64{float64(i), float64(10 * (i + 1))})
	}
	wantSchedule(t, d.Strategy, want)
	if len(d.Alarms) != 2 {
		t.Fatalf("alarms %+v\n%s", d.Alarms, dumpWarnings(d.Warnings))
	}
	e, p := d.Alarms[0], d.Alarms[1]
	if e.Name != "CandidateErrors" || e.Dimension != metrics.Candidate || e.Threshold != 5 || e.DatapointsToAlarm != 2 || e.EvaluationPeriods != 3 {
		t.Errorf("errors alarm %+v", e)
	}
	// Quoted numbers ("60", "1500") are numbers to CloudFormation.
	if p.Name != "AliasP99" || p.Dimension != metrics.Alias || p.Threshold != 1500 || p.Period != time.Minute {
		t.Errorf("p99 alarm %+v", p)
	}
}

func TestArgoCanary(t *testing.T) {
	f := read(t, "testdata/argo-canary.yaml")
	if f.Format != Kubernetes {
		t.Fatalf("format %v", f.Format)
	}
	d := only(t, f)
	// setWeight 5; pause 5m; setWeight 20; analysis (count 5, interval 1m:
	// measurements at 0..4 min of the step, 4 min); setWeight 50; pause {}
	// (one hour, strategy.DefaultManualPromotion); then Argo promotes.
	wantSchedule(t, d.Strategy, [][2]float64{{0, 5}, {5, 20}, {9, 50}, {69, 100}})
	wantWarning(t, d.Warnings, 48, "waits for a human")
	wantWarning(t, d.Warnings, 74, "datadog")
	wantWarning(t, d.Warnings, 93, "whole service")
	if len(d.Checks) != 2 {
		t.Fatalf("checks %+v", d.Checks)
	}
	lat, errs := d.Checks[0], d.Checks[1]
	// result[0] < 0.5 (seconds) succeeds, so >= 500 ms fails.
	if lat.Metric != metrics.Duration || lat.Statistic.P != 99 || lat.FailWhen != rollback.GreaterThanOrEqualToThreshold ||
		lat.Threshold != 500 || lat.Start != 5*time.Minute || lat.Count != 5 || lat.Limit != 1 || lat.Window != 2*time.Minute ||
		lat.Dimension != metrics.Alias {
		t.Errorf("latency check %+v", lat)
	}
	// Background from step 2 (5 min), the canary's pods by the Latest hash,
	// result[0] <= 0.01 succeeds: > 0.01 fails. Argo terminates the
	// background run at the promotion (69 min): measurements at 5..68 min.
	if errs.Metric != metrics.ErrorRate || errs.Dimension != metrics.Candidate || errs.FailWhen != rollback.GreaterThanThreshold ||
		errs.Threshold != 0.01 || errs.Start != 5*time.Minute || errs.Count != 64 || errs.Limit != 2 {
		t.Errorf("error-rate check %+v", errs)
	}
	if _, ok := d.Policy.(argoPolicy); !ok || d.Policy.Validate() != nil {
		t.Errorf("policy %#v", d.Policy)
	}

	// The assumed manual delay is the caller's to choose.
	f2, err := Options{ManualPause: 10 * time.Minute}.ReadFile("testdata/argo-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantSchedule(t, only(t, f2).Strategy, [][2]float64{{0, 5}, {5, 20}, {9, 50}, {19, 100}})
}

func TestArgoBlueGreen(t *testing.T) {
	f := read(t, "testdata/argo-bluegreen.yaml")
	d := only(t, f)
	// autoPromotionSeconds 600 outlasts the pre-promotion analysis (3
	// measurements 1 min apart: 2 min), so green takes traffic at 10 min;
	// the post-promotion analysis (4 measurements 2 min apart: 6 min) keeps
	// the rollout open until 16 min. The pre-promotion analysis is the
	// pre-traffic hook, its 2 min before the schedule: the schedule's switch
	// is at 10 - 2 = 8 min, its end at 14 min.
	wantSchedule(t, d.Strategy, [][2]float64{{0, 0}, {8, 100}, {14, 100}})
	if d.PreTrafficHook != "prePromotionAnalysis" || d.PreTraffic != (sim.Hook{Duration: 2 * time.Minute, CatchProb: DefaultHookCatchProb}) || d.PostTraffic.Enabled() {
		t.Errorf("hooks %q %+v, %+v", d.PreTrafficHook, d.PreTraffic, d.PostTraffic)
	}
	wantWarning(t, d.Warnings, 26, "preview")
	wantWarning(t, d.Warnings, 26, "pre-traffic hook simulated as running 2m0s")
	if len(d.Checks) != 1 {
		t.Fatalf("checks %+v", d.Checks)
	}
	c := d.Checks[0]
	// 100 * success / total >= 98 succeeds: error rate > 0.02 fails; after
	// the switch the active service is the candidate.
	if c.Metric != metrics.ErrorRate || c.Dimension != metrics.Candidate || c.FailWhen != rollback.GreaterThanThreshold ||
		!near(c.Threshold, 0.02) || c.Start != 10*time.Minute || c.Count != 4 || c.Limit != 1 || !c.PassOnNoData {
		t.Errorf("check %+v", c)
	}
}

func TestFlaggerCanary(t *testing.T) {
	f := read(t, "testdata/flagger-canary.yaml")
	d := only(t, f)
	// +10 % a minute to 50 %, promotion a minute later: interval ×
	// maxWeight/stepWeight = 5 min (Flagger's documented closed form).
	wantSchedule(t, d.Strategy, [][2]float64{{0, 10}, {1, 20}, {2, 30}, {3, 40}, {4, 50}, {5, 100}})
	p, ok := d.Policy.(rollback.FailedChecks)
	if !ok || p.Threshold != 5 || p.Interval != time.Minute || p.NoData != rollback.NoDataFail || len(p.Checks) != 2 {
		t.Fatalf("policy %#v", d.Policy)
	}
	sr, ok1 := p.Checks[0].(rollback.MetricCheck)
	dur, ok2 := p.Checks[1].(rollback.MetricCheck)
	if !ok1 || !ok2 {
		t.Fatalf("checks %#v", p.Checks)
	}
	// request-success-rate min 99 %: error rate > 1 % fails.
	if sr.Metric != metrics.ErrorRate || sr.Dimension != metrics.Candidate || sr.Comparison != rollback.GreaterThanThreshold || sr.Threshold != 0.01 {
		t.Errorf("success-rate check %+v", sr)
	}
	// request-duration max 500 ms: p99 > 500 fails.
	if dur.Metric != metrics.Duration || dur.Statistic.P != 99 || dur.Comparison != rollback.GreaterThanThreshold || dur.Threshold != 500 {
		t.Errorf("duration check %+v", dur)
	}
	if d.PreTrafficHook != "acceptance-test" {
		t.Errorf("pre-traffic hook %q", d.PreTrafficHook)
	}
	wantWarning(t, d.Warnings, 45, "load-test")
}

// Every broken file fails with file:line: path: naming the bad value.
func TestBrokenFiles(t *testing.T) {
	cases := []struct {
		file, prefix, sub string
	}{
		{"sam-unknown-type.yaml", "10: Resources.MyFn.Properties.DeploymentPreference.Type: ", `unknown type "Canary10Percent7Minutes"`},
		{"sam-no-alias.yaml", "7: Resources.MyFn.Properties.DeploymentPreference: ", "no AutoPublishAlias"},
		{"sam-bad-comparison.yaml", "21: Resources.Errs.Properties.ComparisonOperator: ", `"GreaterThan"`},
		{"sam-bad-custom-config.yaml", "15: Resources.Fast.Properties.TrafficRoutingConfig.TimeBasedCanary.CanaryPercentage: ", `"120": must be an integer in [1, 99]`},
		{"sam-bad-period.json", "20: Resources.Errs.Properties.Period: ", "Period = 45s"},
		{"sam-syntax.json", "7: ", "not valid JSON"},
		{"argo-bad-weight.yaml", "11: spec.strategy.canary.steps[2].setWeight: ", `"150": must be an integer in [0, 100]`},
		{"argo-bad-duration.yaml", "10: spec.strategy.canary.steps[1].pause.duration: ", `"5 minutes"`},
		{"argo-bad-bluegreen.yaml", "9: spec.strategy.blueGreen.autoPromotionEnabled: ", `"maybe": must be true or false`},
		{"argo-bad-count.yaml", "20: spec.metrics[0]: ", "count 5 needs an interval"},
		{"flagger-bad-stepweight.yaml", "10: spec.analysis.stepWeight: ", `"0": must be an integer in [1, 100]`},
		{"flagger-bad-interval.yaml", "7: spec.analysis.interval: ", `"often"`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "broken", c.file)
			f, err := ReadFile(path)
			if err == nil {
				t.Fatalf("no error; read %+v", f)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+":"+c.prefix) || !strings.Contains(msg, c.sub) {
				t.Errorf("error %q\nwant prefix %q and %q", msg, path+":"+c.prefix, c.sub)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != path || e.Line == 0 {
				t.Errorf("error %#v is not a positioned *Error", err)
			}
		})
	}
	// Every broken file is covered by a case.
	files, _ := filepath.Glob("testdata/broken/*")
	if len(files) != len(cases) {
		t.Errorf("%d broken files, %d cases", len(files), len(cases))
	}
}

func TestReadFileMissing(t *testing.T) {
	_, err := ReadFile("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func TestNotAConfig(t *testing.T) {
	for _, in := range []string{"", "---\n", "just a string", "- a\n- b\n", "apiVersion: v1\n", "{}"} {
		_, err := Read("x.yaml", []byte(in))
		if err == nil {
			t.Errorf("Read(%q): no error", in)
		}
	}
	// Kubernetes objects that are not rollout configuration are ignored,
	// with a warning that nothing was found.
	f, err := Read("k.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"))
	if err != nil || len(f.Deployables) != 0 || !hasWarning(f.Warnings, 1, "nothing is deployed") {
		t.Errorf("f=%+v err=%v", f, err)
	}
}
