package sim

import (
	"testing"

	"github.com/deploysim/deploysim/metrics"
)

// inflightInBucket, which takes the terms at bucket bounds from tables, is
// inflightIn bit for bit over every sketch bucket from 0.01 ms to the
// timeout, for arrival windows before, straddling and long before t, with
// and without a latency factor: the same floating-point operations on the
// same values.
func TestInflightInBucketIsInflightIn(t *testing.T) {
	s := BaseScenario()
	lat := s.Baseline.sampler(nil)
	for _, f := range []float64{1, 3} {
		l := newDurLaw(lat, f, 3000)
		l.initTab()
		for _, w := range [][3]float64{{0, 1000, 1500}, {0, 3000, 3000}, {100, 100.5, 300}, {0, 60000, 60100}, {1000, 2000, 2100}} {
			for j := metrics.BucketIndex(0.01); j <= metrics.BucketIndex(3000); j++ {
				x1, x2 := metrics.BucketUpper(j-1), metrics.BucketUpper(j)
				a, b := l.inflightIn(w[0], w[1], w[2], x1, x2), l.inflightInBucket(w[0], w[1], w[2], j, x1, x2)
				if a != b {
					t.Errorf("factor %g, window %v, bucket %d: %v from the tables, %v computed", f, w, j, b, a)
				}
			}
		}
	}
}
