package chart

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		v    float64
		dec  int
		want string
	}{
		{2500, 0, "2,500"}, {36686.4, 0, "36,686"}, {0.5, 1, "0.5"}, {-1234567.25, 2, "-1,234,567.25"},
		{999, 0, "999"}, {-0.0001, 2, "0.00"}, {100, 0, "100"},
	} {
		if got := FormatNumber(c.v, c.dec); got != c.want {
			t.Errorf("FormatNumber(%v, %d) = %q, want %q", c.v, c.dec, got, c.want)
		}
	}
}

// Tick labels carry the decimals their spacing needs: none for thousands
// (the old chart printed "2500.00"), one for halves, two for quarters.
func TestTicksDecimals(t *testing.T) {
	for _, c := range []struct {
		lo, hi  float64
		wantDec int
	}{
		{0, 36000, 0}, {0, 1, 1}, {0, 0.02, 3},
	} {
		for _, tk := range (Ticks{}).Ticks(c.lo, c.hi) {
			if tk.Label == "" {
				continue
			}
			_, frac, _ := strings.Cut(strings.ReplaceAll(tk.Label, ",", ""), ".")
			if len(frac) > c.wantDec {
				t.Errorf("range [%g, %g]: tick %q has %d decimals, want at most %d", c.lo, c.hi, tk.Label, len(frac), c.wantDec)
			}
			if c.hi >= 10000 && tk.Value >= 1000 && !strings.Contains(tk.Label, ",") {
				t.Errorf("range [%g, %g]: tick %q has no thousands separator", c.lo, c.hi, tk.Label)
			}
		}
	}
}

// The log(1+x) axis keeps 0, and labels its decades with the values.
func TestLog1pTicks(t *testing.T) {
	var labels []string
	for _, tk := range (Log1pTicks{}).Ticks(0, Log1p(36000)) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
			if v, _ := strconv.ParseFloat(strings.ReplaceAll(tk.Label, ",", ""), 64); math.Abs(Log1p(v)-tk.Value) > 1e-12 {
				t.Errorf("tick %q at coordinate %v, want Log1p(%v)", tk.Label, tk.Value, v)
			}
		}
	}
	if got := strings.Join(labels, " "); got != "0 1 10 100 1,000 10,000" {
		t.Errorf("major ticks on [0, 36000] = %q", got)
	}
}

func TestUseLogAxis(t *testing.T) {
	if !UseLogAxis(61, 36686) {
		t.Error("61 to 36,686 on a linear axis")
	}
	if UseLogAxis(61, 94) {
		t.Error("61 to 94 on a log axis")
	}
}

// A canary rolled back at 125 s: 10 % from 0, down to 0 at 125 s, nothing
// after; the plain schedule continues to its end.
func TestWeightPoints(t *testing.T) {
	s := strategy.LambdaCanary10Percent5Minutes.Schedule()
	got := WeightPoints(WeightLine{Schedule: s, WeightZero: 125 * time.Second}, 10*time.Minute)
	last := got[len(got)-1]
	if last.X != Minutes(125*time.Second) || last.Y != 0 {
		t.Errorf("rolled-back line ends at %v, want (2.083, 0)", last)
	}
	for _, p := range got {
		if p.Y > 10 {
			t.Errorf("rolled back at 125 s, yet weight %v%% at %v min", p.Y, p.X)
		}
	}
	plain := WeightPoints(WeightLine{Schedule: s}, 10*time.Minute)
	if e := plain[len(plain)-1]; e.X != 10 || e.Y != 100 {
		t.Errorf("plain schedule ends at %v, want (10, 100)", e)
	}
}

// Identical curves share a legend entry.
func TestGroupSame(t *testing.T) {
	lines := []WeightLine{
		{Label: "A", Schedule: strategy.LambdaCanary10Percent5Minutes.Schedule(), WeightZero: 2 * time.Minute},
		{Label: "B", Schedule: strategy.LambdaCanary10Percent10Minutes.Schedule(), WeightZero: 2 * time.Minute},
		{Label: "C", Schedule: strategy.AllAtOnce{}.Schedule()},
	}
	end := WeightEnd(lines)
	gs := groupSame(3, func(i int) plotter.XYs { return WeightPoints(lines[i], end) }, func(i int) string { return lines[i].Label })
	if len(gs) != 2 || gs[0].label != "A, B" || gs[1].label != "C" {
		t.Errorf("groups = %+v, want [A, B] [C]", gs)
	}
}

