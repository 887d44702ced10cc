package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// WriteOptions chooses what a rendering of a Table shows. The zero value
// is the default: DefaultColumns in text and Markdown, every figure in CSV,
// JSON without the mergeable state.
type WriteOptions struct {
	// Columns lists the columns of a text, Markdown or CSV table after the
	// strategy and the grid params, by their names in JSON (see
	// ParseColumn): "runs", a rate ("false_rollback_rate": its value and
	// Wilson interval), a per-run figure ("candidate_failures": its mean ±
	// the half-width of the mean's interval), one statistic of a figure
	// ("candidate_failures.p95", ".p50", ".p99", ".mean", ".stddev",
	// ".min", ".max", ".n", ".ci_low", ".ci_high"; a rate's ".value",
	// ".ci_low", ".ci_high", ".successes", ".trials") or an outcome count
	// ("outcomes.rolled_back"). nil means DefaultColumns (or, with Wide,
	// every column).
	Columns []string
	// Wide shows every figure with its mean, p50, p95 and p99, and every
	// outcome count (ignored when Columns is set).
	Wide bool
	// WithState adds each row's mergeable state ("state") to JSON: what
	// ReadTable needs to read the table back and Table.Merge to combine
	// shards. Without it the JSON is the derived numbers only.
	WithState bool
}

// DefaultColumns are the columns of a text or Markdown table when neither
// WriteOptions.Columns nor Table.Figures chooses: the rates, then the
// blast radius, the time to detect and the duration, each with its mean and
// one percentile. With strategy names of up to 30 characters it fits a
// 120-column terminal.
var DefaultColumns = []string{
	"detection_rate", "false_rollback_rate",
	"candidate_failures", "candidate_failures.p95",
	"time_to_detect_s", "duration_s",
}

// DefaultFigures are the per-run figures that describe a comparison in
// full: the blast radius (failures, users hit), the times to detect and to
// roll back, and the duration. Wider views than the text table (the
// report's HTML) show them; DefaultColumns picks three of them to fit 120
// columns.
var DefaultFigures = []Figure{CandidateFailures, UsersHit, TimeToDetect, TimeToRollback, DeployDuration}

// Column is one parsed column of a table.
type Column struct {
	Name    string  // the name as given ("candidate_failures.p95")
	Figure  Figure  // the figure or rate, unless Runs or an outcome
	Stat    string  // "" for a figure's mean ± interval or a rate with its interval; else the statistic
	Runs    bool    // the "runs" column
	Outcome Outcome // with IsOutcome, the outcome counted
	// IsOutcome says the column counts the runs of Outcome.
	IsOutcome bool
}

var figureStats = []string{"mean", "stddev", "min", "max", "p50", "p95", "p99", "n", "ci_low", "ci_high"}
var rateStats = []string{"value", "ci_low", "ci_high", "successes", "trials"}

