package chart

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// AlarmRun is one simulated deployment seen the way an alarm sees it: the
// metric, dimension, statistic and period it watches, its threshold, the
// run's per-period series (sim.Scenario.KeepSeries) and its instants.
type AlarmRun struct {
	Label     string // the run, e.g. "Canary10Percent5Minutes, run 0"
	Series    *metrics.Series
	Metric    metrics.Metric
	Dimension metrics.Dimension
	Statistic metrics.Statistic
	Period    time.Duration // a multiple of Series.Resolution; 0 means Series.Resolution
	// HasThreshold draws Threshold, compared with Comparison (">=" …).
	HasThreshold bool
	Threshold    float64
	Comparison   string
	// Detected and WeightZero are the run's rollback decision and the
	// weight back at 0 (metrics.Never when they did not happen).
	Detected, WeightZero time.Duration
	// Schedule is the strategy's schedule, for the weight panel.
	Schedule strategy.Schedule
}

func (v *AlarmRun) period() time.Duration {
	if v.Period <= 0 && v.Series != nil {
		return v.Series.Resolution
	}
	return v.Period
}

// MetricQuantity is the axis of a metric as an alarm reads it: the words,
// the unit and the scale (ErrorRate, a fraction, is shown in percent).
func MetricQuantity(m metrics.Metric, st metrics.Statistic, d metrics.Dimension, period time.Duration) Quantity {
	per := fmt.Sprintf("per %s period", periodWords(period))
	who := d.String()
	if d == metrics.Alias {
		who = "all"
	}
	stat := st.String()
	switch m {
	case metrics.ErrorRate:
		return Quantity{fmt.Sprintf("%s error rate (%% of its invocations), %s", who, per), 100}
	case metrics.Errors:
		if st.Kind == metrics.Sum {
			return Quantity{fmt.Sprintf("%s failed invocations, %s", who, per), 1}
		}
		if st.Kind == metrics.Average {
			return Quantity{fmt.Sprintf("%s error rate (%% of invocations), %s", who, per), 100}
		}
	case metrics.Invocations:
		if st.Kind == metrics.Sum || st.Kind == metrics.SampleCount {
			return Quantity{fmt.Sprintf("%s invocations, %s", who, per), 1}
		}
	case metrics.Throttles:
		if st.Kind == metrics.Sum || st.Kind == metrics.SampleCount {
			return Quantity{fmt.Sprintf("%s throttled invocations, %s", who, per), 1}
		}
	case metrics.Duration:
		return Quantity{fmt.Sprintf("%s duration %s (ms), %s", who, stat, per), 1}
	case metrics.ConcurrentExecutions:
		return Quantity{fmt.Sprintf("%s concurrent executions (%s), %s", who, stat, per), 1}
	}
	return Quantity{fmt.Sprintf("%s %s %s, %s", who, m, stat, per), 1}
}

func periodWords(d time.Duration) string {
	switch {
	case d%time.Minute == 0 && d > 0:
		return fmt.Sprintf("%d-minute", int(d/time.Minute))
	default:
		return fmt.Sprintf("%g-second", d.Seconds())
	}
}

