package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

var (
	testOnce   sync.Once
	testReport *Report
	testErr    error
)

// sampleReport is a small comparison on the default scenario at 10 req/s:
// a canary, a linear and AllAtOnce, 30 bad runs each with their twins.
func sampleReport(t *testing.T) *Report {
	t.Helper()
	testOnce.Do(func() {
		sc := deploysim.DefaultScenario()
		sc.Workload = sim.Poisson{Rate: 10}
		sc.Horizon = 30 * time.Minute
		ss := []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes, strategy.LambdaLinear10PercentEvery1Minute, strategy.AllAtOnce{}}
		st, err := Simulate(context.Background(), "Three strategies against a bad release", sc, ss, 30)
		if err != nil {
			testErr = err
			return
		}
		st.ScenarioYAML = "rps: 10\nhorizon: 30m\n"
		st.NotModelled = []string{"template.yaml:12: TriggerConfigurations: notifications do not change the deployment"}
		testReport = &Report{Title: "deploysim report", Studies: []*Study{st}}
	})
	if testErr != nil {
		t.Fatal(testErr)
	}
	return testReport
}

func parseHTML(t *testing.T, r *Report) (*html.Node, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, b.Bytes()
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func byID(doc *html.Node) map[string]*html.Node {
	m := map[string]*html.Node{}
	walk(doc, func(n *html.Node) {
		if id, ok := attr(n, "id"); ok && n.Type == html.ElementNode {
			m[id] = n
		}
	})
	return m
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// Every section and chart is in the page, each chart an inline SVG, and
// nothing is loaded from elsewhere: no script, no src, no stylesheet link.
func TestHTMLSectionsAndCharts(t *testing.T) {
	doc, raw := parseHTML(t, sampleReport(t))
	ids := byID(doc)
	for _, s := range []string{SectionSimulated, SectionResults, SectionCharts, SectionAssumptions, SectionNotModelled} {
		if ids["s1-"+s] == nil {
			t.Errorf("no section s1-%s", s)
		}
	}
	for _, c := range []string{ChartWeights, ChartAlarm, ChartFailures, ChartPareto} {
		n := ids["s1-"+c]
		if n == nil {
			t.Errorf("no chart s1-%s", c)
			continue
		}
		svgs := 0
		walk(n, func(c *html.Node) {
			if c.Type == html.ElementNode && c.Data == "svg" {
				svgs++
				if vb, _ := attr(c, "viewBox"); vb == "" {
					t.Errorf("chart %s: svg without a viewBox does not scale", c.Data)
				}
			}
		})
		if svgs != 1 {
			t.Errorf("chart s1-%s holds %d svg elements, want 1", c, svgs)
		}
		if cap := text(n); !strings.ContainsAny(cap, "0123456789") {
			t.Errorf("chart s1-%s: caption %q quotes no number from the run", c, cap)
		}
	}
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if n.Data == "script" {
			t.Error("the page has a script")
		}
		if v, ok := attr(n, "src"); ok {
			t.Errorf("<%s src=%q>: the page loads something", n.Data, v)
		}
		if n.Data == "link" {
			t.Errorf("<link>: the page loads something")
		}
	})
	if !bytes.Contains(raw, []byte("rps: 10")) {
		t.Error("the scenario file is not shown")
	}
	if !strings.Contains(text(ids["s1-"+SectionNotModelled]), "TriggerConfigurations") {
		t.Error("what was not modelled is not shown")
	}
	// Each assumption links its docs/model.md section.
	links := 0
	walk(ids["s1-"+SectionAssumptions], func(n *html.Node) {
		if href, ok := attr(n, "href"); ok && n.Data == "a" {
			links++
			if !strings.HasPrefix(href, DefaultDocsURL+"#") {
				t.Errorf("assumption link %q is not into docs/model.md", href)
			}
		}
	})
	if links == 0 {
		t.Error("no assumption links to docs/model.md")
	}
}

// The anchors the assumptions link exist as headings in docs/model.md.
func TestAssumptionSectionsExist(t *testing.T) {
	doc, err := os.ReadFile("../docs/model.md")
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			heads[Anchor(h)] = true
		}
	}
	for _, a := range sampleReport(t).Studies[0].Assumptions {
		if !heads[a.Anchor()] {
			t.Errorf("assumption %q links #%s, not a heading of docs/model.md", a.Text, a.Anchor())
		}
	}
}

