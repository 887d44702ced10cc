package sim

import (
	"math"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// Every CodeDeploy predefined configuration, run end to end: a healthy
// candidate with no horizon is promoted at the instant the reference's table
// gives (docs/model.md, "CodeDeploy deployments and presets": 100 % at 5,
// 10, 15, 30 minutes for the canaries, at 9, 18, 27 and 90 minutes for the
// linear configs, at 0 for all-at-once; ECS names have the same shapes), and
// its exposure ∫w dt is the closed form of that schedule: 10 % × 60·M s for a
// canary of M minutes, (0.1 + 0.2 + … + 0.9) × 60·M = 270·M s for 10 % every
// M minutes, 0 for all-at-once. Both engines; no randomness is involved.
func TestAWSPresetsEndToEnd(t *testing.T) {
	m := time.Minute
	want := map[string]struct {
		promoted time.Duration
		exposure float64 // seconds
	}{
		"Canary10Percent5Minutes":                           {5 * m, 30},
		"Canary10Percent10Minutes":                          {10 * m, 60},
		"Canary10Percent15Minutes":                          {15 * m, 90},
		"Canary10Percent30Minutes":                          {30 * m, 180},
		"Linear10PercentEvery1Minute":                       {9 * m, 270},
		"Linear10PercentEvery2Minutes":                      {18 * m, 540},
		"Linear10PercentEvery3Minutes":                      {27 * m, 810},
		"Linear10PercentEvery10Minutes":                     {90 * m, 2700},
		"AllAtOnce":                                         {0, 0},
		"CodeDeployDefault.ECSCanary10Percent5Minutes":      {5 * m, 30},
		"CodeDeployDefault.ECSCanary10Percent15Minutes":     {15 * m, 90},
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {9 * m, 270},
		"CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {27 * m, 810},
		"CodeDeployDefault.ECSAllAtOnce":                    {0, 0},
	}
	presets := strategy.Presets()
	if len(presets) != len(want) {
		t.Fatalf("strategy.Presets() has %d entries, the reference lists %d", len(presets), len(want))
	}
	for _, st := range presets {
		w, ok := want[st.Name()]
		if !ok {
			t.Errorf("preset %q is not in the reference's table", st.Name())
			continue
		}
		for _, res := range []Resolution{PerRequest, Bucketed} {
			s := BaseScenario()
			s.Workload = Poisson{Rate: 2}
			s.Strategy = st
			s.Resolution = res
			r, err := Run(s)
			if err != nil {
				t.Fatalf("%s, %v: %v", st.Name(), res, err)
			}
			if r.Outcome != metrics.Completed || r.Promoted != w.promoted {
				t.Errorf("%s, %v: outcome %v promoted at %v, want completed at %v", st.Name(), res, r.Outcome, r.Promoted, w.promoted)
			}
			if math.Abs(r.ExposureSeconds-w.exposure) > 1e-9*math.Max(1, w.exposure) {
				t.Errorf("%s, %v: exposure %v s, want %v s", st.Name(), res, r.ExposureSeconds, w.exposure)
			}
		}
	}
}