// AlarmSegments is what the alarm sees, period by period, in the metric
// panel's units: each period with a datapoint is a horizontal step from its
// start to its end (minutes), consecutive periods join, and a period with no
// datapoint (no invocation on the dimension) ends the segment: a gap, not a
// zero.
func AlarmSegments(v AlarmRun) []plotter.XYs {
	if v.Series == nil || v.Series.Resolution <= 0 {
		return nil
	}
	q := MetricQuantity(v.Metric, v.Statistic, v.Dimension, v.period())
	step := max(1, int(v.period()/v.Series.Resolution))
	var segs []plotter.XYs
	var cur plotter.XYs
	var vs metrics.VersionStats
	for j := 0; j < len(v.Series.Periods); j += step {
		vs.Reset()
		v.Series.Aggregate(v.Dimension, j, min(j+step, len(v.Series.Periods)), &vs)
		y, ok := vs.Value(v.Metric, v.Statistic)
		if !ok {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		at := time.Duration(j) * v.Series.Resolution
		cur = append(cur, plotter.XY{X: Minutes(at), Y: y * q.Scale}, plotter.XY{X: Minutes(at + v.period()), Y: y * q.Scale})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

var (
	detectColor = color.RGBA{R: 230, G: 120, A: 255}
	zeroColor   = color.RGBA{G: 120, A: 255}
	threshColor = color.RGBA{R: 200, A: 255}
)

// seriesEnd is the end of the series in simulated time.
func (v *AlarmRun) seriesEnd() time.Duration {
	if v.Series == nil {
		return 0
	}
	return time.Duration(len(v.Series.Periods)) * v.Series.Resolution
}

// addInstants draws the rollback decision and the weight back at 0 as
// vertical lines from 0 to top.
func addInstants(p *plot.Plot, v AlarmRun, top float64, legend bool) error {
	for _, m := range []struct {
		at    time.Duration
		label string
		col   color.Color
	}{
		{v.Detected, "rollback decided", detectColor},
		{v.WeightZero, "weight back at 0", zeroColor},
	} {
		if m.at == metrics.Never || m.at < 0 {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: Minutes(m.at), Y: 0}, {X: Minutes(m.at), Y: top}})
		if err != nil {
			return err
		}
		l.Color = m.col
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
		if legend {
			p.Legend.Add(fmt.Sprintf("%s (%v)", m.label, m.at), l)
		}
	}
	return nil
}

// Alarm draws what the alarm saw in run v, period by period, with its
// threshold and the run's rollback instants. The y axis says what is
// plotted in words and units (an error rate in percent, not "ErrorRate
// Sum"); the threshold is in the same units.
func Alarm(v AlarmRun) (*plot.Plot, error) {
	if v.Series == nil || len(v.Series.Periods) == 0 {
		return nil, fmt.Errorf("chart: Alarm of run %q: AlarmRun.Series has no metric period (set sim.Scenario.KeepSeries)", v.Label)
	}
	q := MetricQuantity(v.Metric, v.Statistic, v.Dimension, v.period())
	p := newPlot()
	p.Title.Text = fmt.Sprintf("%s: what the alarm saw", v.Label)
	if !v.HasThreshold {
		p.Title.Text = fmt.Sprintf("%s, period by period (no alarm)", v.Label)
	}
	p.X.Label.Text = "minutes since traffic shifting started"
	p.Y.Label.Text = q.Title
	p.X.Tick.Marker = Ticks{}
	p.Y.Tick.Marker = Ticks{}
	segs := AlarmSegments(v)
	ymax := 0.0
	for i, s := range segs {
		l, err := plotter.NewLine(s)
		if err != nil {
			return nil, err
		}
		l.Color = Color(0)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if i == 0 {
			p.Legend.Add(v.Dimension.String()+" datapoints", l)
		}
		for _, pt := range s {
			ymax = max(ymax, pt.Y)
		}
	}
	if len(segs) == 0 {
		p.Title.Text += " (no datapoint: no invocation on this dimension)"
	}
	end := Minutes(max(v.seriesEnd(), time.Minute))
	if v.HasThreshold {
		th := v.Threshold * q.Scale
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: th}, {X: end, Y: th}})
		if err != nil {
			return nil, err
		}
		l.Color = threshColor
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		unit := ""
		if q.Scale == 100 {
			unit = " %"
		}
		p.Legend.Add(fmt.Sprintf("alarm threshold %s %s%s", v.Comparison, FormatNumber(th, Decimals([]float64{th})), unit), l)
		ymax = max(ymax, th)
	}
	if ymax == 0 {
		ymax = 1
	}
	top := ymax * 1.1
	if err := addInstants(p, v, top, true); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = 0, top
	return p, nil
}

// RunWeight draws the weight of run v over the same minutes as Alarm: the
// schedule, cut to 0 at WeightZero, with the rollback instants.
func RunWeight(v AlarmRun) (*plot.Plot, error) {
	p := newPlot()
	p.X.Label.Text = "minutes since traffic shifting started"
	p.Y.Label.Text = "candidate weight (%)"
	p.X.Tick.Marker = Ticks{}
	p.Y.Tick.Marker = Ticks{}
	end := max(v.seriesEnd(), time.Minute)
	l, err := plotter.NewLine(WeightPoints(WeightLine{Schedule: v.Schedule, WeightZero: v.WeightZero}, end))
	if err != nil {
		return nil, err
	}
	l.Color = Color(1)
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add("candidate weight", l)
	if err := addInstants(p, v, 105, false); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max = 0, Minutes(end)
	p.Y.Min, p.Y.Max = 0, 105
	return p, nil
}

// AlarmFigure stacks Alarm over RunWeight: what the alarm saw and where
// the traffic was, on one time axis.
func AlarmFigure(v AlarmRun) (*Figure, error) {
	a, err := Alarm(v)
	if err != nil {
		return nil, err
	}
	w, err := RunWeight(v)
	if err != nil {
		return nil, err
	}
	a.X.Label.Text = "" // the weight panel below carries the time axis title
	return &Figure{Panels: []*plot.Plot{a, w}, Height: DefaultHeight * 6 / 5}, nil
}
