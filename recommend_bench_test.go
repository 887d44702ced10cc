package deploysim

import (
	"context"
	"testing"
)

// BenchmarkRecommendDefault searches the default space (DefaultSpace,
// about 5,000 configurations) on the default scenario under a 5 %
// false-rollback limit and a 90 % detection floor, and reports what the
// search spent: configurations, runs (bad and healthy, Pareto top-ups
// included, the preset comparison not), and those runs as a percentage of
// an exhaustive grid at MaxRuns runs per configuration.
func BenchmarkRecommendDefault(b *testing.B) {
	sc, sp := DefaultScenario(), DefaultSpace()
	sp.NoPreset = true
	cons := Constraints{MaxFalseRollback: 0.05, MinDetection: 0.9}
	b.ReportAllocs()
	var rec Recommendation
	for b.Loop() {
		var err error
		if rec, err = Recommend(context.Background(), sc, sp, cons); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rec.Configurations), "configurations")
	b.ReportMetric(float64(rec.Runs), "runs")
	b.ReportMetric(100*float64(rec.Runs)/float64(rec.Exhaustive), "%exhaustive")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rec.Runs), "ns/run")
}
