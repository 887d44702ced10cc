package strategy

import (
	"testing"
	"time"
)

// BenchmarkWeightAt looks up a 100-step linear schedule, as a per-request
// router would; it must not allocate.
func BenchmarkWeightAt(b *testing.B) {
	s := Linear{Percent: 1, Interval: time.Minute}.Schedule()
	b.ReportAllocs()
	var sum float64
	for i := 0; b.Loop(); i++ {
		sum += s.WeightAt(time.Duration(i%6000) * time.Second)
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}

// BenchmarkParse reads a preset name and builds its schedule, as a sweep
// does once per strategy (not per event).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse("Linear10PercentEvery1Minute")
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Schedule()
	}
}

// TestWeightAtAllocs: the simulator may look weights up per request.
func TestWeightAtAllocs(t *testing.T) {
	s := LambdaLinear10PercentEvery10Minutes.Schedule()
	w := 0.0
	if n := testing.AllocsPerRun(100, func() { w = s.WeightAt(45 * time.Minute) }); n != 0 {
		t.Errorf("WeightAt allocates %v times per call", n)
	}
	if w != 0.5 { // 50 % from 40m to 50m (reference aws.md: +10 % every 10 min from 0)
		t.Errorf("WeightAt(45m) = %v, want 0.5", w)
	}
}
