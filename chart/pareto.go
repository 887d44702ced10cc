package chart

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deploysim/deploysim/metrics"
)

// Point is one strategy on the Pareto chart: its mean of two figures, in
// the figures' own units (seconds, fractions).
type Point struct {
	Label string
	X, Y  float64
}

// Front returns the points no other beats on both figures, sorted by x from
// best to worst then by y, with metrics.Pareto's rules: every figure is
// minimised except those where higher is better (DetectionRate), and equal
// points do not dominate each other. Unlike metrics.Pareto it takes points,
// so x and y may come from two tables (a bad scenario and its healthy twin).
func Front(ps []Point, x, y metrics.Figure) []Point {
	better := func(f metrics.Figure, a, b float64) bool {
		if f.HigherIsBetter() {
			return a > b
		}
		return a < b
	}
	dominates := func(a, b Point) bool {
		return !better(x, b.X, a.X) && !better(y, b.Y, a.Y) && (better(x, a.X, b.X) || better(y, a.Y, b.Y))
	}
	var front []Point
	for _, p := range ps {
		ok := true
		for _, q := range ps {
			if dominates(q, p) {
				ok = false
				break
			}
		}
		if ok {
			front = append(front, p)
		}
	}
	sort.SliceStable(front, func(i, j int) bool {
		a, b := front[i], front[j]
		if a.X != b.X {
			return better(x, a.X, b.X)
		}
		return better(y, a.Y, b.Y)
	})
	return front
}

// PointsOf reads every row's mean x and y (Summary.Value), x from xt's row
// and y from yt's (pass the same table twice unless one figure comes from
// a healthy twin), leaving out rows where either is NaN or has no Summary.
// Nil when either table is nil.
func PointsOf(xt, yt *metrics.Table, x, y metrics.Figure) []Point {
	if xt == nil || yt == nil {
		return nil
	}
	var ps []Point
	for i, r := range xt.Rows {
		if i >= len(yt.Rows) {
			break
		}
		if r.Summary == nil || yt.Rows[i].Summary == nil {
			continue
		}
		vx, vy := r.Summary.Value(x), yt.Rows[i].Summary.Value(y)
		if math.IsNaN(vx) || math.IsNaN(vy) {
			continue
		}
		ps = append(ps, Point{r.Label, vx, vy})
	}
	return ps
}

