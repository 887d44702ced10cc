package scenario

import (
	"strings"
	"testing"

	"github.com/deploysim/deploysim/strategy"
)

// Each warning fires on its case and not on the default scenario, whose
// 2-hour horizon covers every preset and whose candidate is bad.
func TestWarnings(t *testing.T) {
	canary, _ := strategy.Parse("Canary10Percent5Minutes")
	all, _ := strategy.Parse("AllAtOnce")
	ss := []strategy.Strategy{canary, all}
	d := Default()
	if w := d.Warnings(strategy.LambdaPresets()); len(w) != 0 {
		t.Errorf("the default scenario warns: %q", w)
	}
	for _, c := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"horizon": "4m"}, "ends each run before the deployment of Canary10Percent5Minutes (5m0s) is complete"},
		{map[string]string{"horizon": "90s", "pre_traffic_hook": "0s"}, "is shorter than the first alarm datapoint can arrive (2m0s"},
		{map[string]string{"horizon": "6m", "pre_traffic_hook": "2m"}, "Canary10Percent5Minutes (7m0s)"},
		{map[string]string{"error_rate": "0"}, "--error-rate = 0 (a healthy candidate) with --horizon = 2h0m0s"},
		{map[string]string{"error_rate": "0", "baseline_error_rate": "0"}, ""},
		{map[string]string{"error_rate": "0", "horizon": "0"}, ""},
	} {
		f := Default()
		for k, v := range c.set {
			if err := f.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		w := strings.Join(f.Warnings(ss), "\n")
		if (c.want == "") != (w == "") || !strings.Contains(w, c.want) {
			t.Errorf("%v: warnings %q, want %q", c.set, w, c.want)
		}
	}
}

// Windows longer than a minute start empty at the deployment (no traffic
// from before it is simulated): policy burnrate's always, an alarm's when
// its Period is over a minute; the default alarm's minute does not warn.
func TestWarningsEmptyWindows(t *testing.T) {
	ss := strategy.LambdaPresets()
	const slow = "AlarmName=slow,MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=300,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold"
	const minute = "MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=3,DatapointsToAlarm=2,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold"
	for _, c := range []struct {
		policy, alarm string
		want          string
	}{
		{"burnrate", "", "--policy: the burn-rate windows (up to 6h0m0s): windows longer than a minute start empty at the deployment"},
		{"alarms", slow, "--alarm: alarm slow (Period 5m0s): windows longer than a minute start empty at the deployment"},
		{"alarms", minute, ""},
		{"sequential", "", ""},
	} {
		f := Default()
		if err := f.Set("policy", c.policy); err != nil {
			t.Fatal(err)
		}
		if c.alarm != "" {
			a, err := ParseAlarm(c.alarm)
			if err != nil {
				t.Fatal(err)
			}
			f.Alarms = []Alarm{a}
		}
		w := strings.Join(f.Warnings(ss), "\n")
		if (c.want == "") != (w == "") || !strings.Contains(w, c.want) {
			t.Errorf("%s %q: warnings %q, want %q", c.policy, c.alarm, w, c.want)
		}
	}
}
