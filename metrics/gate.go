package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Gate is a check a CI pipeline runs on a table: the expression
// "false_rollback_rate > 0.05" fails every row whose false-rollback rate
// may exceed 5 %. The left side names a number of a row as JSON does (see
// ParseColumn): a rate ("false_rollback_rate", or ".value", ".ci_low", …),
// a per-run figure ("candidate_failures" is its mean) or one of its
// statistics ("candidate_failures.p95"), "runs" or an outcome count
// ("outcomes.false_rollback"). The operator is >, >=, < or <=; the right
// side a finite number, or a percentage ("5%" is 0.05).
//
// A row is judged conservatively: on the end of the number's uncertainty
// that would fail it. For "> x" and ">= x" (too large fails) a mean or a
// rate is judged on the upper bound of its confidence interval (Student t
// for a mean, Wilson for a rate, at the table's level), so the gate fails
// unless the data show the number is within the limit; for "< x" and
// "<= x" on the lower bound. A quantile is exact up to ExactValues runs and
// judged as it is; beyond, it comes from the sketch and is moved by
// SketchAccuracy toward failing. Other statistics (min, max, n, an
// interval's end, counts) are exact and judged as they are. A mean of a
// single run has no interval and is judged as it is. A number no run had
// (the time to detect of a row that detected nothing, the false-rollback
// rate of a row without healthy runs) fails: the gate cannot show it is
// within the limit.
type Gate struct {
	Column    Column  // the number judged
	Op        string  // ">", ">=", "<" or "<="
	Threshold float64 // the limit
}

// Failure is one row a gate fails, and why.
type Failure struct {
	Row    int     // index in Table.Rows
	Label  string  // the row's strategy
	Params []Param // the row's grid coordinates
	Gate   Gate
	Judged float64 // the number compared with the threshold (the conservative bound)
	Value  float64 // the estimate itself (a mean, a rate, a quantile)
	Reason string  // for people: what was compared, e.g. "upper 95% bound 0.073 (estimate 0.02, 2 of 100)"
}

// String names the row and the reason, in one line.
func (f Failure) String() string {
	name := f.Label
	for _, p := range f.Params {
		name += " " + p.Name + "=" + p.Value
	}
	return fmt.Sprintf("%s: %s: %s", name, f.Gate, f.Reason)
}

