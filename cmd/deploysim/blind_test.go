package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// An alarm whose evaluation range is never ingested when it is evaluated
// cannot fire, and the command says so on stderr. The boundary comes from
// blindAlarms's closed form, delay ≤ L·P + P − gcd(P, interval) − resolution
// with L = EvaluationPeriods+2, and the simulator agrees on both sides of it
// where CodeDeploy's 60 s polls see every ALARM (10 s and 60 s periods):
//
//   - Period 10 s, N 1: 3·10 + 10 − 10 − 10 = 20 s;
//   - Period 60 s, N 1: 3·60 + 60 − 60 − 60 = 120 s;
//   - Period 30 s, N 2: 4·30 + 30 − 10 − 30 = 110 s (warning only: the
//     range then holds one ingested datapoint at one evaluation in three,
//     an ALARM that the minute polls may miss).
//
// A bad candidate failing 5 % of 10 req/s on its 10 % canary makes well over
// one error per period, so an alarm on Errors >= 1 that sees data fires.
func TestBlindAlarmWarning(t *testing.T) {
	for _, c := range []struct {
		alarm      string
		ok, blind  string // ingestion delays at and just past the boundary
		checkRates bool
	}{
		{"MetricName=Errors,Period=10,Threshold=1", "20s", "21s", true},
		{"MetricName=Errors,Period=60,Threshold=1", "120s", "121s", true},
		{"MetricName=Errors,Period=30,EvaluationPeriods=2,DatapointsToAlarm=1,Threshold=1", "110s", "111s", false},
	} {
		for _, delay := range []string{c.ok, c.blind} {
			code, out, errs := runCLI(t, "compare", "--rps", "100", "--error-rate", "0.05", "--runs", "10", "--format", "json", "--strategies", "Canary10Percent5Minutes",
				"--alarm", c.alarm, "--ingestion-delay", delay)
			if code != 0 {
				t.Fatalf("%s, delay %s: exit %d: %s", c.alarm, delay, code, errs)
			}
			warned := strings.Contains(errs, "warning: alarm alarm1") && strings.Contains(errs, "it can never fire")
			if warned != (delay == c.blind) {
				t.Errorf("%s, delay %s: warned %v; stderr %q", c.alarm, delay, warned, errs)
			}
			if !c.checkRates {
				continue
			}
			var doc struct {
				Rows []map[string]any `json:"rows"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			want := 1.0
			if delay == c.blind {
				want = 0
			}
			if d := doc.Rows[0]["detection_rate"].(map[string]any)["value"]; d != want {
				t.Errorf("%s, delay %s: detection rate %v, want %v", c.alarm, delay, d, want)
			}
		}
	}
	// With missing data read as breaching, a blind alarm always fires.
	_, _, errs := runCLI(t, "compare", "--runs", "1", "--strategies", "AllAtOnce",
		"--alarm", "MetricName=Errors,Period=10,Threshold=1,TreatMissingData=breaching")
	if !strings.Contains(errs, "fires at its first evaluation") {
		t.Errorf("breaching: stderr %q", errs)
	}
	// The default alarm (60 s, CloudWatch's 60 s delay) is not blind.
	if _, _, errs := runCLI(t, "compare", "--runs", "1", "--strategies", "AllAtOnce"); strings.Contains(errs, "warning") {
		t.Errorf("default alarm warned: %q", errs)
	}
}
