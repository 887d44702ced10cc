package report

import (
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"html/template"
	"io"
	"path/filepath"
	"strings"
)

// htmlStudy is a study as the HTML template reads it.
type htmlStudy struct {
	ID string
	*Study
	Table  *tableView
	Charts []htmlChart
}

type htmlChart struct {
	ID, Title, Caption string
	SVG                template.HTML
}

// WriteHTML writes the report as one self-contained HTML page: CSS and SVG
// charts inline, no script, nothing fetched from the network, laid out to
// print (each chart kept on one page).
func (r *Report) WriteHTML(w io.Writer) error {
	if err := r.check(); err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("report: WriteHTML: nil io.Writer")
	}
	var studies []htmlStudy
	for i, st := range r.Studies {
		hs := htmlStudy{ID: fmt.Sprintf("s%d", i+1), Study: st}
		if st.Table != nil {
			v := view(st.Table)
			hs.Table = &v
		}
		cs, err := st.charts()
		if err != nil {
			return fmt.Errorf("report: %s: %w", st.Title, err)
		}
		for _, c := range cs {
			svg, err := c.Figure.SVG()
			if err != nil {
				return fmt.Errorf("report: %s: chart %s: %w", st.Title, c.ID, err)
			}
			hs.Charts = append(hs.Charts, htmlChart{ID: c.ID, Title: c.Title, Caption: c.Caption, SVG: template.HTML(svg)})
		}
		studies = append(studies, hs)
	}
	return pageTemplate.Execute(w, map[string]any{
		"Title": r.Title, "Intro": r.Intro, "Studies": studies, "Docs": r.docsURL(),
	})
}

// Save writes the report to path: HTML for .html or .htm, Markdown with
// PNG charts beside it for .md. Every file goes through a temporary one, so
// a failed write leaves the previous report whole.
func (r *Report) Save(path string) error {
	if err := r.check(); err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		if err := atomicfile.Write(path, r.WriteHTML); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return nil
	case ".md", ".markdown":
		return r.SaveMarkdown(path)
	}
	return fmt.Errorf("report: Save path = %q: must end in .html or .md (or .htm, .markdown)", path)
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"anchor": Anchor,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: #1b1b1b; max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
.sub { color: #555; margin-top: 0; }
pre { background: #f6f6f4; border: 1px solid #e2e2dc; padding: .8rem 1rem; overflow-x: auto; font-size: 13px; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
.tablewrap { overflow-x: auto; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e4e4e4; text-align: right; vertical-align: top; }
th { background: #f3f3f0; font-weight: 600; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
td .ci { display: block; color: #666; font-size: 11px; }
figure.chart { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 64rem; }
figcaption { color: #333; margin-top: .4rem; }
figcaption b { display: block; }
.kind { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; padding: 0 .35rem; border-radius: 3px; margin-right: .35rem; }
.kind.documented { background: #e3f1e3; color: #23632a; }
.kind.derived { background: #e4ecf7; color: #24497a; }
.kind.assumed { background: #fbecd9; color: #7d4a0d; }
ul.assumptions li, ul.notmodelled li { margin: .3rem 0; }
a { color: #1f4f8f; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  pre { white-space: pre-wrap; }
  a { color: inherit; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 9pt; color: #555; }
}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="sub">Written by deploysim. The runs are seeded: the same command gives the same numbers on any machine.</p>
{{with .Intro}}<p>{{.}}</p>{{end}}
</header>
{{range .Studies}}{{$id := .ID}}
<article id="{{.ID}}" class="study">
<h2>{{.Title}}</h2>
<section id="{{.ID}}-simulated">
<h3>What was simulated</h3>
{{with .Sources}}<p>Read from: {{range $i, $s := .}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.</p>{{end}}
{{range .Description}}<p>{{.}}</p>
{{end}}{{with .ScenarioYAML}}<p>As a scenario file (<code>deploysim compare --scenario FILE</code> reads it back):</p>
<pre class="scenario">{{.}}</pre>{{end}}
</section>
{{with .Table}}<section id="{{$id}}-results">
<h3>Results</h3>
<p>Each number is a mean over runs with the half-width of its confidence interval, then its 95th percentile; rates carry their interval. Detection and blast radius are read over the bad runs, false rollbacks and the time to 100 % over their healthy twins.</p>
<div class="tablewrap"><table class="comparison">
<thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td{{if .Figure}} data-figure="{{.Figure}}"{{end}}{{if .Stat}} data-stat="{{.Stat}}"{{end}}{{if .Value}} data-value="{{.Value}}"{{end}}>{{.Text}}{{with .Note}}<span class="ci">{{.}}</span>{{end}}</td>{{end}}</tr>{{end}}
</tbody></table></div>
</section>{{end}}
{{with .Charts}}<section id="{{$id}}-charts">
<h3>Charts</h3>
{{range .}}<figure class="chart" id="{{$id}}-{{.ID}}">
{{.SVG}}
<figcaption><b>{{.Title}}</b>{{.Caption}}</figcaption>
</figure>
{{end}}</section>{{end}}
<section id="{{.ID}}-assumptions">
<h3>Assumptions behind these numbers</h3>
<ul class="assumptions">{{range .Assumptions}}
<li><span class="kind {{.Kind}}">{{.Kind}}</span>{{.Text}} <a href="{{$.Docs}}#{{anchor .Section}}">Source: {{.Section}}</a></li>{{end}}
</ul>
</section>
<section id="{{.ID}}-not-modelled">
<h3>Declared but not modelled</h3>
{{if .NotModelled}}<ul class="notmodelled">{{range .NotModelled}}
<li>{{.}}</li>{{end}}
</ul>{{else}}<p>Nothing: {{if .Sources}}every setting the files declare was simulated{{else}}the scenario was given as settings, all of them simulated{{end}}.</p>{{end}}
</section>
</article>
{{end}}
</body>
</html>
`))
