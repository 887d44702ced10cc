package metrics

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Param is one coordinate of a grid point (a sweep's "rps" = "100").
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Row is one line of a comparison: a strategy (or grid point) and the
// Summary of its runs.
type Row struct {
	Label   string   // the strategy's name; JSON key "strategy"
	Params  []Param  // grid coordinates, empty for a plain comparison
	Summary *Summary // never nil in a Table built by this package
}

// Table compares strategies or grid points, one Row each. It renders as
// aligned text, Markdown, CSV and JSON; its JSON carries each row's
// mergeable state, so tables written by the shards of a sweep can be read
// back (ReadTable) and merged (Merge) into the table of the whole sweep.
type Table struct {
	Rows []Row
	// Figures the text and Markdown renderings show (mean, p95), in order;
	// nil means DefaultFigures. CSV shows them all when nil.
	Figures []Figure
	// Confidence is the level of every interval printed; 0 means
	// DefaultConfidence. JSON carries it; Figures, a rendering choice, is not
	// written.
	Confidence float64
}

// DefaultFigures are the columns of a text or Markdown table: the figures
// the command line's JSON schema promises.
var DefaultFigures = []Figure{CandidateFailures, UsersHit, TimeToDetect, TimeToRollback, DeployDuration}

// Add appends a row and returns it.
func (t *Table) Add(label string, s *Summary, params ...Param) *Row {
	t.Rows = append(t.Rows, Row{Label: label, Params: params, Summary: s})
	return &t.Rows[len(t.Rows)-1]
}

// Find returns the row with this label and these params, or nil.
func (t *Table) Find(label string, params ...Param) *Row {
	for i := range t.Rows {
		if t.Rows[i].Label == label && paramsEqual(t.Rows[i].Params, params) {
			return &t.Rows[i]
		}
	}
	return nil
}

func paramsEqual(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Merge adds o's rows to t: a row with the same label and params as one of
// t's is merged into it (Summary.Merge, exact), any other is appended, so
// the rows keep the order in which they first appear. Merging the tables of
// the shards of a sweep gives the table of the whole sweep, whether the
// shards split the runs or the grid points. o is not changed and t shares
// no memory with it afterwards.
func (t *Table) Merge(o *Table) error {
	if err := o.checkUnique(); err != nil {
		return err
	}
	if err := t.checkUnique(); err != nil {
		return err
	}
	for _, r := range o.Rows {
		if r.Summary == nil {
			return fmt.Errorf("metrics: Table row %q: Summary is nil", r.Label)
		}
		if mine := t.Find(r.Label, r.Params...); mine != nil {
			mine.Summary.Merge(r.Summary)
			continue
		}
		t.Rows = append(t.Rows, Row{Label: r.Label, Params: append([]Param(nil), r.Params...), Summary: r.Summary.Clone()})
	}
	return nil
}

func (t *Table) checkUnique() error {
	for i := range t.Rows {
		for j := 0; j < i; j++ {
			if t.Rows[i].Label == t.Rows[j].Label && paramsEqual(t.Rows[i].Params, t.Rows[j].Params) {
				return fmt.Errorf("metrics: Table.Rows[%d] = %q: duplicates row %d (label and params must be unique)", i, t.Rows[i].Label, j)
			}
		}
	}
	return nil
}

func (t *Table) level() float64 {
	if t.Confidence == 0 {
		return DefaultConfidence
	}
	return t.Confidence
}

func (t *Table) shown(all bool) []Figure {
	if t.Figures != nil {
		return t.Figures
	}
	if all {
		return RunFigures
	}
	return DefaultFigures
}

// paramNames lists the parameter names of every row, in order of first appearance.
func (t *Table) paramNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range t.Rows {
		for _, p := range r.Params {
			if !seen[p.Name] {
				seen[p.Name] = true
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func paramValue(ps []Param, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Format is a rendering of a Table.
type Format uint8

// The renderings; their names (ParseFormat) are the command line's --format values.
const (
	Text     Format = iota // aligned columns for a terminal ("table")
	Markdown               // a GitHub-flavoured Markdown table ("markdown")
	CSV                    // RFC 4180, every number at full precision ("csv")
	JSON                   // the stable schema of WriteJSON ("json")
)

var formatNames = [...]string{"table", "markdown", "csv", "json"}

// String is the format's name on the command line.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// ParseFormat reads "table" (or "text"), "markdown" (or "md"), "csv" or "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "table", "text":
		return Text, nil
	case "markdown", "md":
		return Markdown, nil
	case "csv":
		return CSV, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("metrics: Format = %q: must be table, markdown, csv or json", s)
}

// Write renders t in format f.
func (t *Table) Write(w io.Writer, f Format) error {
	switch f {
	case Text:
		return t.WriteText(w)
	case Markdown:
		return t.WriteMarkdown(w)
	case CSV:
		return t.WriteCSV(w)
	case JSON:
		return t.WriteJSON(w)
	}
	return fmt.Errorf("metrics: Format = %d: must be Text, Markdown, CSV or JSON", f)
}

// cells builds the human table: a header and one line per row; numeric[i]
// says whether column i holds numbers (right-aligned).
func (t *Table) cells() (header []string, numeric []bool, lines [][]string) {
	level := t.level()
	pct := strconv.FormatFloat(level*100, 'g', -1, 64) + "%"
	header = append(header, "strategy")
	numeric = append(numeric, false)
	pnames := t.paramNames()
	for _, n := range pnames {
		header = append(header, n)
		numeric = append(numeric, false)
	}
	header = append(header, "runs", DetectionRate.Label()+" ["+pct+" CI]", FalseRollbackRate.Label()+" ["+pct+" CI]")
	numeric = append(numeric, true, true, true)
	figs := t.shown(false)
	for _, f := range figs {
		header = append(header, f.Label(), "p95")
		numeric = append(numeric, true, true)
	}
	for _, r := range t.Rows {
		line := []string{r.Label}
		for _, n := range pnames {
			line = append(line, paramValue(r.Params, n))
		}
		s := r.Summary
		line = append(line, strconv.FormatInt(s.Runs(), 10), fmtRate(s.RateAt(DetectionRate, level)), fmtRate(s.RateAt(FalseRollbackRate, level)))
		for _, f := range figs {
			if f.IsRate() {
				line = append(line, fmtRate(s.RateAt(f, level)), "")
				continue
			}
			st := s.StatsAt(f, level)
			mean := fmtNum(st.Mean)
			if !math.IsNaN(st.CIHigh) {
				mean += " ±" + fmtNum(st.CIHigh-st.Mean)
			}
			line = append(line, mean, fmtNum(st.P95))
		}
		lines = append(lines, line)
	}
	return header, numeric, lines
}

// fmtNum prints a figure for people: about four significant digits, "-" for
// a figure no run had.
func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "-"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func fmtRate(p Proportion) string {
	if math.IsNaN(p.Value) {
		return "-"
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*p.Value, 100*p.CILow, 100*p.CIHigh)
}

// WriteText renders t as aligned columns: labels left, numbers right. Each
// figure (Figure.Label) has two columns: its mean ± the half-width of the
// mean's confidence interval, and its p95. Rates are in percent with their
// Wilson interval; "-" marks a figure no run had. Times are in seconds.
func (t *Table) WriteText(w io.Writer) error {
	header, numeric, lines := t.cells()
	width := make([]int, len(header))
	for _, l := range append([][]string{header}, lines...) {
		for i, c := range l {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b bytes.Buffer
	for _, l := range append([][]string{header}, lines...) {
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i > 0 {
				b.WriteString("  ")
			}
			if numeric[i] {
				b.WriteString(pad + c)
			} else if i < len(l)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteMarkdown renders t as a Markdown table with numbers right-aligned.
func (t *Table) WriteMarkdown(w io.Writer) error {
	header, numeric, lines := t.cells()
	var b bytes.Buffer
	row := func(l []string) {
		b.WriteString("|")
		for _, c := range l {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteByte('\n')
	}
	row(header)
	b.WriteString("|")
	for _, n := range numeric {
		if n {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteByte('\n')
	for _, l := range lines {
		row(l)
	}
	_, err := w.Write(b.Bytes())
	return err
}

var statColumns = []string{"n", "mean", "stddev", "min", "max", "p50", "p95", "p99", "ci_low", "ci_high"}

// WriteCSV renders t for spreadsheets and scripts: one header line, then one
// line per row with strategy, the params, runs, the rates with their
// intervals, the outcome counts and, per figure, the columns
// <figure>_{n,mean,stddev,min,max,p50,p95,p99,ci_low,ci_high}. Numbers are
// written at full precision; a figure no run had is an empty cell.
func (t *Table) WriteCSV(w io.Writer) error {
	level := t.level()
	pnames := t.paramNames()
	head := append([]string{"strategy"}, pnames...)
	head = append(head, "runs")
	for _, f := range []Figure{DetectionRate, FalseRollbackRate} {
		head = append(head, f.String(), f.String()+"_ci_low", f.String()+"_ci_high")
	}
	for o := Outcome(0); o < NumOutcomes; o++ {
		head = append(head, o.String())
	}
	figs := t.shown(true)
	for _, f := range figs {
		if f.IsRate() {
			continue
		}
		for _, c := range statColumns {
			head = append(head, f.String()+"_"+c)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		s := r.Summary
		line := []string{r.Label}
		for _, n := range pnames {
			line = append(line, paramValue(r.Params, n))
		}
		line = append(line, strconv.FormatInt(s.Runs(), 10))
		for _, f := range []Figure{DetectionRate, FalseRollbackRate} {
			p := s.RateAt(f, level)
			line = append(line, csvNum(p.Value), csvNum(p.CILow), csvNum(p.CIHigh))
		}
		for o := Outcome(0); o < NumOutcomes; o++ {
			line = append(line, strconv.FormatInt(s.Outcomes(o), 10))
		}
		for _, f := range figs {
			if f.IsRate() {
				continue
			}
			st := s.StatsAt(f, level)
			line = append(line, strconv.FormatInt(st.N, 10))
			for _, v := range []float64{st.Mean, st.StdDev, st.Min, st.Max, st.P50, st.P95, st.P99, st.CILow, st.CIHigh} {
				line = append(line, csvNum(v))
			}
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