// ParseColumn reads one column name (see WriteOptions.Columns).
func ParseColumn(name string) (Column, error) {
	c := Column{Name: name}
	if name == "runs" {
		c.Runs = true
		return c, nil
	}
	if o, ok := strings.CutPrefix(name, "outcomes."); ok {
		for k := Outcome(0); k < NumOutcomes; k++ {
			if k.Key() == o {
				c.Outcome, c.IsOutcome = k, true
				return c, nil
			}
		}
		return c, fmt.Errorf("metrics: column = %q: outcome must be one of %s", clip(name), strings.Join(outcomeKeys(), ", "))
	}
	fig, stat, _ := strings.Cut(name, ".")
	f, err := ParseFigure(fig)
	if err != nil {
		return c, fmt.Errorf("metrics: column = %q: must be runs, outcomes.OUTCOME, or a figure or rate with an optional .STAT: %w", clip(name), err)
	}
	c.Figure, c.Stat = f, stat
	if stat == "" && strings.HasSuffix(name, ".") {
		return c, fmt.Errorf("metrics: column = %q: empty statistic", clip(name))
	}
	allowed := figureStats
	if f.IsRate() {
		allowed = rateStats
	}
	if stat != "" && !contains(allowed, stat) {
		return c, fmt.Errorf("metrics: column = %q: statistic %q of %s must be one of %s", clip(name), clip(stat), f, strings.Join(allowed, ", "))
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// columns resolves the options against t into parsed columns.
func (t *Table) columns(o WriteOptions, csv bool) ([]Column, error) {
	names := o.Columns
	switch {
	case names != nil:
	case o.Wide:
		names = []string{"runs", DetectionRate.String(), FalseRollbackRate.String()}
		for _, f := range RunFigures {
			names = append(names, f.String(), f.String()+".p50", f.String()+".p95", f.String()+".p99")
		}
		for k := Outcome(0); k < NumOutcomes; k++ {
			names = append(names, "outcomes."+k.Key())
		}
	case csv:
		return nil, nil // the full CSV layout
	case t.Figures != nil:
		names = []string{"runs", DetectionRate.String(), FalseRollbackRate.String()}
		for _, f := range t.Figures {
			if f.IsRate() {
				if f != DetectionRate && f != FalseRollbackRate {
					names = append(names, f.String())
				}
				continue
			}
			names = append(names, f.String(), f.String()+".p95")
		}
	default:
		names = DefaultColumns
	}
	cols := make([]Column, 0, len(names))
	for _, n := range names {
		c, err := ParseColumn(n)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// figureName and figureUnit split a figure's label for headers: "detect"
// and "s" make "detect (s)" and "detect p95 (s)".
func figureUnit(f Figure) string {
	switch f {
	case Exposure, TimeToDetect, TimeToRollback, DeployDuration:
		return "s"
	case CandidateP99Latency, BaselineP99Latency:
		return "ms"
	}
	return ""
}

func withUnit(s string, f Figure) string {
	if u := figureUnit(f); u != "" {
		return s + " (" + u + ")"
	}
	return s
}

// header is the column's heading in text and Markdown.
func (c Column) header(pct string) string {
	switch {
	case c.Runs:
		return "runs"
	case c.IsOutcome:
		return c.Outcome.String()
	case c.Figure == DetectionRate && c.Stat == "":
		return c.Figure.Label() + " [" + pct + " CI]"
	case c.Figure.IsRate() && c.Stat == "":
		return c.Figure.Label() // the interval's level is in the detection header
	case c.Figure.IsRate():
		return c.Figure.Label() + " " + strings.ReplaceAll(c.Stat, "_", " ")
	case c.Stat == "" || c.Stat == "mean":
		return withUnit(c.Figure.Label(), c.Figure)
	case c.Stat == "n":
		return c.Figure.Label() + " n"
	}
	return withUnit(c.Figure.Label()+" "+strings.ReplaceAll(c.Stat, "_", " "), c.Figure)
}

// cell is the column's text for row s: formatted for people, and whether it
// is a quantile from the sketch (marked "~").
func (c Column) cell(s *Summary, level float64) (text string, sketch bool) {
	switch {
	case c.Runs:
		return strconv.FormatInt(s.Runs(), 10), false
	case c.IsOutcome:
		return strconv.FormatInt(s.Outcomes(c.Outcome), 10), false
	case c.Figure.IsRate():
		p := s.RateAt(c.Figure, level)
		switch c.Stat {
		case "":
			return fmtRate(p), false
		case "successes":
			return strconv.FormatInt(p.Successes, 10), false
		case "trials":
			return strconv.FormatInt(p.Trials, 10), false
		}
		v, _ := c.value(s, level)
		return fmtNum(v), false
	}
	st := s.StatsAt(c.Figure, level)
	switch c.Stat {
	case "":
		mean := fmtNum(st.Mean)
		if !math.IsNaN(st.CIHigh) {
			mean += " ±" + fmtHalf(st.CIHigh-st.Mean)
		}
		return mean, false
	case "n":
		return strconv.FormatInt(st.N, 10), false
	}
	v, _ := c.value(s, level)
	q := c.Stat == "p50" || c.Stat == "p95" || c.Stat == "p99"
	if q && !st.Exact && !math.IsNaN(v) {
		return "~" + fmtNum(v), true
	}
	return fmtNum(v), false
}

// value is the column's number for row s at full precision (a figure's
// mean, a rate's value for the bare name), and whether a quantile came
// from the sketch. NaN when no run had the figure.
func (c Column) value(s *Summary, level float64) (float64, bool) {
	switch {
	case c.Runs:
		return float64(s.Runs()), false
	case c.IsOutcome:
		return float64(s.Outcomes(c.Outcome)), false
	case c.Figure.IsRate():
		p := s.RateAt(c.Figure, level)
		switch c.Stat {
		case "ci_low":
			return p.CILow, false
		case "ci_high":
			return p.CIHigh, false
		case "successes":
			return float64(p.Successes), false
		case "trials":
			return float64(p.Trials), false
		}
		return p.Value, false
	}
	st := s.StatsAt(c.Figure, level)
	switch c.Stat {
	case "", "mean":
		return st.Mean, false
	case "stddev":
		return st.StdDev, false
	case "min":
		return st.Min, false
	case "max":
		return st.Max, false
	case "p50":
		return st.P50, !st.Exact
	case "p95":
		return st.P95, !st.Exact
	case "p99":
		return st.P99, !st.Exact
	case "n":
		return float64(st.N), false
	case "ci_low":
		return st.CILow, false
	case "ci_high":
		return st.CIHigh, false
	}
	return math.NaN(), false
}
