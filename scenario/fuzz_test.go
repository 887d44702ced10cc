package scenario

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseAlarm: ParseAlarm never panics, and an alarm it accepts prints
// back (Alarm.String) to a flag value that reads as the same alarm.
func FuzzParseAlarm(f *testing.F) {
	f.Add("MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold,TreatMissingData=notBreaching")
	f.Add("MetricName=ErrorRate,Threshold=0.01")
	f.Add("MetricName=Duration,ExtendedStatistic=p99.9,Threshold=1e3,Period=10")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAlarm(s)
		if err != nil {
			return
		}
		want, err := a.Rollback(0)
		if err != nil {
			return
		}
		if strings.ContainsAny(a.AlarmName, ",=") {
			return // a name the flag syntax cannot carry
		}
		a.Fill(0)
		back, err := ParseAlarm(a.String())
		if err != nil {
			t.Fatalf("alarmString(%q) = %q does not parse: %v", s, a.String(), err)
		}
		got, err := back.Rollback(0)
		if err != nil {
			t.Fatalf("alarmString(%q) = %q is refused: %v", s, a.String(), err)
		}
		got.EvaluateLowSampleCountPercentile = want.EvaluateLowSampleCountPercentile // not in String
		if got != want {
			t.Fatalf("%q: round trip %+v, want %+v", s, got, want)
		}
	})
}

// FuzzDecode: the scenario file reader never panics, and a scenario it
// accepts and validates writes as JSON that reads back to the same JSON
// (the output of one run is a valid input of the next).
func FuzzDecode(f *testing.F) {
	f.Add([]byte("rps: 5\nruns: 3\nalarms:\n  - MetricName: Errors\n    Threshold: 2\n"))
	f.Add([]byte(`{"scenario": {"rps": 1, "horizon": "1h"}, "rows": []}`))
	f.Add([]byte("strategies: [AllAtOnce, 'Linear:20%,1m']\nhorizon: 90\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode("f.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		first, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		d, err := Decode("f.json", first)
		if err != nil {
			t.Fatalf("own output %s refused: %v", first, err)
		}
		second, _ := json.Marshal(&d)
		if string(first) != string(second) {
			t.Fatalf("round trip:\n%s\n%s", first, second)
		}
	})
}

func TestSplitStrategies(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                   nil,
		"AllAtOnce":                          {"AllAtOnce"},
		"Canary10Percent5Minutes, AllAtOnce": {"Canary10Percent5Minutes", "AllAtOnce"},
		"Linear:20%,1m,Canary:5%,2m":         {"Linear:20%,1m", "Canary:5%,2m"},
		"Steps:10%,5m,50%,10m,AllAtOnce":     {"Steps:10%,5m,50%,10m", "AllAtOnce"},
		"Exponential:1%,x2,5m;AllAtOnce":     {"Exponential:1%,x2,5m", "AllAtOnce"},
	} {
		got := SplitStrategies(in)
		if strconv.Quote(strings.Join(got, "|")) != strconv.Quote(strings.Join(want, "|")) || len(got) != len(want) {
			t.Errorf("SplitStrategies(%q) = %q, want %q", in, got, want)
		}
	}
}
