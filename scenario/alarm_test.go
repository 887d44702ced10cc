package scenario

import (
	"strings"
	"testing"
)

// An explicit zero is refused with the key named: Fill replaces a missing
// Period, EvaluationPeriods or DatapointsToAlarm by its default, and used
// to do the same, silently, for one written as 0.
func TestParseAlarmExplicitZero(t *testing.T) {
	for _, key := range []string{"Period", "EvaluationPeriods", "DatapointsToAlarm"} {
		for _, v := range []string{"0", "-60"} {
			in := "MetricName=Errors,Threshold=1," + key + "=" + v
			_, err := ParseAlarm(in)
			if err == nil || !strings.Contains(err.Error(), key+" = \""+v+"\": must be at least 1") {
				t.Errorf("ParseAlarm(%q) = %v, want an error naming %s", in, err, key)
			}
		}
	}
	a, err := ParseAlarm("MetricName=Errors,Threshold=1")
	if err != nil {
		t.Fatal(err)
	}
	a.Fill(0)
	if a.Period != 60 || a.EvaluationPeriods != 1 || a.DatapointsToAlarm != 1 {
		t.Errorf("left out: Period %d, EvaluationPeriods %d, DatapointsToAlarm %d; want the defaults 60, 1, 1", a.Period, a.EvaluationPeriods, a.DatapointsToAlarm)
	}
}