// Labels placed for points that crowd together overlap neither each other
// nor any point, and stay inside the data area.
func TestPlaceLabels(t *testing.T) {
	bounds := vg.Rectangle{Max: vg.Point{X: 500, Y: 300}}
	var anchors, sizes []vg.Point
	for i := 0; i < 9; i++ {
		anchors = append(anchors, vg.Point{X: 200 + vg.Length(i%3)*12, Y: 150 + vg.Length(i/3)*10})
		sizes = append(sizes, vg.Point{X: 110, Y: 9})
	}
	boxes := PlaceLabels(anchors, sizes, bounds, 5)
	for i, b := range boxes {
		if outside(b, bounds) > 0 {
			t.Errorf("label %d at %v leaves the data area", i, b)
		}
		for j := 0; j < i; j++ {
			if overlap(b, boxes[j]) > 0 {
				t.Errorf("labels %d and %d overlap: %v, %v", i, j, b, boxes[j])
			}
		}
		for j, a := range anchors {
			m := vg.Rectangle{Min: vg.Point{X: a.X - 2.5, Y: a.Y - 2.5}, Max: vg.Point{X: a.X + 2.5, Y: a.Y + 2.5}}
			if overlap(b, m) > 0 {
				t.Errorf("label %d covers point %d", i, j)
			}
		}
	}
}

