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

// An analysis whose metric runs a Kubernetes Job (Argo's job provider)
// takes as long as the Job runs, which the template does not say: the
// reader warns that the step's time comes from the measurement schedule
// alone, with the figure it used (here 0 s: one measurement, no delay).
func TestArgoJobMetricWarnsOfItsUnknownDuration(t *testing.T) {
	src := `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    canary:
      steps:
      - setWeight: 20
      - analysis:
          templates:
          - templateName: smoke
      - setWeight: 50
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  metrics:
  - name: smoke
    provider:
      job:
        spec:
          template:
            spec:
              containers: [{name: t, image: busybox, command: [sh, -c, "exit 0"]}]
              restartPolicy: Never
`
	ds, err := Read("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := only(t, ds)
	wantWarning(t, d.Warnings, 21, "a job measurement lasts as long as its Job runs")
	wantWarning(t, d.Warnings, 21, "from initialDelay, interval and count alone (0s)")
}
