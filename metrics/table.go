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
	// Figures the text and Markdown renderings show (each with its mean and
	// p95, after the runs and the two rates), in order, when
	// WriteOptions.Columns does not choose; nil means DefaultColumns. CSV
	// shows every figure when nil.
	Figures []Figure
	// Confidence is the level of every interval printed; 0 means
	// DefaultConfidence. JSON carries it; Figures, a rendering choice, is not
	// written.
	Confidence float64
}

// Add appends a row and returns it. It needs a Table (a nil t panics, as
// appending to a nil slice pointer would): the row has nowhere else to go.
func (t *Table) Add(label string, s *Summary, params ...Param) *Row {
	t.Rows = append(t.Rows, Row{Label: label, Params: params, Summary: s})
	return &t.Rows[len(t.Rows)-1]
}

// Find returns the row with this label and these params, or nil (always
// for a nil Table).
func (t *Table) Find(label string, params ...Param) *Row {
	if t == nil {
		return nil
	}
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
//
// Merge trusts nothing: it refuses (and leaves t unchanged) a row whose
// Summary.Merge refuses (another scenario's runs, runs counted twice, an
// overflow), and two rows with different labels or params whose summaries
// have the same fingerprint (a row copied under another label). The error
// names the row; a caller reading files prefixes the file's name.
func (t *Table) Merge(o *Table) error {
	if t == nil || o == nil {
		return fmt.Errorf("metrics: Table.Merge: nil Table")
	}
	if err := o.checkUnique(); err != nil {
		return err
	}
	if err := t.checkUnique(); err != nil {
		return err
	}
	out := Table{Rows: make([]Row, len(t.Rows), len(t.Rows)+len(o.Rows)), Figures: t.Figures, Confidence: t.Confidence}
	for i, r := range t.Rows {
		out.Rows[i] = Row{Label: r.Label, Params: r.Params, Summary: r.Summary.Clone()}
	}
	for _, r := range o.Rows {
		if mine := out.Find(r.Label, r.Params...); mine != nil {
			if err := mine.Summary.Merge(r.Summary); err != nil {
				return fmt.Errorf("metrics: Table row %s: %w", r.name(), err)
			}
			continue
		}
		out.Rows = append(out.Rows, Row{Label: r.Label, Params: append([]Param(nil), r.Params...), Summary: r.Summary.Clone()})
	}
	if err := out.checkUnique(); err != nil {
		return err
	}
	for i := range t.Rows {
		t.Rows[i].Summary = out.Rows[i].Summary // the same rows, merged; callers' *Row stay valid
	}
	t.Rows = append(t.Rows, out.Rows[len(t.Rows):]...)
	return nil
}

// name is the row's label and params as an error message names it.
func (r *Row) name() string {
	s := fmt.Sprintf("%q", r.Label)
	for _, p := range r.Params {
		s += fmt.Sprintf(" %s=%s", p.Name, p.Value)
	}
	return s
}

// checkUnique refuses nil summaries, two rows with the same label and
// params, and two rows whose summaries have the same fingerprint.
func (t *Table) checkUnique() error {
	fps := map[string]int{}
	for i := range t.Rows {
		r := &t.Rows[i]
		if r.Summary == nil {
			return fmt.Errorf("metrics: Table.Rows[%d] = %s: Summary is nil", i, r.name())
		}
		for j := 0; j < i; j++ {
			if r.Label == t.Rows[j].Label && paramsEqual(r.Params, t.Rows[j].Params) {
				return fmt.Errorf("metrics: Table.Rows[%d] = %s: duplicates row %d (label and params must be unique)", i, r.name(), j)
			}
		}
		if fp := r.Summary.Fingerprint(); fp != "" {
			if j, ok := fps[fp]; ok {
				return fmt.Errorf("metrics: Table.Rows[%d] = %s: has the fingerprint %q of row %d = %s: a copy of another row under a new label", i, r.name(), fp, j, t.Rows[j].name())
			}
			fps[fp] = i
		}
	}
	return nil
}

// CheckComplete reports the first row of t that does not hold exactly runs
// [0, runs) of each population it has (bad runs, healthy runs), as the
// merge of every shard of a sweep of runs runs per point must: a row
// without a recorded origin (Summary.SetOrigin), or with runs missing. It
// allocates nothing in proportion to runs.
func (t *Table) CheckComplete(runs int64) error {
	if t == nil {
		return fmt.Errorf("metrics: Table.CheckComplete: nil Table")
	}
	if runs <= 0 {
		return fmt.Errorf("metrics: Table.CheckComplete: runs = %d: must be > 0", runs)
	}
	if err := t.checkUnique(); err != nil {
		return err
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		if r.Summary.Fingerprint() == "" {
			return fmt.Errorf("metrics: Table row %s: no run ranges recorded (Summary.SetOrigin): completeness cannot be checked", r.name())
		}
		for p := Population(0); p < numPopulations; p++ {
			rs := r.Summary.origin.ranges[p]
			if len(rs) == 0 {
				continue
			}
			if gap := firstGap(rs, runs); gap != nil {
				return fmt.Errorf("metrics: Table row %s: %s runs [%d, %d) are missing (want runs [0, %d))", r.name(), p, gap.First, gap.End, runs)
			}
			if last := rs[len(rs)-1]; last.End > runs {
				return fmt.Errorf("metrics: Table row %s: %s runs [%d, %d) are beyond the %d runs of the sweep", r.name(), p, max(last.First, runs), last.End, runs)
			}
		}
	}
	return nil
}

// firstGap returns the first range of [0, runs) that rs (canonical) misses.
func firstGap(rs []RunRange, runs int64) *RunRange {
	var next int64
	for _, r := range rs {
		if r.First > next {
			return &RunRange{next, min(r.First, runs)}
		}
		next = r.End
	}
	if next < runs {
		return &RunRange{next, runs}
	}
	return nil
}

func (t *Table) level() float64 {
	if t.Confidence == 0 {
		return DefaultConfidence
	}
	return t.Confidence
}

// shown is the figures of the full CSV: Table.Figures, or all of them.
func (t *Table) shown() []Figure {
	if t.Figures != nil {
		return t.Figures
	}
	return RunFigures
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

// Write renders t in format f with the default options (WriteOptions{}).
func (t *Table) Write(w io.Writer, f Format) error { return t.WriteWith(w, f, WriteOptions{}) }

// WriteWith renders t in format f with options o: the columns of text,
// Markdown and CSV, and whether JSON carries the mergeable state. A nil
// Table or writer, a row with a nil Summary or an unknown column is an error.
func (t *Table) WriteWith(w io.Writer, f Format, o WriteOptions) error {
	if t == nil {
		return fmt.Errorf("metrics: Table.Write: nil Table")
	}
	if w == nil {
		return fmt.Errorf("metrics: Table.Write: nil io.Writer")
	}
	if err := t.checkRows(); err != nil {
		return err
	}
	switch f {
	case Text, Markdown:
		header, numeric, lines, sketch, err := t.cells(o)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if f == Text {
			writeAligned(&b, header, numeric, lines)
		} else {
			writeMarkdown(&b, header, numeric, lines)
		}
		if sketch {
			fmt.Fprintf(&b, "~ quantile from the sketch, within %g%%: more than %d runs had the figure\n", 100*SketchAccuracy, ExactValues)
		}
		_, err = w.Write(b.Bytes())
		return err
	case CSV:
		return t.writeCSV(w, o)
	case JSON:
		return t.writeJSON(w, o.WithState)
	}
	return fmt.Errorf("metrics: Format = %d: must be Text, Markdown, CSV or JSON", f)
}

// checkRows refuses rows without a Summary.
func (t *Table) checkRows() error {
	for i := range t.Rows {
		if t.Rows[i].Summary == nil {
			return fmt.Errorf("metrics: Table.Rows[%d] = %s: Summary is nil", i, t.Rows[i].name())
		}
	}
	return nil
}

// cells builds the human table: a header and one line per row; numeric[i]
// says whether column i holds numbers (right-aligned); sketch whether a
// quantile shown came from the sketch.
func (t *Table) cells(o WriteOptions) (header []string, numeric []bool, lines [][]string, sketch bool, err error) {
	cols, err := t.columns(o, false)
	if err != nil {
		return nil, nil, nil, false, err
	}
	level := t.level()
	pct := strconv.FormatFloat(level*100, 'g', -1, 64) + "%"
	header = append(header, "strategy")
	numeric = append(numeric, false)
	pnames := t.paramNames()
	for _, n := range pnames {
		header = append(header, n)
		numeric = append(numeric, false)
	}
	for _, c := range cols {
		header = append(header, c.header(pct))
		numeric = append(numeric, true)
	}
	for _, r := range t.Rows {
		line := []string{r.Label}
		for _, n := range pnames {
			line = append(line, paramValue(r.Params, n))
		}
		for _, c := range cols {
			text, sk := c.cell(r.Summary, level)
			sketch = sketch || sk
			line = append(line, text)
		}
		lines = append(lines, line)
	}
	return header, numeric, lines, sketch, nil
}

// fmtNum prints a figure for people: whole numbers as they are (counts,
// order statistics of counts, whole seconds), others to about four
// significant digits, "-" for a figure no run had.
func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "-"
	case a < 1e15 && v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
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

// fmtRate prints a rate in percent with its interval, compactly (no
// trailing ".0"): "100% [98.1,100]", "2.5% [1.1,5.7]".
func fmtRate(p Proportion) string {
	if math.IsNaN(p.Value) {
		return "-"
	}
	return fmtPct(p.Value) + "% [" + fmtPct(p.CILow) + "," + fmtPct(p.CIHigh) + "]"
}

func fmtPct(v float64) string {
	s := strconv.FormatFloat(100*v, 'f', PercentDecimals(v, 1), 64)
	return strings.TrimSuffix(s, ".0")
}

// PercentDecimals is how many decimals (at least min) 100·p needs so that
// a p strictly between 0 and 1 reads neither 0 nor 100: one significant
// digit of its distance to the nearer end when min decimals would round it
// away (one is enough to say how far from certain; a second widened the
// default table past 120 columns). With no success in n runs the Wilson
// upper bound is about z²/n (3.84/n at 95 %, the "rule of three"): at n =
// 100,000 that is 0.0038 %, which one decimal printed as [0,0], an interval
// that claims certainty the runs cannot give; it prints 0.004.
func PercentDecimals(p float64, min int) int {
	x := 100 * math.Min(p, 1-p) // percent from the nearer end
	if !(x > 0) || x >= 0.5*math.Pow(10, -float64(min)) {
		return min // 0, 1, NaN, or it already shows
	}
	return max(min, -int(math.Floor(math.Log10(x))))
}

// fmtHalf prints the half-width of an interval to two significant digits:
// it says how far the mean may be off, not a figure of its own.
func fmtHalf(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// WriteText renders t as aligned columns (labels left, numbers right) with
// DefaultColumns: the strategy and its params, runs, the detection and
// false-rollback rates in percent with their Wilson interval, then each
// figure's mean ± the half-width of the mean's confidence interval and its
// p95 in a column named after it ("failures p95"). Headers carry the unit
// ("detect (s)"); "-" marks a figure no run had; "~" marks a quantile from
// the sketch (more than ExactValues runs), explained in a last line. See
// WriteWith for other columns.
func (t *Table) WriteText(w io.Writer) error { return t.WriteWith(w, Text, WriteOptions{}) }

func writeAligned(b *bytes.Buffer, header []string, numeric []bool, lines [][]string) {
	width := make([]int, len(header))
	for _, l := range append([][]string{header}, lines...) {
		for i, c := range l {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
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
}

// WriteMarkdown renders t as a Markdown table with numbers right-aligned,
// with the columns of WriteText.
func (t *Table) WriteMarkdown(w io.Writer) error { return t.WriteWith(w, Markdown, WriteOptions{}) }

func writeMarkdown(b *bytes.Buffer, header []string, numeric []bool, lines [][]string) {
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
}

var statColumns = []string{"n", "mean", "stddev", "min", "max", "p50", "p95", "p99", "ci_low", "ci_high"}

// WriteCSV renders t for spreadsheets and scripts: one header line, then one
// line per row with strategy, the params, runs, the rates with their
// intervals, the outcome counts and, per figure, the columns
// <figure>_{n,mean,stddev,min,max,p50,p95,p99,ci_low,ci_high} (of
// Table.Figures when set, else of every figure). Numbers are written at
// full precision; a figure no run had is an empty cell. With
// WriteOptions.Columns (WriteWith), the columns are the strategy, the
// params and those named, headed by their names.
func (t *Table) WriteCSV(w io.Writer) error { return t.WriteWith(w, CSV, WriteOptions{}) }

func (t *Table) writeCSV(w io.Writer, o WriteOptions) error {
	cols, err := t.columns(o, true)
	if err != nil {
		return err
	}
	if cols != nil {
		return t.writeCSVColumns(w, cols)
	}
	level := t.level()
	pnames := t.paramNames()
	head := append([]string{"strategy"}, pnames...)
	head = append(head, "runs")
	for _, f := range []Figure{DetectionRate, FalseRollbackRate} {
		head = append(head, f.String(), f.String()+"_ci_low", f.String()+"_ci_high")
	}
	for o := Outcome(0); o < NumOutcomes; o++ {
		head = append(head, o.Key())
	}
	figs := t.shown()
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

// writeCSVColumns writes the strategy, the params and cols at full precision.
func (t *Table) writeCSVColumns(w io.Writer, cols []Column) error {
	level := t.level()
	pnames := t.paramNames()
	head := append([]string{"strategy"}, pnames...)
	for _, c := range cols {
		head = append(head, c.Name)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		line := []string{r.Label}
		for _, n := range pnames {
			line = append(line, paramValue(r.Params, n))
		}
		for _, c := range cols {
			v, _ := c.value(r.Summary, level)
			line = append(line, csvNum(v))
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
