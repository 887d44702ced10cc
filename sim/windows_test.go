package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// EmptyWindows names the windows longer than a minute, each with its
// length, and says nothing of minute-long ones or of policies without
// windows.
func TestEmptyWindows(t *testing.T) {
	alarm := func(name string, period time.Duration) rollback.Alarm {
		return rollback.Alarm{Name: name, Metric: metrics.Errors, Dimension: metrics.Candidate,
			Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: period, EvaluationPeriods: 1, DatapointsToAlarm: 1,
			Threshold: 5, Comparison: rollback.GreaterThanOrEqualToThreshold}
	}
	minute, hour := alarm("fast", time.Minute), alarm("slow", time.Hour)
	for _, c := range []struct {
		p    rollback.Policy
		want []string
	}{
		{rollback.CodeDeploy(minute), nil},
		{rollback.CodeDeploy(minute, hour), []string{"alarm slow (Period 1h0m0s)", "until they fill (1h0m0s)"}},
		{&rollback.Alarms{Alarms: []rollback.Alarm{hour}}, []string{"alarm slow"}},
		{rollback.Composite{Alarms: rollback.CodeDeploy(hour)}, []string{"alarm slow"}},
		{rollback.SREWorkbook(0.999), []string{"the burn-rate windows (up to 6h0m0s)", "start empty at the deployment"}},
		{rollback.Sequential{Alpha: 0.05}, nil},
		{nil, nil},
	} {
		got := EmptyWindows(c.p)
		if (len(c.want) == 0) != (got == "") {
			t.Errorf("%v: %q, want %q", c.p, got, c.want)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: %q lacks %q", c.p, got, w)
			}
		}
		if strings.Contains(got, "fast") {
			t.Errorf("%v: names the minute-long alarm: %q", c.p, got)
		}
	}
}
