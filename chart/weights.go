package chart

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// WeightLine is one curve of the weights chart: a schedule, cut at the
// instant a rollback put the weight back at 0 (metrics.Never, or 0 for a
// plain schedule, when it was not rolled back).
type WeightLine struct {
	Label      string
	Schedule   strategy.Schedule
	WeightZero time.Duration
}

// Minutes converts simulated time to the charts' time unit.
func Minutes(d time.Duration) float64 { return d.Minutes() }

// rolledBack reports whether l ends with a rollback.
func (l WeightLine) rolledBack() bool { return l.WeightZero > 0 && l.WeightZero != metrics.Never }

// WeightPoints is the step function of l's weight in percent against
// minutes, from 0 to end: vertical at each step, and down to 0 at
// WeightZero when the line was rolled back (nothing after it).
func WeightPoints(l WeightLine, end time.Duration) plotter.XYs {
	stop := end
	if l.rolledBack() && l.WeightZero < end {
		stop = l.WeightZero
	}
	pts := plotter.XYs{{X: 0, Y: 0}}
	w := 0.0
	for _, st := range l.Schedule {
		if st.At > stop {
			break
		}
		pts = append(pts, plotter.XY{X: Minutes(st.At), Y: 100 * w}, plotter.XY{X: Minutes(st.At), Y: 100 * st.Weight})
		w = st.Weight
	}
	pts = append(pts, plotter.XY{X: Minutes(stop), Y: 100 * w})
	if stop != end || l.rolledBack() {
		pts = append(pts, plotter.XY{X: Minutes(stop), Y: 0})
	}
	return pts
}

// WeightEnd is where a weights chart of lines ends: a tenth after the last
// instant anything happens (the last step of a line not rolled back, or a
// rollback), at least a minute.
func WeightEnd(lines []WeightLine) time.Duration {
	end := time.Minute
	for _, l := range lines {
		if l.rolledBack() {
			end = max(end, l.WeightZero) // what comes after is not drawn
		} else {
			end = max(end, l.Schedule.Duration())
		}
	}
	return end + end/10
}

// addGroupLine draws the gi-th group's line in the style every chart with
// one line per strategy shares (Weights, Failures): its color, dashes after
// the tenth, 1.5 pt, and its legend entry.
func addGroupLine(p *plot.Plot, gi int, pts plotter.XYs, label string) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = Color(gi)
	l.Dashes = plotutil.Dashes(gi / 10)
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(wrapLabel(label, 52), l)
	return nil
}

// Weights draws each line's weight over time; a rolled-back line drops to 0
// at its rollback, marked with a cross. Lines with the same points share
// one legend entry, their labels joined. No line is an error: the chart
// would be empty axes.
func Weights(lines []WeightLine) (*plot.Plot, error) {
	if len(lines) == 0 {
		return nil, fmt.Errorf("chart: Weights: no line to draw")
	}
	p := newPlot()
	p.Title.Text = "Candidate's share of traffic over time"
	p.X.Label.Text = "minutes since traffic shifting started"
	p.Y.Label.Text = "candidate weight (%)"
	p.X.Tick.Marker = Ticks{}
	p.Y.Tick.Marker = Ticks{}
	end := WeightEnd(lines)
	groups := groupSame(len(lines), func(i int) plotter.XYs { return WeightPoints(lines[i], end) }, func(i int) string { return lines[i].Label })
	var marks plotter.XYs
	for gi, g := range groups {
		if err := addGroupLine(p, gi, g.pts, g.label); err != nil {
			return nil, err
		}
		if ln := lines[g.first]; ln.rolledBack() {
			marks = append(marks, plotter.XY{X: Minutes(ln.WeightZero), Y: 0})
		}
	}
	if len(marks) > 0 {
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{R: 200, A: 255}, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(sc)
		p.Legend.Add("weight back at 0 (rollback)", sc)
	}
	p.X.Min, p.X.Max = 0, Minutes(end)
	p.Y.Min, p.Y.Max = 0, 105
	return p, nil
}

// Schedules is Weights of each strategy's own schedule (an error for no
// strategy or a nil one).
func Schedules(ss []strategy.Strategy) (*plot.Plot, error) {
	lines := make([]WeightLine, len(ss))
	for i, s := range ss {
		if s == nil {
			return nil, fmt.Errorf("chart: Schedules strategies[%d] = nil: must be a strategy", i)
		}
		lines[i] = WeightLine{Label: s.Name(), Schedule: s.Schedule()}
	}
	return Weights(lines)
}

// group is a set of curves with identical points.
type group struct {
	label string
	first int
	pts   plotter.XYs
}

// groupSame groups the n curves by identical points, in order of first
// appearance, joining the labels of a group with ", ".
func groupSame(n int, pts func(int) plotter.XYs, label func(int) string) []group {
	var gs []group
	for i := 0; i < n; i++ {
		p := pts(i)
		found := false
		for j := range gs {
			if sameXYs(gs[j].pts, p) {
				gs[j].label += ", " + label(i)
				found = true
				break
			}
		}
		if !found {
			gs = append(gs, group{label: label(i), first: i, pts: p})
		}
	}
	return gs
}

func sameXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wrapLabel breaks a joined legend label ("A, B, C") into lines of at most
// n characters so that a legend of many identical strategies stays narrow.
func wrapLabel(s string, n int) string {
	if len(s) <= n {
		return s
	}
	out, line := "", ""
	for _, part := range strings.SplitAfter(s, ", ") {
		if line != "" && len(line)+len(part) > n {
			out += line + "\n"
			line = ""
		}
		line += part
	}
	return out + line
}
