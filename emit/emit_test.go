package emit

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

func alarm(metric metrics.Metric, dim metrics.Dimension, th float64, m, n int, period time.Duration) rollback.Alarm {
	return rollback.Alarm{
		Name: "Candidate" + metric.String(), Metric: metric, Dimension: dim,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: period,
		EvaluationPeriods: n, DatapointsToAlarm: m, Threshold: th,
		Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching,
	}
}

func readBack(t *testing.T, name, text string) manifest.Deployable {
	t.Helper()
	f, err := manifest.Read(name, []byte(text))
	if err != nil {
		t.Fatalf("manifest.Read: %v\n%s", err, text)
	}
	if len(f.Deployables) != 1 {
		t.Fatalf("%d deployables, want 1\n%s", len(f.Deployables), text)
	}
	return f.Deployables[0]
}

func sameSchedule(t *testing.T, got, want strategy.Strategy) {
	t.Helper()
	if !reflect.DeepEqual(got.Schedule(), want.Schedule()) {
		t.Errorf("schedule read back %v, want %v (%s)", got.Schedule(), want.Schedule(), want)
	}
}

// Every SAM and CloudFormation snippet reads back into the same strategy
// and the same CodeDeploy policy (alarm names aside: the reader names an
// alarm after its resource).
func TestCodeDeployRoundTrip(t *testing.T) {
	strategies := []strategy.Strategy{
		strategy.LambdaCanary10Percent5Minutes,
		strategy.Canary{Percent: 1, Interval: 5 * time.Minute},
		strategy.Linear{Percent: 20, Interval: 2 * time.Minute},
		strategy.AllAtOnce{},
	}
	policies := []rollback.Alarms{
		rollback.CodeDeploy(alarm(metrics.Errors, metrics.Candidate, 3, 2, 3, time.Minute)),
		rollback.CodeDeploy(alarm(metrics.ErrorRate, metrics.Candidate, 0.02, 1, 1, 10*time.Second)),
		rollback.CodeDeploy(alarm(metrics.Errors, metrics.Alias, 5, 1, 1, time.Minute), alarm(metrics.ErrorRate, metrics.Alias, 0.01, 2, 2, time.Minute)),
	}
	for _, format := range []string{"sam", "cloudformation"} {
		for _, s := range strategies {
			for _, p := range policies {
				var b strings.Builder
				if err := Write(&b, format, s, p); err != nil {
					t.Fatalf("%s %s: %v", format, s, err)
				}
				d := readBack(t, format+".yaml", b.String())
				sameSchedule(t, d.Strategy, s)
				got, ok := d.Policy.(rollback.Alarms)
				if !ok {
					t.Fatalf("%s %s: policy read back %T", format, s, d.Policy)
				}
				for i := range got.Alarms {
					got.Alarms[i].Name = p.Alarms[i].Name
				}
				if !reflect.DeepEqual(got, p) {
					t.Errorf("%s %s: policy read back\n%+v\nwant\n%+v\n%s", format, s, got, p, b.String())
				}
				for _, w := range d.Warnings {
					t.Logf("%s %s: warning %s", format, s, w)
				}
			}
		}
	}
}

func TestCodeDeployRefuses(t *testing.T) {
	p := rollback.CodeDeploy(alarm(metrics.Errors, metrics.Candidate, 3, 1, 1, time.Minute))
	for _, tc := range []struct {
		s    strategy.Strategy
		p    rollback.Policy
		want string
	}{
		{strategy.Exponential{Start: 1, Factor: 2, Interval: time.Minute}, p, "CodeDeploy has no such configuration"},
		{strategy.Canary{Percent: 2.5, Interval: time.Minute}, p, "CodeDeploy has no such configuration"},
		{strategy.LambdaCanary10Percent5Minutes, rollback.Sequential{Alpha: 0.05}, "CloudWatch alarms only"},
		{strategy.LambdaCanary10Percent5Minutes, rollback.Alarms{Alarms: p.Alarms}, "cadences are AWS's"},
	} {
		if _, err := SAM(tc.s, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.s, err, tc.want)
		}
	}
}

// Argo and Flagger: the strategy reads back with the same schedule, and the
// analysis with the translation the snippet states.
func TestPrometheusRoundTrip(t *testing.T) {
	a := alarm(metrics.ErrorRate, metrics.Candidate, 0.02, 2, 3, time.Minute)
	p := rollback.CodeDeploy(a)
	for _, s := range []strategy.Strategy{
		strategy.Canary{Percent: 1, Interval: 5 * time.Minute},
		strategy.Exponential{Start: 1, Factor: 2, Interval: 2 * time.Minute},
		strategy.Steps{{SetWeight: 5}, {Pause: 5 * time.Minute}, {SetWeight: 25}, {Pause: 5 * time.Minute}, {SetWeight: 100}, {Pause: 10 * time.Minute}},
	} {
		text, err := Argo(s, p)
		if err != nil {
			t.Fatal(err)
		}
		d := readBack(t, "rollout.yaml", text)
		sameSchedule(t, d.Strategy, s)
		if len(d.Checks) != 1 {
			t.Fatalf("%d checks\n%s", len(d.Checks), text)
		}
		c := d.Checks[0]
		if c.Metric != metrics.ErrorRate || c.Dimension != metrics.Candidate || c.Threshold != a.Threshold || c.Interval != a.Period || c.Window != a.Period || c.Limit != a.M()-1 || c.FailWhen != rollback.GreaterThanOrEqualToThreshold {
			t.Errorf("argo %s: check read back %+v\n%s", s, c, text)
		}
	}
	for _, s := range []strategy.Strategy{
		strategy.Linear{Percent: 20, Interval: time.Minute},
		strategy.Canary{Percent: 5, Interval: time.Minute},
		strategy.Exponential{Start: 1, Factor: 2, Interval: time.Minute},
	} {
		text, err := Flagger(s, p)
		if err != nil {
			t.Fatal(err)
		}
		d := readBack(t, "canary.yaml", text)
		sameSchedule(t, d.Strategy, s)
		fc, ok := d.Policy.(rollback.FailedChecks)
		if !ok || fc.Threshold != a.M() || len(d.Checks) != 1 {
			t.Fatalf("flagger %s: policy %#v\n%s", s, d.Policy, text)
		}
		c := d.Checks[0]
		if c.Metric != metrics.ErrorRate || c.Dimension != metrics.Candidate || c.Window != a.Period || !near(c.Threshold, a.Threshold) {
			t.Errorf("flagger %s: check read back %+v\n%s", s, c, text)
		}
	}
	for _, tc := range []struct {
		f    func(strategy.Strategy, rollback.Policy) (string, error)
		s    strategy.Strategy
		p    rollback.Policy
		want string
	}{
		{Argo, strategy.LambdaCanary10Percent5Minutes, rollback.CodeDeploy(alarm(metrics.Errors, metrics.Candidate, 3, 1, 1, time.Minute)), "a count has no error-rate equivalent"},
		{Argo, strategy.Linear{Percent: 33.5, Interval: time.Minute}, p, "whole percents"},
		{Flagger, strategy.LambdaCanary10Percent5Minutes, rollback.Sequential{Alpha: 0.05}, "only a single CloudWatch ErrorRate alarm"},
		{Flagger, strategy.Steps{{SetWeight: 5}, {Pause: time.Minute}, {SetWeight: 20}, {Pause: 5 * time.Minute}}, p, "not evenly spaced"},
	} {
		if _, err := tc.f(tc.s, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.s, err, tc.want)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
