package report

import (
	"bytes"
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"io"
	"path/filepath"
	"strings"

	"github.com/deploysim/deploysim/chart"
)

// ChartDPI is the resolution of the PNG charts a Markdown report links.
const ChartDPI = 110

// SaveMarkdown writes the report to path as Markdown and each chart beside
// it as a PNG named after path (report-s1-weights.png for report.md).
func (r *Report) SaveMarkdown(path string) error {
	if err := r.check(); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b bytes.Buffer
	err := r.WriteMarkdown(&b, func(id string, f *chart.Figure) (string, error) {
		name := stem + "-" + id + ".png"
		png, err := f.PNG(ChartDPI)
		if err != nil {
			return "", err
		}
		if err := atomicfile.Write(filepath.Join(dir, name), writeBytes(png)); err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		return name, nil
	})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, writeBytes(b.Bytes())); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// writeBytes is a write function for atomicfile.Write that writes b.
func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// WriteMarkdown writes the report as Markdown; save is called for each
// chart with its id (s1-weights …) and returns the link to put in the page.
// save may be nil only when no study has a chart.
func (r *Report) WriteMarkdown(w io.Writer, save func(id string, f *chart.Figure) (string, error)) error {
	if err := r.check(); err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("report: WriteMarkdown: nil io.Writer")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	b.WriteString("Written by deploysim. The runs are seeded: the same command gives the same numbers on any machine.\n\n")
	if r.Intro != "" {
		fmt.Fprintf(&b, "%s\n\n", r.Intro)
	}
	for i, st := range r.Studies {
		id := fmt.Sprintf("s%d", i+1)
		fmt.Fprintf(&b, "## %s\n\n### What was simulated\n\n", st.Title)
		if len(st.Sources) > 0 {
			fmt.Fprintf(&b, "Read from: `%s`.\n\n", strings.Join(st.Sources, "`, `"))
		}
		for _, d := range st.Description {
			fmt.Fprintf(&b, "%s\n\n", d)
		}
		if st.ScenarioYAML != "" {
			fmt.Fprintf(&b, "As a scenario file (`deploysim compare --scenario FILE` reads it back):\n\n```yaml\n%s\n```\n\n", strings.TrimRight(st.ScenarioYAML, "\n"))
		}
		if st.Table != nil {
			b.WriteString("### Results\n\nEach number is a mean over runs ± the half-width of its confidence interval, then its 95th percentile; rates carry their interval. Detection and blast radius are read over the bad runs, false rollbacks and the time to 100 % over their healthy twins.\n\n")
			writeMarkdownTable(&b, view(st.Table))
		}
		cs, err := st.charts()
		if err != nil {
			return fmt.Errorf("report: %s: %w", st.Title, err)
		}
		if len(cs) > 0 {
			b.WriteString("### Charts\n\n")
		}
		for _, c := range cs {
			if save == nil {
				return fmt.Errorf("report: %s: chart %s: WriteMarkdown's save function is nil", st.Title, c.ID)
			}
			link, err := save(id+"-"+c.ID, c.Figure)
			if err != nil {
				return fmt.Errorf("report: %s: chart %s: %w", st.Title, c.ID, err)
			}
			fmt.Fprintf(&b, "![%s](%s)\n\n**%s.** %s\n\n", c.Title, link, c.Title, c.Caption)
		}
		b.WriteString("### Assumptions behind these numbers\n\n")
		for _, a := range st.Assumptions {
			fmt.Fprintf(&b, "- *%s*: %s [Source: %s](%s#%s)\n", a.Kind, a.Text, a.Section, r.docsURL(), a.Anchor())
		}
		b.WriteString("\n### Declared but not modelled\n\n")
		if len(st.NotModelled) == 0 {
			if len(st.Sources) > 0 {
				b.WriteString("Nothing: every setting the files declare was simulated.\n\n")
			} else {
				b.WriteString("Nothing: the scenario was given as settings, all of them simulated.\n\n")
			}
		}
		for _, n := range st.NotModelled {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if len(st.NotModelled) > 0 {
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownTable(b *strings.Builder, v tableView) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, h := range v.Head {
		fmt.Fprintf(b, " %s |", esc(h))
	}
	b.WriteString("\n|")
	for i := range v.Head {
		if i == 0 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, row := range v.Rows {
		b.WriteString("|")
		for _, c := range row {
			t := c.Text
			if c.Note != "" {
				t += " " + c.Note
			}
			fmt.Fprintf(b, " %s |", esc(t))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
