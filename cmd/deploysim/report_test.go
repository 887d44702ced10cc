package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// htmlCells reads the comparison table of a report: per body row, the
// data-value of each cell by "figure.stat".
func htmlCells(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" && n.Parent != nil && n.Parent.Data == "tbody" {
			row := map[string]float64{}
			for td := n.FirstChild; td != nil; td = td.NextSibling {
				var fig, stat, val string
				for _, a := range td.Attr {
					switch a.Key {
					case "data-figure":
						fig = a.Val
					case "data-stat":
						stat = a.Val
					case "data-value":
						val = a.Val
					}
				}
				if fig != "" && val != "" {
					v, err := strconv.ParseFloat(val, 64)
					if err != nil {
						t.Fatalf("data-value %q: %v", val, err)
					}
					row[fig+"."+stat] = v
				}
			}
			rows = append(rows, row)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return rows
}

// The report's table holds the numbers compare -o json prints for the same
// flags, row for row; --from that JSON gives the same table again, and
// --out .md writes the page with its PNG charts beside it.
func TestReportNumbersEqualCompareJSON(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--rps", "10", "--runs", "20", "-s", "Canary10Percent5Minutes,Linear10PercentEvery1Minute,AllAtOnce"}
	js := mustRun(t, append([]string{"compare", "-o", "json", "--with-state"}, flags...)...)
	jsonPath := filepath.Join(dir, "run.json")
	if err := os.WriteFile(jsonPath, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.html")
	mustRun(t, append([]string{"report", "--out", out}, flags...)...)
	from := filepath.Join(dir, "from.html")
	mustRun(t, "report", "--from", jsonPath, "--out", from)
	var doc struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{out, from} {
		rows := htmlCells(t, page)
		if len(rows) != len(doc.Rows) || len(rows) != 3 {
			t.Fatalf("%s: %d rows, JSON %d", page, len(rows), len(doc.Rows))
		}
		n := 0
		for i, row := range rows {
			for key, got := range row {
				fig, stat, _ := strings.Cut(key, ".")
				var want float64
				if stat == "" {
					if err := json.Unmarshal(doc.Rows[i][fig], &want); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
				} else {
					var m map[string]any // numbers, and "quantiles": "exact" or "sketch"
					if err := json.Unmarshal(doc.Rows[i][fig], &m); err != nil {
						t.Fatalf("%s: %s: %v", key, doc.Rows[i][fig], err)
					}
					want, _ = m[stat].(float64)
				}
				if math.Abs(got-want) > 5e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s row %d %s: report %v, compare -o json %v", filepath.Base(page), i, key, got, want)
				}
				n++
			}
		}
		if n < 27 {
			t.Errorf("%s: compared %d numbers", page, n)
		}
	}
	md := filepath.Join(dir, "report.md")
	mustRun(t, append([]string{"report", "--out", md}, flags...)...)
	for _, f := range []string{"report.md", "report-s1-weights.png", "report-s1-alarm.png", "report-s1-failures.png", "report-s1-pareto.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestReportErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "--out is required"},
		{[]string{"report", "--out", "r.pdf"}, `--out = "r.pdf": must end in .html or .md`},
		{[]string{"report", "frobnicate", "--out", "r.html"}, `unexpected argument "frobnicate"`},
		{[]string{"report", "evaluate", "--out", "r.html"}, "want a FILE"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.args, code, errs, c.want)
		}
	}
}

// report evaluate lists what the template declares and deploysim does not
// model, and names the file it read.
func TestReportEvaluate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ev.html")
	mustRun(t, "report", "evaluate", "testdata/sam.yaml", "--runs", "5", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="s1-not-modelled"`, "testdata/sam.yaml", `id="s1-weights"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %q in the evaluate report", want)
		}
	}
}

// --from means "start from these files" on report as on compare: a metric
// export calibrates the simulated scenario (the per-minute CSV's mean of 75
// a minute is 1.25 req/s, which the page's scenario shows), result JSON is
// reported as it is, and the two kinds together are refused.
func TestReportFromMetricExport(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join("..", "..", "observe", "testdata", "per-minute.csv")
	out := filepath.Join(dir, "r.html")
	mustRun(t, "report", "--from", csv, "-n", "3", "-s", "AllAtOnce", "--horizon", "0", "--out", out)
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "rps: 1.25") {
		t.Errorf("the report's scenario is not the calibrated one (rps: 1.25)")
	}
	js := mustRun(t, "compare", "-o", "json", "-n", "2", "-s", "AllAtOnce", "--horizon", "0")
	jsonPath := filepath.Join(dir, "run.json")
	if err := os.WriteFile(jsonPath, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "report", "--from", jsonPath+","+csv, "--out", out); code != 2 || !strings.Contains(errs, "mixes result JSON") {
		t.Errorf("--from result JSON and a metric export: exit %d, %q; want 2 and one line", code, errs)
	}
}
