// Package notebook is the command-line shell the examples share, so that
// each example's main.go holds only its narrative: the -out and -fast flags,
// the default output folder next to the example's source, and the exit on
// error.
package notebook

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/metrics"
)

// Main parses -out (the folder charts are written to) and -fast (fastHelp
// says what it thins) and calls run with standard output; on error it prints
// "name: error" on standard error and exits with status 1.
func Main(name, fastHelp string, run func(w io.Writer, outDir string, fast bool) error) {
	out := flag.String("out", defaultOut(2), "folder the charts are written to")
	fast := flag.Bool("fast", false, fastHelp)
	flag.Parse()
	if err := run(os.Stdout, *out, *fast); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// defaultOut is out/ in the folder of the source file skip frames up the
// stack (the example's main.go) when that source is at hand (go run from the
// repository), else out/ in the working directory.
func defaultOut(skip int) string {
	if _, file, _, ok := runtime.Caller(skip); ok {
		if _, err := os.Stat(file); err == nil {
			return filepath.Join(filepath.Dir(file), "out")
		}
	}
	return "out"
}

// Save writes p as name.png and name.svg in outDir, width × height, and
// returns the two paths. The legend stays where p puts it; SaveFigure puts
// it beside the data.
func Save(p *plot.Plot, outDir, name string, width, height vg.Length) ([]string, error) {
	var files []string
	for _, ext := range []string{".png", ".svg"} {
		f := filepath.Join(outDir, name+ext)
		if err := p.Save(width, height, f); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// Page is the Markdown page an example writes beside its charts
// (out/README.md): the question, the setup, each result (a table or a chart)
// followed by what it shows, and the conclusion. Its sentences take their
// numbers as arguments (Printf style) from the run, so the page says what
// this run found, not what an earlier one did.
type Page struct {
	b strings.Builder
}

// NewPage starts a page with its title and the question it answers.
func NewPage(title, question string) *Page {
	p := &Page{}
	fmt.Fprintf(&p.b, "# %s\n\n**Question.** %s\n\n", title, question)
	return p
}

// Section starts a section.
func (p *Page) Section(title string) { fmt.Fprintf(&p.b, "## %s\n\n", title) }

// Para adds a paragraph; format and args as fmt.Sprintf.
func (p *Page) Para(format string, args ...any) {
	fmt.Fprintf(&p.b, format, args...)
	p.b.WriteString("\n\n")
}

// Table adds t as a Markdown table.
func (p *Page) Table(t *metrics.Table) error {
	if err := t.WriteMarkdown(&p.b); err != nil {
		return err
	}
	p.b.WriteString("\n")
	return nil
}

// Pre adds preformatted text (a table printed as text).
func (p *Page) Pre(text string) {
	fmt.Fprintf(&p.b, "```text\n%s\n```\n\n", strings.TrimRight(text, "\n"))
}

// Chart adds an image, file being relative to the page's folder (the chart's
// base name when it is saved beside the page).
func (p *Page) Chart(file, alt string) {
	fmt.Fprintf(&p.b, "![%s](%s)\n\n", alt, filepath.Base(file))
}

// Conclusion ends the page with what the run shows.
func (p *Page) Conclusion(format string, args ...any) {
	p.b.WriteString("## Conclusion\n\n")
	p.Para(format, args...)
}

// String is the page's Markdown.
func (p *Page) String() string { return p.b.String() }

// Save writes the page as README.md in outDir and returns its path.
func (p *Page) Save(outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	f := filepath.Join(outDir, "README.md")
	if err := os.WriteFile(f, []byte(p.String()), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", f, err)
	}
	return f, nil
}

// SaveFigure writes f as name.png and name.svg in outDir and returns the
// two paths: the examples' charts, drawn by package chart (legends beside
// the data, titles wrapped).
func SaveFigure(f *chart.Figure, outDir, name string) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, ext := range []string{".png", ".svg"} {
		file := filepath.Join(outDir, name+ext)
		if err := f.Save(file); err != nil {
			return nil, fmt.Errorf("writing %s: %w", file, err)
		}
		files = append(files, file)
	}
	return files, nil
}

// Recorder passes what is written to W and keeps a copy, so that a table
// printed for the terminal goes into the page too (Page.Pre(r.Take())).
type Recorder struct {
	W   io.Writer
	buf strings.Builder
}

// Record returns a Recorder writing to w.
func Record(w io.Writer) *Recorder { return &Recorder{W: w} }

// Write writes p to W and keeps it.
func (r *Recorder) Write(p []byte) (int, error) {
	r.buf.Write(p)
	return r.W.Write(p)
}

// Take returns what was written since the last Take.
func (r *Recorder) Take() string {
	s := r.buf.String()
	r.buf.Reset()
	return s
}
