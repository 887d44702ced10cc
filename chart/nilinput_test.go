package chart

import (
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// noPanic runs f and fails the test if it panics: bad input is an error or
// a documented zero result, never a panic.
func noPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", name, r)
		}
	}()
	f()
}

// Nil, zero and empty inputs of the exported builders return an error that
// names what is missing, or the zero result their doc comments promise.
func TestNilAndEmptyInputs(t *testing.T) {
	errs := []struct {
		name string
		call func() error
		want string
	}{
		{"Failures(nil)", func() error { _, err := Failures(nil, metrics.CandidateFailures); return err }, "table is nil"},
		{"Failures(empty)", func() error { _, err := Failures(&metrics.Table{}, metrics.CandidateFailures); return err }, "no row has a value"},
		{"Pareto(nil)", func() error { _, err := Pareto(nil, metrics.DeployDuration, metrics.CandidateFailures); return err }, "no point"},
		{"Weights(nil)", func() error { _, err := Weights(nil); return err }, "no line"},
		{"Schedules(nil)", func() error { _, err := Schedules(nil); return err }, "no line"},
		{"Schedules([nil])", func() error { _, err := Schedules([]strategy.Strategy{nil}); return err }, "strategies[0] = nil"},
		{"Alarm(zero)", func() error { _, err := Alarm(AlarmRun{}); return err }, "AlarmRun.Series has no metric period"},
		{"AlarmFigure(zero)", func() error { _, err := AlarmFigure(AlarmRun{Label: "run 3"}); return err }, `run "run 3"`},
		{"nil Figure PNG", func() error { var f *Figure; _, err := f.PNG(96); return err }, "Figure is nil"},
		{"nil Figure SVG", func() error { var f *Figure; _, err := f.SVG(); return err }, "Figure is nil"},
		{"nil Figure WriterTo", func() error { var f *Figure; _, err := f.WriterTo("png"); return err }, "Figure is nil"},
		{"nil Figure Save", func() error {
			var f *Figure
			return f.Save(filepath.Join(t.TempDir(), "x.png"))
		}, "x.png: the Figure is nil"},
		{"Figure without panels", func() error { _, err := NewFigure().PNG(96); return err }, "Figure.Panels is empty"},
		{"Figure with a nil panel", func() error { _, err := NewFigure(newPlot(), nil).SVG(); return err }, "Figure.Panels[1] is nil"},
	}
	for _, c := range errs {
		noPanic(t, c.name, func() {
			if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "chart: ") {
				t.Errorf("%s = %v, want a chart error containing %q", c.name, err, c.want)
			}
		})
	}

	noPanic(t, "ECDF(nil)", func() {
		if pts := ECDF(nil, metrics.CandidateFailures); pts != nil {
			t.Errorf("ECDF(nil) = %v, want nil", pts)
		}
	})
	noPanic(t, "PointsOf(nil)", func() {
		if ps := PointsOf(nil, nil, metrics.DeployDuration, metrics.CandidateFailures); ps != nil {
			t.Errorf("PointsOf(nil, nil) = %v, want nil", ps)
		}
		rows := &metrics.Table{Rows: []metrics.Row{{Label: "no summary"}}}
		if ps := PointsOf(rows, rows, metrics.DeployDuration, metrics.CandidateFailures); ps != nil {
			t.Errorf("PointsOf(a row without Summary) = %v, want nil", ps)
		}
	})
	noPanic(t, "PlaceLabels(short sizes)", func() {
		a := vg.Point{X: 10, Y: 20}
		got := PlaceLabels([]vg.Point{a}, nil, vg.Rectangle{Max: vg.Point{X: 100, Y: 100}}, 2)
		if len(got) != 1 || got[0] != (vg.Rectangle{Min: a, Max: a}) {
			t.Errorf("PlaceLabels without sizes = %v, want an empty box at the anchor", got)
		}
	})
	noPanic(t, "Ticks(degenerate)", func() {
		if ts := (Ticks{Suffix: " %"}).Ticks(5, 5); len(ts) != 1 || ts[0].Value != 5 || ts[0].Label != "5 %" {
			t.Errorf("Ticks(5, 5) = %v, want one tick 5 %%", ts)
		}
		if ts := (Ticks{}).Ticks(0, -1); len(ts) != 1 || ts[0].Label != "0" {
			t.Errorf("Ticks(0, -1) = %v, want one tick 0", ts)
		}
	})
	noPanic(t, "WrapTitle(nil)", func() {
		if got := WrapTitle(nil, "a long title", 1); got != "a long title" {
			t.Errorf("WrapTitle(nil style) = %q, want the text as it is", got)
		}
	})
	noPanic(t, "nil Figure Draw/Layout/LegendWidth", func() {
		c := draw.New(vgimg.New(vg.Inch, vg.Inch))
		var f *Figure
		f.Draw(c)
		if l := f.Layout(c); l != nil {
			t.Errorf("nil Figure Layout = %v, want nil", l)
		}
		if w := f.LegendWidth(c); w != 0 {
			t.Errorf("nil Figure LegendWidth = %v, want 0", w)
		}
		g := &Figure{Panels: []*plot.Plot{nil}}
		g.Draw(c)
		if l := g.Layout(c); l != nil {
			t.Errorf("Figure{nil panel} Layout = %v, want nil", l)
		}
	})
}