// Pareto draws every point's y against its x, in the figures' words and
// units, joins the Pareto front, and labels each point with its strategy
// (points at the same place share a label) where the label overlaps no other
// label and no point. The y axis is logarithmic when blast radii span more
// than a factor of 20.
func Pareto(ps []Point, x, y metrics.Figure) (*plot.Plot, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("chart: Pareto of %s against %s: no point", y, x)
	}
	qx, qy := QuantityOf(x), QuantityOf(y)
	p := newPlot()
	p.Title.Text = fmt.Sprintf("Trade-off: %s against %s", qy.Title, qx.Title)
	p.X.Label.Text = qx.Title
	p.Y.Label.Text = qy.Title
	p.X.Tick.Marker = Ticks{}
	p.Y.Tick.Marker = Ticks{}
	// Points at the same place are one point with a joined label.
	var merged []Point
	for _, q := range ps {
		q.X, q.Y = q.X*qx.Scale, q.Y*qy.Scale
		found := false
		for i := range merged {
			if merged[i].X == q.X && merged[i].Y == q.Y {
				merged[i].Label += ",\n" + q.Label
				found = true
				break
			}
		}
		if !found {
			merged = append(merged, q)
		}
	}
	sort.SliceStable(merged, func(i, j int) bool {
		if merged[i].X != merged[j].X {
			return merged[i].X < merged[j].X
		}
		return merged[i].Y < merged[j].Y
	})
	lo, hi := math.Inf(1), math.Inf(-1)
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, q := range merged {
		lo, hi = min(lo, q.Y), max(hi, q.Y)
		xlo, xhi = min(xlo, q.X), max(xhi, q.X)
	}
	logY := UseLogAxis(lo, hi)
	ty := func(v float64) float64 {
		if logY {
			return Log1p(v)
		}
		return v
	}
	all := make(plotter.XYs, len(merged))
	for i, q := range merged {
		all[i] = plotter.XY{X: q.X, Y: ty(q.Y)}
	}
	sc, err := plotter.NewScatter(all)
	if err != nil {
		return nil, err
	}
	sc.Color = color.Gray{Y: 90}
	sc.Radius = vg.Points(3)
	p.Add(sc)
	p.Legend.Add("strategy (mean over runs)", sc)
	var fp plotter.XYs
	for _, q := range Front(ps, x, y) {
		fp = append(fp, plotter.XY{X: q.X * qx.Scale, Y: ty(q.Y * qy.Scale)})
	}
	l, s, err := plotter.NewLinePoints(fp)
	if err != nil {
		return nil, err
	}
	l.Color = color.RGBA{R: 200, A: 255}
	s.Color = l.Color
	s.Radius = vg.Points(3)
	p.Add(l, s)
	p.Legend.Add("Pareto front (no other is better on both)", l, s)
	lb := &PlacedLabels{XYs: all, Labels: PointLabels(merged), TextStyle: p.Legend.TextStyle}
	lb.TextStyle.Font.Size = vg.Points(9)
	p.Add(lb)
	if numbered(merged) {
		for i, q := range merged {
			p.Legend.Add(fmt.Sprintf("%s  %s", lb.Labels[i], strings.ReplaceAll(q.Label, ",\n", ", ")))
		}
	}
	pad := (xhi - xlo) * 0.15
	if pad == 0 {
		pad = math.Max(1, math.Abs(xhi)*0.15)
	}
	p.X.Min, p.X.Max = xlo-pad, xhi+pad
	if p.X.Min < 0 && xlo >= 0 {
		p.X.Min = 0
	}
	if logY {
		p.Y.Tick.Marker = Log1pTicks{}
		p.Y.Label.Text += " (log scale)"
		p.Y.Min, p.Y.Max = Log1p(max(0, lo/2)), Log1p(hi*2)
	} else {
		ypad := (hi - lo) * 0.15
		if ypad == 0 {
			ypad = math.Max(1, math.Abs(hi)*0.15)
		}
		p.Y.Min, p.Y.Max = max(0, lo-ypad), hi+ypad
	}
	return p, nil
}

// PlacedLabels is a plotter of point labels that places each label beside
// its point where it overlaps no label placed before it and no point of
// XYs (PlaceLabels), so that close strategies stay readable.
type PlacedLabels struct {
	XYs       plotter.XYs
	Labels    []string
	TextStyle text.Style
}

// Plot implements plot.Plotter.
func (l *PlacedLabels) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	anchors := make([]vg.Point, len(l.XYs))
	sizes := make([]vg.Point, len(l.XYs))
	for i, xy := range l.XYs {
		anchors[i] = vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
		r := l.TextStyle.Rectangle(l.Labels[i])
		sizes[i] = r.Size()
	}
	boxes := PlaceLabels(anchors, sizes, c.Rectangle, vg.Points(5))
	sty := l.TextStyle
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	lead := draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.5)}
	for i, b := range boxes {
		// A label set away from its point gets a leader line.
		if e := nearestOn(b, anchors[i]); dist(e, anchors[i]) > vg.Points(7) {
			e := nearestOn(b, anchors[i])
			c.StrokeLine2(lead, anchors[i].X, anchors[i].Y, e.X, e.Y)
		}
		c.FillText(sty, b.Min, l.Labels[i])
	}
}

func dist(a, b vg.Point) vg.Length {
	return vg.Length(math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)))
}

func nearestOn(r vg.Rectangle, p vg.Point) vg.Point {
	return vg.Point{X: min(max(p.X, r.Min.X), r.Max.X), Y: min(max(p.Y, r.Min.Y), r.Max.Y)}
}

