package deploysim_test

import (
	"context"
	"testing"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
)

// TestBurnRateTemplateDetects: the SRE workbook's burn-rate alert of
// manifest/testdata/sam-burn-rate.yaml (1 h and 5 min windows above 1.44 %,
// or 6 h and 30 min above 0.6 %, on the alias's error ratio) on
// Linear10PercentEvery1Minute at 5 req/s, the candidate failing 5 % more
// than the 0.1 % baseline. Alarms over a minute slide, so within the first
// hour each window holds every visible minute since the deployment began;
// the alias's ratio over the first 6 minutes is about 0.1 % + 5 % × mean
// weight 0.35 ≈ 1.85 % (≈ 33 errors of 1,800 invocations, 26 needed),
// so most runs roll back before the 10-minute deployment ends. With
// periods aligned to the deployment start no 1-hour (or 6-hour) period
// ever ended and the template detected nothing.
func TestBurnRateTemplateDetects(t *testing.T) {
	f, err := manifest.ReadFile("manifest/testdata/sam-burn-rate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := f.Deployables[0]
	sc := deploysim.DefaultScenario()
	sc.Strategy = d.Strategy
	sc = d.Apply(sc)
	sc.Fault = sim.Fault{ErrorProb: 0.05}
	sum, err := deploysim.Estimate(context.Background(), sc, 100, deploysim.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	det := sum.Rate(metrics.DetectionRate)
	t.Logf("detected %.3f [%.3f, %.3f], false rollbacks %.3f", det.Value, det.CILow, det.CIHigh, sum.Rate(metrics.FalseRollbackRate).Value)
	if det.Value <= 0.5 {
		t.Errorf("detection rate %.3f, want most runs detected", det.Value)
	}
}
