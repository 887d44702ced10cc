package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// A SAM state machine with a LINEAR DeploymentPreference is a weighted alias
// stepping 20 % every 2 minutes (100 % at 8 min: 20, 40, 60, 80, 100 at
// 0, 2, 4, 6, 8), rolled back by its ExecutionsFailed alarm, read as Errors
// on the alias; its CloudFormation translation reads the same.
func TestStateMachine(t *testing.T) {
	sam := only(t, read(t, "testdata/sam-statemachine.yaml"))
	cfn := only(t, read(t, "testdata/cfn-statemachine-alias.yaml"))
	for _, d := range []Deployable{sam, cfn} {
		if d.Name != "Orders" || !strategy.Equal(d.Strategy, strategy.Linear{Percent: 20, Interval: 2 * time.Minute}) {
			t.Errorf("%s: %s %v", d.Source, d.Name, d.Strategy)
		}
		wantSchedule(t, d.Strategy, [][2]float64{{0, 20}, {2, 40}, {4, 60}, {6, 80}, {8, 100}})
		want := rollback.Alarm{Name: "OrdersFailed", Metric: metrics.Errors, Dimension: metrics.Alias, Statistic: metrics.Statistic{Kind: metrics.Sum},
			Period: time.Minute, EvaluationPeriods: 1, Threshold: 2, Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching}
		if len(d.Alarms) != 1 || !reflect.DeepEqual(d.Alarms[0], want) || d.Policy == nil {
			t.Errorf("%s: alarms %+v", d.Source, d.Alarms)
		}
		if !anyWarning(d.Warnings, "an execution is a request") {
			t.Errorf("%s: no warning of what is modelled:\n%s", d.Source, dumpWarnings(d.Warnings))
		}
	}
}

// CANARY and ALL_AT_ONCE, and what the reader refuses.
func TestStateMachineTypes(t *testing.T) {
	const tmpl = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      AutoPublishAlias: live\n      DeploymentPreference:\n%s"
	for pref, want := range map[string]string{
		"        Type: CANARY\n        Percentage: 10\n        Interval: 15\n": "Canary10Percent15Minutes",
		"        Type: ALL_AT_ONCE\n":                                          "AllAtOnce",
	} {
		d := only(t, mustRead(t, fmt.Sprintf(tmpl, pref)))
		if d.Strategy.String() != want {
			t.Errorf("%s: %v, want %s", pref, d.Strategy, want)
		}
	}
	for pref, want := range map[string]string{
		"        Type: CANARY\n        Percentage: 10\n":                       "needs Interval",
		"        Type: LINEAR\n        Percentage: 100\n        Interval: 1\n": "must be an integer in [1, 99]",
		"        Type: BLUE\n":                        "must be LINEAR, CANARY or ALL_AT_ONCE",
		"        Type: LINEAR\n        Percent: 10\n": "unknown DeploymentPreference property",
	} {
		_, err := Read("m.yaml", []byte(fmt.Sprintf(tmpl, pref)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", pref, err, want)
		}
	}
}

func anyWarning(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w.Message, sub) {
			return true
		}
	}
	return false
}