// Every number of the HTML table is the JSON output's: the data-value
// attribute holds it exactly (to the JSON's own rounding), and the text is
// that value written short.
func TestHTMLNumbersEqualJSON(t *testing.T) {
	r := sampleReport(t)
	doc, _ := parseHTML(t, r)
	var jb bytes.Buffer
	if err := r.Studies[0].Table.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(jb.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	var rows []*html.Node
	walk(byID(doc)["s1-"+SectionResults], func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" && n.Parent.Data == "tbody" {
			rows = append(rows, n)
		}
	})
	if len(rows) != len(js.Rows) || len(rows) != 3 {
		t.Fatalf("%d table rows, JSON %d, want 3", len(rows), len(js.Rows))
	}
	checked := 0
	for i, tr := range rows {
		walk(tr, func(td *html.Node) {
			fig, ok := attr(td, "data-figure")
			if td.Data != "td" || !ok {
				return
			}
			stat, _ := attr(td, "data-stat")
			val, hasVal := attr(td, "data-value")
			var want float64
			raw := js.Rows[i][fig]
			if stat == "" {
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Errorf("row %d %s: JSON %s: %v", i, fig, raw, err)
					return
				}
			} else {
				var m map[string]*float64
				raw := bytes.ReplaceAll(raw, []byte(`"exact"`), []byte("null")) // "quantiles": the one string of a figure
				raw = bytes.ReplaceAll(raw, []byte(`"sketch"`), []byte("null"))
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Errorf("row %d %s: JSON %s: %v", i, fig, raw, err)
					return
				}
				if m[stat] == nil {
					if hasVal {
						t.Errorf("row %d %s.%s: HTML %s, JSON has none", i, fig, stat, val)
					}
					return
				}
				want = *m[stat]
			}
			if !hasVal {
				t.Errorf("row %d %s.%s: HTML has no value, JSON %v", i, fig, stat, want)
				return
			}
			got, err := strconv.ParseFloat(val, 64)
			if err != nil {
				t.Errorf("row %d %s.%s: data-value %q: %v", i, fig, stat, val, err)
				return
			}
			// The JSON rounds to 5 significant digits where it chooses to.
			if math.Abs(got-want) > 5e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("row %d %s.%s: HTML %v, JSON %v", i, fig, stat, got, want)
			}
			shown := strings.Fields(td.FirstChild.Data)[0]
			wantShown := short(got)
			switch {
			case stat == "value":
				wantShown = pct1(got)
			case stat == "":
				wantShown = val
			}
			if shown != wantShown {
				t.Errorf("row %d %s.%s: shows %q for %v, want %q", i, fig, stat, shown, got, wantShown)
			}
			checked++
		})
	}
	// AllAtOnce is never rolled back: it has no time to detect or to roll
	// back, so at least 3 rows × (runs, 2 rates, 3 figures × 2) numbers.
	if checked < 3*(3+2*3) {
		t.Errorf("checked %d numbers, want at least 27", checked)
	}
}

// The Markdown report links one PNG per chart, written beside it.
func TestMarkdown(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := sampleReport(t).Save(path); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"### What was simulated", "### Results", "### Charts", "### Assumptions behind these numbers", "### Declared but not modelled", "```yaml"} {
		if !bytes.Contains(md, []byte(h)) {
			t.Errorf("no %q in the Markdown", h)
		}
	}
	for _, c := range []string{ChartWeights, ChartAlarm, ChartFailures, ChartPareto} {
		name := "report-s1-" + c + ".png"
		if !bytes.Contains(md, []byte("]("+name+")")) {
			t.Errorf("no link to %s", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSaveRefusesOtherExtensions(t *testing.T) {
	err := (&Report{}).Save(filepath.Join(t.TempDir(), "r.pdf"))
	if err == nil || !strings.Contains(err.Error(), `"`) || !strings.Contains(err.Error(), ".html or .md") {
		t.Errorf("Save(r.pdf) = %v", err)
	}
}

func TestAnchor(t *testing.T) {
	for in, want := range map[string]string{
		"CloudWatch metrics and alarms":                    "cloudwatch-metrics-and-alarms",
		"Event sources (asynchronous invocation, SQS)":     "event-sources-asynchronous-invocation-sqs",
		"Lambda versions, latency, errors and concurrency": "lambda-versions-latency-errors-and-concurrency",
	} {
		if got := Anchor(in); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", in, got, want)
		}
	}
}
