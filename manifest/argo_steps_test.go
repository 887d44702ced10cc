package manifest

import (
	"strings"
	"testing"
)

// Argo's own e2e test combines setCanaryScale, setHeaderRoute and pause in
// one step (test/e2e/apisix/rollout-apisix-canary-set-header.yaml): the step
// is read, its pause kept, the header route warned about. The schedule:
// 15 s + 15 s at 0 %, 5 % for 15 s, 50 % for 15 s, then 100 % (Argo promotes
// after the last step).
func TestArgoStepCombinesNonTrafficFields(t *testing.T) {
	d := only(t, read(t, "testdata/real/argo/rollout-apisix-canary-set-header.yaml"))
	wantSchedule(t, d.Strategy, [][2]float64{{0.5, 5}, {0.75, 50}, {1, 100}})
	wantWarning(t, d.Warnings, 77, "setCanaryScale")
	wantWarning(t, d.Warnings, 79, "setHeaderRoute")
}

// Two of setWeight, pause, experiment and analysis in one step are what
// Argo's validator refuses; the error says so.
func TestArgoStepTwoTrafficFields(t *testing.T) {
	src := `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    canary:
      steps:
      - setWeight: 10
        pause: {duration: 1m}
`
	_, err := Read("r.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "r.yaml:8: spec.strategy.canary.steps[0]: a step sets both setWeight and pause") {
		t.Fatalf("err = %v", err)
	}
}