func TestWrapTitle(t *testing.T) {
	p := plot.New()
	long := "Canary10Percent5Minutes, run 0: what the alarm saw, with a title long enough to be clipped at this width"
	w := vg.Length(200)
	got := WrapTitle(p.Title.TextStyle, long, w)
	if !strings.Contains(got, "\n") {
		t.Fatalf("not wrapped: %q", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if p.Title.TextStyle.Width(line) > w {
			t.Errorf("line %q is wider than %v", line, w)
		}
	}
	if strings.Join(strings.Fields(got), " ") != long {
		t.Errorf("wrapping changed the words: %q", got)
	}
}

// compareTable is a small comparison on the default scenario at 100 req/s
// with a 5 % bug.
func compareTable(t *testing.T, names ...string) metrics.Table {
	t.Helper()
	var ss []strategy.Strategy
	for _, n := range names {
		s, err := strategy.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	// The busy regime (100 req/s, +5 %): every watched canary is rolled
	// back at its first look, before its second step.
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 100}
	sc.Fault = sim.Fault{ErrorProb: 0.05}
	tab, err := deploysim.Compare(context.Background(), sc, ss, 40)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// The failures chart of the default comparison: AllAtOnce's ~36,000 and a
// canary's ~60 need the log axis; the canaries rolled back before their
// second step have the same distribution and share one curve; each curve
// ends at 100 % of runs.
func TestFailuresChart(t *testing.T) {
	tab := compareTable(t, "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Linear10PercentEvery1Minute", "AllAtOnce")
	p, err := Failures(&tab, metrics.CandidateFailures)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.X.Tick.Marker.(Log1pTicks); !ok {
		t.Errorf("x ticks %T, want Log1pTicks", p.X.Tick.Marker)
	}
	if strings.Contains(p.X.Label.Text, "_") {
		t.Errorf("x axis title %q is a JSON key, not words", p.X.Label.Text)
	}
	gs := groupSame(len(tab.Rows), func(i int) plotter.XYs { return ECDF(tab.Rows[i].Summary, metrics.CandidateFailures) }, func(i int) string { return tab.Rows[i].Label })
	if len(gs) != 3 || gs[0].label != "Canary10Percent5Minutes, Canary10Percent10Minutes" {
		t.Errorf("curves: %d, first %q; want 3, the two canaries together", len(gs), gs[0].label)
	}
	for _, g := range gs {
		if y := g.pts[len(g.pts)-1].Y; y != 100 {
			t.Errorf("%s: distribution ends at %v %%, want 100", g.label, y)
		}
	}
	// The median of the curve is the summary's median.
	all := ECDF(tab.Rows[3].Summary, metrics.CandidateFailures)
	med := tab.Rows[3].Summary.Quantile(metrics.CandidateFailures, 0.5)
	found := false
	for _, pt := range all {
		if pt.X == med && pt.Y >= 50 {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("AllAtOnce's ECDF does not reach 50 %% at its median %v", med)
	}
}

// The alarm chart of a run at 0.2 req/s: most minutes have no candidate
// invocation and so no datapoint; they are gaps, not zeros.
func TestAlarmSegmentsGaps(t *testing.T) {
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 0.2}
	sc.Strategy = strategy.LambdaCanary10Percent30Minutes
	sc.KeepSeries = true
	sc.Horizon = 40 * time.Minute
	r, err := sim.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	a := deploysim.DefaultAlarm()
	v := AlarmRun{Label: "low traffic", Series: r.Series, Metric: a.Metric, Dimension: a.Dimension, Statistic: a.Statistic, Period: a.Period}
	segs := AlarmSegments(v)
	if len(segs) < 2 {
		t.Fatalf("%d segments at 0.2 req/s with 10 %% weight: want gaps", len(segs))
	}
	var vs metrics.VersionStats
	covered := 0.0
	for _, s := range segs {
		covered += s[len(s)-1].X - s[0].X
	}
	withData := 0
	for j := range r.Series.Periods {
		vs.Reset()
		r.Series.Aggregate(metrics.Candidate, j, j+1, &vs)
		if _, ok := vs.Value(metrics.ErrorRate, a.Statistic); ok {
			withData++
		}
	}
	if covered != float64(withData) {
		t.Errorf("segments cover %v minutes, the series has %d minutes with a datapoint", covered, withData)
	}
	if p, err := Alarm(v); err != nil || !strings.Contains(p.Title.Text, "no alarm") {
		t.Errorf("a run with no threshold is titled %q (%v): it must not claim an alarm", p.Title.Text, err)
	}
	if q := MetricQuantity(a.Metric, a.Statistic, a.Dimension, a.Period); q.Scale != 100 || !strings.Contains(q.Title, "%") {
		t.Errorf("error rate axis %+v: want percent", q)
	}
}

// In every figure the legend is beside the data area, not on it.
func TestFigureLegendOutside(t *testing.T) {
	tab := compareTable(t, "Canary10Percent5Minutes", "AllAtOnce")
	p, err := Failures(&tab, metrics.CandidateFailures)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFigure(p)
	c := draw.New(vgimg.New(DefaultWidth, DefaultHeight))
	for i, l := range f.Layout(c) {
		if l.Legend.Size().X == 0 {
			t.Errorf("panel %d: no legend", i)
		}
		if overlap(l.Data, l.Legend) > 0 {
			t.Errorf("panel %d: legend %v overlaps data %v", i, l.Legend, l.Data)
		}
	}
}

// TestRender writes every chart as PNG to $CHART_OUT (or a temporary
// folder) for a person to look at; it checks that each renders.
func TestRender(t *testing.T) {
	dir := os.Getenv("CHART_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	names := []string{"Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes", "AllAtOnce"}
	tab := compareTable(t, names...)
	var ss []strategy.Strategy
	for _, n := range names {
		s, _ := strategy.Parse(n)
		ss = append(ss, s)
	}
	sched, err := Schedules(ss)
	if err != nil {
		t.Fatal(err)
	}
	fail, err := Failures(&tab, metrics.CandidateFailures)
	if err != nil {
		t.Fatal(err)
	}
	par, err := Pareto(PointsOf(&tab, &tab, metrics.DeployDuration, metrics.CandidateFailures), metrics.DeployDuration, metrics.CandidateFailures)
	if err != nil {
		t.Fatal(err)
	}
	sc := deploysim.DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 10}
	sc.Strategy = strategy.LambdaCanary10Percent5Minutes
	sc.KeepSeries = true
	sc.Horizon = 10 * time.Minute
	r, err := sim.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	a := deploysim.DefaultAlarm()
	al, err := AlarmFigure(AlarmRun{Label: "Canary10Percent5Minutes at 10 req/s, run 0", Series: r.Series, Metric: a.Metric, Dimension: a.Dimension, Statistic: a.Statistic, Period: a.Period,
		HasThreshold: true, Threshold: a.Threshold, Comparison: a.Comparison.Symbol(), Detected: r.Detected, WeightZero: r.WeightZero, Schedule: sc.Strategy.Schedule()})
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*Figure{"schedule": NewFigure(sched), "failures": NewFigure(fail), "pareto": NewFigure(par), "alarm": al} {
		if err := f.Save(filepath.Join(dir, name+".png")); err != nil {
			t.Error(err)
		}
		if b, err := f.SVG(); err != nil || !strings.HasPrefix(string(b), "<svg") || !strings.Contains(string(b), "'Times New Roman'") {
			t.Errorf("%s: SVG starts %q, %v (want <svg, with Times New Roman as the font's fallback)", name, string(b[:min(len(b), 20)]), err)
		}
	}
}

// A chart of runs all rolled back in the first minutes ends a little after
// the last rollback, not at the end of the longest schedule they never ran.
func TestWeightEndRolledBack(t *testing.T) {
	lines := []WeightLine{
		{Schedule: strategy.LambdaLinear10PercentEvery10Minutes.Schedule(), WeightZero: 125 * time.Second},
		{Schedule: strategy.AllAtOnce{}.Schedule()},
	}
	if got, want := WeightEnd(lines), 125*time.Second+125*time.Second/10; got != want {
		t.Errorf("WeightEnd = %v, want %v", got, want)
	}
}

func TestLog10Ticks(t *testing.T) {
	var labels []string
	for _, tk := range (Log10Ticks{}).Ticks(Log10(0.01), Log10(10)) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.01 0.1 1 10" {
		t.Errorf("major ticks on [0.01, 10] = %q", got)
	}
}

// Arguments a caller can get wrong are errors, not panics: a PNG at a DPI
// below 1 (vgimg panics on it) and a nil strategy among the schedules (as
// deploysim.Compare refuses one).
func TestBadArgumentsAreErrors(t *testing.T) {
	p, err := Schedules([]strategy.Strategy{strategy.AllAtOnce{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{0, -96} {
		if _, err := NewFigure(p).PNG(dpi); err == nil || !strings.Contains(err.Error(), "dpi") {
			t.Errorf("PNG(%d): %v, want an error naming dpi", dpi, err)
		}
	}
	if _, err := Schedules([]strategy.Strategy{strategy.AllAtOnce{}, nil}); err == nil || !strings.Contains(err.Error(), "strategies[1]") {
		t.Errorf("Schedules with a nil strategy: %v, want an error naming strategies[1]", err)
	}
}
