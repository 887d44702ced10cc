package manifest

import (
	"reflect"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// A stage's canary at 10 % until promoted (an hour, the assumed manual
// delay), rolled back by the alarm on its own 5xx rate: 5XXError's Average is
// the error rate, Stage prod/Canary the canary's calls. The alarm on another
// API is not this stage's.
func TestAPIGatewayStageCanary(t *testing.T) {
	d := only(t, read(t, "testdata/cfn-apigw-canary.yaml"))
	if d.Name != "Api" { // the stage's API, as SAM names it
		t.Errorf("name %s", d.Name)
	}
	wantSchedule(t, d.Strategy, [][2]float64{{0, 10}, {60, 100}})
	want := rollback.Alarm{Name: "CanaryErrors", Metric: metrics.ErrorRate, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum},
		Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 0.05, Comparison: rollback.GreaterThanThreshold}
	if len(d.Alarms) != 1 || !reflect.DeepEqual(d.Alarms[0], want) || d.Policy == nil {
		t.Errorf("alarms %+v", d.Alarms)
	}
	if !anyWarning(d.Warnings, "until someone promotes it") || !anyWarning(d.Warnings, "API Gateway does not act on alarms") {
		t.Errorf("warnings:\n%s", dumpWarnings(d.Warnings))
	}
	f, err := Options{ManualPause: 10 * time.Minute}.ReadFile("testdata/cfn-apigw-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantSchedule(t, only(t, f).Strategy, [][2]float64{{0, 10}, {10, 100}})
}

// SAM's translator test: Globals.Api.CanarySetting applies to the explicit
// API and to the implicit one of the function's Api event, at 100 %.
func TestSAMAPICanaryGlobals(t *testing.T) {
	f := read(t, "testdata/real/sam/api_with_canary_setting.yaml")
	if len(f.Deployables) != 2 {
		t.Fatalf("%d deployables", len(f.Deployables))
	}
	names := map[string]bool{}
	for _, d := range f.Deployables {
		names[d.Name] = true
		wantSchedule(t, d.Strategy, [][2]float64{{0, 100}, {60, 100}})
	}
	if !names["ExplicitApi"] || !names["ServerlessRestApi"] {
		t.Errorf("names %v", names)
	}
}

// SAM's api_with_canary_setting and its translation (the stages
// ExplicitApiProdStage and ServerlessRestApiProdStage) read the same: each
// stage is named after its API.
func TestSAMAPICanaryAndItsTranslation(t *testing.T) {
	sam := read(t, "testdata/real/sam/api_with_canary_setting.yaml")
	cfn := read(t, "testdata/real/sam-output/api_with_canary_setting.json")
	got := func(f *File) map[string]string {
		m := map[string]string{}
		for _, d := range f.Deployables {
			m[d.Name] = d.Strategy.String()
		}
		return m
	}
	if a, b := got(sam), got(cfn); !reflect.DeepEqual(a, b) || len(a) != 2 {
		t.Errorf("SAM %v\nCFN %v", a, b)
	}
}
