package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/strategy"
)

// A nil Report, a nil study, a nil writer or save function and a nil Study
// are errors that name what is nil, not panics.
func TestNilInputs(t *testing.T) {
	dir := t.TempDir()
	save := func(string, *chart.Figure) (string, error) { return "x.png", nil }
	var nilReport *Report
	withChart := &Report{Title: "t", Studies: []*Study{{Title: "s", Weights: []chart.WeightLine{{Label: "AllAtOnce", Schedule: strategy.Schedule{{At: time.Minute, Weight: 1}}}}}}}
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"nil Report WriteHTML", func() error { return nilReport.WriteHTML(&bytes.Buffer{}) }, "report: nil Report"},
		{"nil Report WriteMarkdown", func() error { return nilReport.WriteMarkdown(&bytes.Buffer{}, save) }, "report: nil Report"},
		{"nil Report Save", func() error { return nilReport.Save(filepath.Join(dir, "r.html")) }, "report: nil Report"},
		{"nil Report SaveMarkdown", func() error { return nilReport.SaveMarkdown(filepath.Join(dir, "r.md")) }, "report: nil Report"},
		{"nil study", func() error { return (&Report{Studies: []*Study{{}, nil}}).WriteHTML(&bytes.Buffer{}) }, "Report.Studies[1] is nil"},
		{"nil study Markdown", func() error { return (&Report{Studies: []*Study{nil}}).WriteMarkdown(&bytes.Buffer{}, save) }, "Report.Studies[0] is nil"},
		{"nil writer HTML", func() error { return (&Report{}).WriteHTML(nil) }, "nil io.Writer"},
		{"nil writer Markdown", func() error { return (&Report{}).WriteMarkdown(nil, save) }, "nil io.Writer"},
		{"nil save with a chart", func() error { return withChart.WriteMarkdown(&bytes.Buffer{}, nil) }, "save function is nil"},
		{"nil Study Illustrate", func() error { var st *Study; return st.Illustrate(nil) }, "report: Illustrate: nil Study"},
		{"bad extension", func() error { return (&Report{}).Save(filepath.Join(dir, "r.pdf")) }, "Save path = "},
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic: %v", c.name, p)
				}
			}()
			if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s = %v, want an error containing %q", c.name, err, c.want)
			}
		}()
	}
	// Without charts, save is not needed.
	var b bytes.Buffer
	if err := (&Report{Title: "t", Studies: []*Study{{Title: "s"}}}).WriteMarkdown(&b, nil); err != nil {
		t.Errorf("WriteMarkdown of a study without charts, save nil: %v", err)
	}
}
