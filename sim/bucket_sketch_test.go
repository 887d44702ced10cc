package sim

import (
	"testing"

	"github.com/deploysim/deploysim/metrics"
)

// sketchDraw.add records each bucket through AddN at a tabulated value
// rather than AddBucket: the sketches must come out identical, value for
// value (count, sum, min, max and every quantile), over every bucket a
// duration can fall in.
func TestSketchDrawAddIsAddBucket(t *testing.T) {
	var d sketchDraw
	d.reset()
	var got, want metrics.Sketch
	for j := d.base; j < d.base+len(d.counts); j++ {
		d.reset()
		d.set(j, 3)
		d.add(&got, maxLatencyMs*2)
		want.AddBucket(j, 3)
	}
	if got.Count() != want.Count() || got.Sum() != want.Sum() || got.Min() != want.Min() || got.Max() != want.Max() {
		t.Fatalf("count %v sum %v min %v max %v, want %v %v %v %v", got.Count(), got.Sum(), got.Min(), got.Max(),
			want.Count(), want.Sum(), want.Min(), want.Max())
	}
	for _, q := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
		if got.Quantile(q) != want.Quantile(q) {
			t.Errorf("quantile %v = %v, want %v", q, got.Quantile(q), want.Quantile(q))
		}
	}
}
