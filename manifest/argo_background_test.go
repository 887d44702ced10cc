package manifest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
)

// Argo terminates a background AnalysisRun once the rollout is fully
// promoted (rollout/analysis.go, reconcileBackgroundAnalysisRun), so no
// measurement is taken at the promotion instant (issue 18.5). Closed form,
// exact whatever the seed: 50 % for 3m then promotion; a background metric
// every 1m from 0 on a canary failing every request: the measurement at 0
// has no data (an error, not a failure, within consecutiveErrorLimit 4),
// those at 1m and 2m fail; the one at 3m would be the promotion's. With
// failureLimit 1 the second failure (2m) aborts; with failureLimit 2 the
// third failure would come only at 3m, which Argo does not take: the fault
// is missed and the rollout completes at 3m.
func TestArgoBackgroundEndsAtPromotion(t *testing.T) {
	for _, tc := range []struct {
		limit   int
		outcome metrics.Outcome
		at      time.Duration
	}{{1, metrics.RolledBack, 2 * time.Minute}, {2, metrics.Missed, 3 * time.Minute}} {
		y := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    canary:
      analysis:
        templates: [{templateName: errs}]
      steps:
        - setWeight: 50
        - pause: {duration: 3m}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: errs}
spec:
  metrics:
    - name: errs
      interval: 1m
      failureLimit: %d
      successCondition: result[0] <= 0.01
      provider:
        prometheus:
          query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
`, tc.limit)
		d := only(t, mustRead(t, y))
		if len(d.Checks) != 1 || d.Checks[0].Count != 3 {
			t.Fatalf("checks %+v", d.Checks)
		}
		base := sim.BaseScenario()
		base.Workload = sim.Poisson{Rate: 50}
		base.ActionLatency = 0
		base.Fault = sim.Fault{ErrorProb: 1}
		r, err := sim.Run(d.Apply(base))
		if err != nil {
			t.Fatal(err)
		}
		got := r.Detected
		if tc.outcome == metrics.Missed {
			got = r.Promoted
		}
		if r.Outcome != tc.outcome || got != tc.at {
			t.Errorf("failureLimit %d: %v at %v, want %v at %v (%s)", tc.limit, r.Outcome, got, tc.outcome, tc.at, r.Reason)
		}
	}
}

// A range shorter than two scrapes (15 s each, assumed) is warned about
// (issue 18.3): rate() needs two samples in the window.
func TestShortWindowWarns(t *testing.T) {
	d := only(t, mustRead(t, "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  analysis:\n    interval: 15s\n    threshold: 2\n    stepWeight: 50\n    metrics:\n      - {name: request-success-rate, thresholdRange: {min: 99}, interval: 20s}\n"))
	found := false
	for _, w := range d.Warnings {
		found = found || strings.Contains(w.Message, "shorter than two scrapes")
	}
	if !found {
		t.Errorf("no warning about the 20s window:\n%s", dumpWarnings(d.Warnings))
	}
}
