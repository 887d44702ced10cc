package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseAlarmFlag: --alarm never panics, and an alarm it accepts prints
// back (alarmString) to a flag value that reads as the same alarm.
func FuzzParseAlarmFlag(f *testing.F) {
	f.Add("MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold,TreatMissingData=notBreaching")
	f.Add("MetricName=ErrorRate,Threshold=0.01")
	f.Add("MetricName=Duration,ExtendedStatistic=p99.9,Threshold=1e3,Period=10")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAlarmFlag(s)
		if err != nil {
			return
		}
		want, err := a.alarm(0)
		if err != nil {
			return
		}
		if strings.ContainsAny(a.AlarmName, ",=") {
			return // a name the flag syntax cannot carry
		}
		a.fill(0)
		back, err := parseAlarmFlag(alarmString(a))
		if err != nil {
			t.Fatalf("alarmString(%q) = %q does not parse: %v", s, alarmString(a), err)
		}
		got, err := back.alarm(0)
		if err != nil {
			t.Fatalf("alarmString(%q) = %q is refused: %v", s, alarmString(a), err)
		}
		got.EvaluateLowSampleCountPercentile = want.EvaluateLowSampleCountPercentile // not in alarmString
		if got != want {
			t.Fatalf("%q: round trip %+v, want %+v", s, got, want)
		}
	})
}

// FuzzDecodeScenario: the --scenario reader never panics, and a scenario it
// accepts and validates writes as JSON that reads back to the same JSON
// (the output of one run is a valid input of the next).
func FuzzDecodeScenario(f *testing.F) {
	f.Add([]byte("rps: 5\nruns: 3\nalarms:\n  - MetricName: Errors\n    Threshold: 2\n"))
	f.Add([]byte(`{"scenario": {"rps": 1, "horizon": "1h"}, "rows": []}`))
	f.Add([]byte("strategies: [AllAtOnce, 'Linear:20%,1m']\nhorizon: 90\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := defaultConfig()
		if err := decodeScenario("f.yaml", data, &c); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		if err := c.validate(origin{file: "f.yaml"}); err != nil {
			return
		}
		first, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		d := defaultConfig()
		if err := decodeScenario("f.json", first, &d); err != nil {
			t.Fatalf("own output %s refused: %v", first, err)
		}
		second, _ := json.Marshal(&d)
		if string(first) != string(second) {
			t.Fatalf("round trip:\n%s\n%s", first, second)
		}
	})
}