// PlaceLabels chooses a box of size sizes[i] for the label of each anchor,
// in order: the first of eight positions around the anchor (right, left,
// above, below, then the diagonals), at gap, then at 2, 3, … 8 times the
// distance, that stays inside bounds and overlaps no box placed before it
// and no anchor's marker (a square of side gap). When none is free, the
// candidate with the least overlap is used. The result does not depend on
// the drawing backend, so tests check the layout directly. An anchor without
// a size (sizes shorter than anchors) gets an empty box at its anchor.
func PlaceLabels(anchors, sizes []vg.Point, bounds vg.Rectangle, gap vg.Length) []vg.Rectangle {
	out := make([]vg.Rectangle, len(anchors))
	// Products (and halvings) are converted where they meet a sum, so that
	// arm64 fuses none into a multiply-add: the same layout on every GOARCH.
	half := vg.Length(gap / 2)
	marker := func(a vg.Point) vg.Rectangle {
		return vg.Rectangle{Min: vg.Point{X: a.X - half, Y: a.Y - half}, Max: vg.Point{X: a.X + half, Y: a.Y + half}}
	}
	for i, a := range anchors {
		if i >= len(sizes) {
			out[i] = vg.Rectangle{Min: a, Max: a}
			continue
		}
		w, h := sizes[i].X, sizes[i].Y
		w2, h2 := vg.Length(w/2), vg.Length(h/2)
		best, bestCost := vg.Rectangle{}, math.Inf(1)
		for ring := 1; ring <= 8 && bestCost > 0; ring++ {
			d := vg.Length(gap * vg.Length(ring))
			cands := []vg.Point{ // lower-left corners
				{X: a.X + d, Y: a.Y - h2},
				{X: a.X - d - w, Y: a.Y - h2},
				{X: a.X - w2, Y: a.Y + d},
				{X: a.X - w2, Y: a.Y - d - h},
				{X: a.X + d, Y: a.Y + d},
				{X: a.X - d - w, Y: a.Y + d},
				{X: a.X + d, Y: a.Y - d - h},
				{X: a.X - d - w, Y: a.Y - d - h},
			}
			for _, ll := range cands {
				r := vg.Rectangle{Min: ll, Max: vg.Point{X: ll.X + w, Y: ll.Y + h}}
				cost := float64(outside(r, bounds) * 10)
				for j := 0; j < i; j++ {
					cost += overlap(r, out[j])
				}
				for _, b := range anchors {
					cost += overlap(r, marker(b))
				}
				cost += float64(float64(ring) * 1e-9) // nearer wins a tie
				if cost < bestCost {
					best, bestCost = r, cost
				}
				if cost < 1e-6 {
					break
				}
			}
			if bestCost < 1e-6 {
				break
			}
		}
		out[i] = best
	}
	return out
}

// overlap is the area two rectangles share.
func overlap(a, b vg.Rectangle) float64 {
	w := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
	h := min(a.Max.Y, b.Max.Y) - max(a.Min.Y, b.Min.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return float64(w * h)
}

// outside is the area of a that lies outside bounds.
func outside(a, bounds vg.Rectangle) float64 {
	return float64((a.Max.X-a.Min.X)*(a.Max.Y-a.Min.Y)) - overlap(a, bounds)
}

// MaxNamedPoints is the most points a Pareto chart labels with their names;
// beyond it, names crowd each other out (nine presets within 30 minutes
// leave 25 points between points for 120-point names), so points are
// numbered from left to right and the legend maps each number to its name.
const MaxNamedPoints = 4

func numbered(ps []Point) bool { return len(ps) > MaxNamedPoints }

// PointLabels is the text drawn beside each point: its name, or its number
// (1, 2, …) when there are more than MaxNamedPoints.
func PointLabels(ps []Point) []string {
	out := make([]string, len(ps))
	for i, q := range ps {
		if numbered(ps) {
			out[i] = fmt.Sprint(i + 1)
		} else {
			out[i] = q.Label
		}
	}
	return out
}
