package chart

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/deploysim/deploysim/metrics"
)

// ECDF is the empirical distribution function of figure f over the runs of
// s, as a staircase in the chart's units: x in f's Quantity, y the percent
// of runs with at most x. It reads the summary's quantiles (nearest rank),
// so it is exact when the summary keeps every value and within the
// sketch's relative error otherwise. Empty when no run has the figure or s
// is nil.
func ECDF(s *metrics.Summary, f metrics.Figure) plotter.XYs {
	if s == nil {
		return nil
	}
	n := s.Stats(f).N
	if n == 0 {
		return nil
	}
	scale := QuantityOf(f).Scale
	var pts plotter.XYs
	below := 0.0
	for k := int64(1); k <= n; k++ {
		v := s.Quantile(f, float64(k)/float64(n))
		if k < n && s.Quantile(f, float64(k+1)/float64(n)) == v {
			continue // v's step ends at its last rank
		}
		at := 100 * float64(k) / float64(n)
		pts = append(pts, plotter.XY{X: v * scale, Y: below}, plotter.XY{X: v * scale, Y: at})
		below = at
	}
	return pts
}

// Failures draws, per row of t, the distribution over runs of figure f
// (metrics.CandidateFailures for "how many requests a bad release fails").
// The x axis is logarithmic (Log1p, so 0 stays on it) whenever the
// values span more than a factor of 20: a canary's 60 failures and
// AllAtOnce's 36,000 are then both readable. Rows with identical
// distributions (canaries rolled back before their second step) share one
// curve and one legend entry.
func Failures(t *metrics.Table, f metrics.Figure) (*plot.Plot, error) {
	if t == nil {
		return nil, fmt.Errorf("chart: Failures of %s: the table is nil", f)
	}
	q := QuantityOf(f)
	p := newPlot()
	p.Title.Text = fmt.Sprintf("Distribution over runs: %s", q.Title)
	p.X.Label.Text = q.Title
	p.Y.Label.Text = "runs with at most x (%)"
	p.X.Tick.Marker = Ticks{}
	p.Y.Tick.Marker = Ticks{}
	var rows []metrics.Row
	for _, r := range t.Rows {
		if r.Summary != nil && r.Summary.Stats(f).N > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("chart: no row has a value of %s", f)
	}
	groups := groupSame(len(rows), func(i int) plotter.XYs { return ECDF(rows[i].Summary, f) }, func(i int) string { return rows[i].Label })
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		for _, pt := range g.pts {
			lo, hi = min(lo, pt.X), max(hi, pt.X)
		}
	}
	logAxis := UseLogAxis(lo, hi)
	for gi, g := range groups {
		pts := g.pts
		if logAxis {
			pts = make(plotter.XYs, len(g.pts))
			for i, pt := range g.pts {
				pts[i] = plotter.XY{X: Log1p(pt.X), Y: pt.Y}
			}
		}
		if err := addGroupLine(p, gi, pts, g.label); err != nil {
			return nil, err
		}
	}
	if logAxis {
		p.X.Tick.Marker = Log1pTicks{}
		p.X.Label.Text += " (log scale)"
		p.X.Min, p.X.Max = Log1p(max(0, lo/1.3)), Log1p(hi*1.3)
	}
	p.Y.Min, p.Y.Max = 0, 100
	return p, nil
}

// UseLogAxis reports whether values from lo to hi (>= 0) need a log axis:
// when the largest is more than 20 times the smallest non-zero one, a linear
// axis squeezes the small ones into its first twentieth.
func UseLogAxis(lo, hi float64) bool {
	if lo < 0 || hi <= 0 {
		return false
	}
	return hi > 20*max(lo, 1)
}
