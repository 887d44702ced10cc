package main

import (
	"context"
	"io"

	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	charts "github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
)

// Every chart writes a decodable PNG or a well-formed SVG.
func TestPlotCharts(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--runs", "5", "--rps", "10", "--strategies", "Canary10Percent5Minutes,Linear10PercentEvery1Minute,AllAtOnce"}
	for _, c := range []struct{ chart, ext string }{
		{"schedule", "png"}, {"schedule", "svg"},
		{"errors", "png"}, {"errors", "svg"},
		{"cdf", "png"},
		{"pareto", "svg"},
	} {
		out := filepath.Join(dir, c.chart+"."+c.ext)
		stdout := mustRun(t, append([]string{"plot", "--chart", c.chart, "--out", out}, common...)...)
		if stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", c.chart, stdout)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: %v", c.chart, err)
		}
		switch c.ext {
		case "png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: not a PNG: %v", out, err)
			} else if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 200 {
				t.Errorf("%s: %v pixels", out, r)
			}
		case "svg":
			if !bytes.Contains(b, []byte("<svg")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</svg>")) {
				t.Errorf("%s: not an SVG document", out)
			}
		}
	}
	// The errors chart labels the rollback instants; at 10 req/s a 10 %
	// canary with a 5 % fault trips the 1 % error-rate alarm in its first
	// minute (P(no candidate error in 60 expected requests) ≈ e^-3), so run 0
	// is rolled back.
	b, _ := os.ReadFile(filepath.Join(dir, "errors.svg"))
	if !bytes.Contains(b, []byte("rollback decided")) || !bytes.Contains(b, []byte("threshold")) {
		t.Errorf("errors chart lacks the threshold or the rollback instant")
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--chart", "schedule"}, "--out is required"},
		{[]string{"--chart", "schedule", "--out", filepath.Join(dir, "x.gif")}, "--out"},
		{[]string{"--out", filepath.Join(dir, "x.png")}, "--chart is required"},
		{[]string{"--chart", "pie", "--out", filepath.Join(dir, "x.png")}, `--chart = "pie"`},
		{[]string{"--chart", "pareto", "--x", "beauty", "--out", filepath.Join(dir, "x.png")}, "--x"},
		{[]string{"--chart", "errors", "--run", "-1", "--out", filepath.Join(dir, "x.png")}, "--run"},
		{[]string{"--chart", "schedule", "--out", filepath.Join(dir, "no", "such", "dir.png")}, "dir.png"},
	} {
		code, _, errs := runCLI(t, append([]string{"plot", "--runs", "2"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("plot %q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// The chart's front agrees with metrics.Pareto whenever both figures come
// from one table (a healthy scenario here, so durations exist).
func TestParetoFrontMatchesLibrary(t *testing.T) {
	c := scenario.Default()
	c.Runs, c.RPS, c.ErrorRate, c.Horizon = 20, 5, 0, 0
	ss, _ := c.ResolveStrategies()
	tab, _, err := compareTable(context.Background(), &c, ss, progressTo{w: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for _, xy := range [][2]metrics.Figure{
		{metrics.DeployDuration, metrics.CandidateRequests},
		{metrics.DeployDuration, metrics.Exposure},
		{metrics.FalseRollbackRate, metrics.DeployDuration},
		{metrics.CandidateFailures, metrics.DeployDuration},
	} {
		var want []string
		for _, r := range metrics.Pareto(tab.Rows, xy[0], xy[1]) {
			want = append(want, r.Label)
		}
		var got []string
		for _, p := range charts.Front(charts.PointsOf(tab, tab, xy[0], xy[1]), xy[0], xy[1]) {
			got = append(got, p.Label)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || len(want) == 0 {
			t.Errorf("%v × %v: front %v, metrics.Pareto %v", xy[0], xy[1], got, want)
		}
	}
}