// ParseGate reads an expression such as "candidate_failures.p95 > 100".
func ParseGate(s string) (Gate, error) {
	fail := func(format string, a ...any) (Gate, error) {
		return Gate{}, fmt.Errorf("metrics: gate = %q: %s", clip(s), fmt.Sprintf(format, a...))
	}
	var op string
	i := strings.IndexAny(s, "<>")
	if i < 0 {
		return fail("want NAME OP NUMBER with OP one of >, >=, <, <= (e.g. \"false_rollback_rate > 0.05\")")
	}
	op = s[i : i+1]
	j := i + 1
	if j < len(s) && s[j] == '=' {
		op += "="
		j++
	}
	name, num := strings.TrimSpace(s[:i]), strings.TrimSpace(s[j:])
	if strings.ContainsAny(num, "<>=") {
		return fail("one comparison only")
	}
	if name == "" {
		return fail("no name before %s", op)
	}
	c, err := ParseColumn(name)
	if err != nil {
		return fail("%v", err)
	}
	scale := 1.0
	if p, ok := strings.CutSuffix(num, "%"); ok {
		num, scale = strings.TrimSpace(p), 0.01
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || num == "" {
		return fail("threshold %q: must be a finite number", clip(num))
	}
	return Gate{Column: c, Op: op, Threshold: v * scale}, nil
}

// String writes the gate back in the syntax ParseGate reads.
func (g Gate) String() string {
	return g.Column.Name + " " + g.Op + " " + strconv.FormatFloat(g.Threshold, 'g', -1, 64)
}

// Check judges every row of t and returns those the gate fails, in row
// order (none: the table passes). A nil Table, a row with a nil Summary or
// a Gate that ParseGate did not make is an error.
func (g Gate) Check(t *Table) ([]Failure, error) {
	if t == nil {
		return nil, fmt.Errorf("metrics: Gate.Check: nil Table")
	}
	if err := t.checkRows(); err != nil {
		return nil, err
	}
	if _, err := ParseColumn(g.Column.Name); err != nil || !validOp(g.Op) || math.IsNaN(g.Threshold) {
		return nil, fmt.Errorf("metrics: Gate.Check: gate %q: not made by ParseGate", g)
	}
	var out []Failure
	level := t.level()
	for i, r := range t.Rows {
		judged, value, reason := g.judge(r.Summary, level)
		fails := math.IsNaN(judged)
		switch g.Op {
		case ">":
			fails = fails || judged > g.Threshold
		case ">=":
			fails = fails || judged >= g.Threshold
		case "<":
			fails = fails || judged < g.Threshold
		case "<=":
			fails = fails || judged <= g.Threshold
		}
		if fails {
			out = append(out, Failure{Row: i, Label: r.Label, Params: r.Params, Gate: g, Judged: judged, Value: value, Reason: reason})
		}
	}
	return out, nil
}

func validOp(op string) bool { return op == ">" || op == ">=" || op == "<" || op == "<=" }

// judge returns the number compared with the threshold, the estimate, and
// a sentence saying which it was.
func (g Gate) judge(s *Summary, level float64) (judged, value float64, reason string) {
	upper := g.Op[0] == '>'
	side, bound := "lower", "low"
	if upper {
		side, bound = "upper", "high"
	}
	pct := strconv.FormatFloat(100*level, 'g', -1, 64) + "%"
	c := g.Column
	v, sketch := c.value(s, level)
	nan := math.NaN()
	switch {
	case c.Runs || c.IsOutcome:
		return v, v, fmt.Sprintf("%s = %s", c.Name, fmtGate(v))
	case c.Figure.IsRate() && (c.Stat == "" || c.Stat == "value"):
		p := s.RateAt(c.Figure, level)
		if math.IsNaN(p.Value) {
			return nan, nan, fmt.Sprintf("no run to measure %s on (0 trials): cannot show it is within the limit", c.Figure)
		}
		b := p.CILow
		if upper {
			b = p.CIHigh
		}
		return b, p.Value, fmt.Sprintf("%s %s bound %s (estimate %s, %d of %d runs; ci_%s)", side, pct, fmtGate(b), fmtGate(p.Value), p.Successes, p.Trials, bound)
	case !c.Figure.IsRate() && (c.Stat == "" || c.Stat == "mean"):
		st := s.StatsAt(c.Figure, level)
		switch {
		case st.N == 0:
			return nan, nan, fmt.Sprintf("no run had %s: cannot show it is within the limit", c.Figure)
		case math.IsNaN(st.CIHigh):
			return st.Mean, st.Mean, fmt.Sprintf("mean %s of %d run (no interval)", fmtGate(st.Mean), st.N)
		}
		b := st.CILow
		if upper {
			b = st.CIHigh
		}
		return b, st.Mean, fmt.Sprintf("%s %s bound of the mean %s (mean %s over %d runs; ci_%s)", side, pct, fmtGate(b), fmtGate(st.Mean), st.N, bound)
	}
	if math.IsNaN(v) {
		return nan, nan, fmt.Sprintf("no run had %s: cannot show it is within the limit", c.Figure)
	}
	if sketch {
		d := float64(SketchAccuracy * math.Abs(v)) // rounded on its own: no fused multiply-add
		b := v - d
		if upper {
			b = v + d
		}
		return b, v, fmt.Sprintf("%s = %s from the sketch, judged at %s (%g%% %s)", c.Name, fmtGate(v), fmtGate(b), 100*SketchAccuracy, map[bool]string{true: "above", false: "below"}[upper])
	}
	return v, v, fmt.Sprintf("%s = %s", c.Name, fmtGate(v))
}

func fmtGate(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
