package metrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// oriented returns the value Pareto and Best minimise: Value(f), negated
// when higher is better.
func oriented(s *Summary, f Figure) float64 {
	v := s.Value(f)
	if f.HigherIsBetter() {
		return -v
	}
	return v
}

// Pareto returns the rows no other row beats on both figures x and y: row a
// dominates row b when a is no worse on both and strictly better on one. It
// compares Summary.Value: the mean of a per-run figure, the value of a rate;
// every figure is minimised except DetectionRate, which is maximised.
//
// Ties: rows with equal values on both figures do not dominate each other,
// so they are all on the front (or all off it). Rows where either figure is
// NaN (no run had it, e.g. no detection) are left out. The front is sorted
// by x from best to worst, then by y, then by table order.
func Pareto(rows []Row, x, y Figure) []Row {
	type pt struct {
		i    int
		x, y float64
	}
	var pts []pt
	for i, r := range rows {
		if r.Summary == nil {
			continue
		}
		p := pt{i, oriented(r.Summary, x), oriented(r.Summary, y)}
		if math.IsNaN(p.x) || math.IsNaN(p.y) {
			continue
		}
		pts = append(pts, p)
	}
	var front []pt
	for _, p := range pts {
		dominated := false
		for _, q := range pts {
			if q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, p)
		}
	}
	sort.SliceStable(front, func(a, b int) bool {
		if front[a].x != front[b].x {
			return front[a].x < front[b].x
		}
		return front[a].y < front[b].y
	})
	out := make([]Row, len(front))
	for k, p := range front {
		out[k] = rows[p.i]
	}
	return out
}

// Bound says which side of its limit a Constraint keeps.
type Bound uint8

const (
	// Upper: the limit is an upper bound (the figure must be at most the limit).
	Upper Bound = iota
	// Lower: the limit is a lower bound (the figure must be at least the limit).
	Lower
)

// Constraint is a requirement a row must meet to be recommended, on
// Summary.Value of a figure (a mean or a rate).
type Constraint struct {
	Figure Figure
	Bound  Bound
	Limit  float64
	// Confident compares the far end of the confidence interval instead of
	// the estimate (the upper end for Upper, the lower for Lower), so a row
	// qualifies only if the data show it meets the limit.
	Confident bool
}

// AtMost requires Value(f) <= limit.
func AtMost(f Figure, limit float64) Constraint {
	return Constraint{Figure: f, Bound: Upper, Limit: limit}
}

// AtLeast requires Value(f) >= limit.
func AtLeast(f Figure, limit float64) Constraint {
	return Constraint{Figure: f, Bound: Lower, Limit: limit}
}

// String is "duration_s <= 1800" or "detection_rate >= 0.95 (CI)".
func (c Constraint) String() string {
	op := "<="
	if c.Bound == Lower {
		op = ">="
	}
	s := fmt.Sprintf("%v %s %g", c.Figure, op, c.Limit)
	if c.Confident {
		s += " (CI)"
	}
	return s
}

func (c Constraint) validate() error {
	if !c.Figure.valid() {
		return fmt.Errorf("metrics: Constraint.Figure = %d: not a figure", c.Figure)
	}
	if c.Bound > Lower {
		return fmt.Errorf("metrics: Constraint.Bound = %d: must be Upper or Lower", c.Bound)
	}
	if math.IsNaN(c.Limit) {
		return fmt.Errorf("metrics: Constraint.Limit = NaN: must be a number")
	}
	return nil
}

// check returns the compared value and whether it meets the constraint. A
// figure no run had never meets it.
func (c Constraint) check(s *Summary, level float64) (float64, bool) {
	v := s.Value(c.Figure)
	if c.Confident {
		lo, hi := math.NaN(), math.NaN()
		if c.Figure.IsRate() {
			p := s.RateAt(c.Figure, level)
			lo, hi = p.CILow, p.CIHigh
		} else {
			st := s.StatsAt(c.Figure, level)
			lo, hi = st.CILow, st.CIHigh
		}
		if c.Bound == Upper {
			v = hi
		} else {
			v = lo
		}
	}
	if math.IsNaN(v) {
		return v, false
	}
	if c.Bound == Upper {
		return v, v <= c.Limit
	}
	return v, v >= c.Limit
}

// ErrNoneQualifies is returned (wrapped) by Best when no row meets every constraint.
var ErrNoneQualifies = errors.New("no row meets every constraint")

// Verdict says why a row was not recommended.
type Verdict struct {
	Row    Row
	Index  int // in the table's Rows
	Reason string
}

// Choice is the row Best chose and why every other row lost.
type Choice struct {
	Row    Row
	Index  int     // in the table's Rows
	Value  float64 // the objective's Value for the row
	Others []Verdict
}

// Best picks the row of t that is best on objective (the lowest Value,
// or the highest for DetectionRate) among the rows that meet every
// constraint, e.g.
//
//	Best(t, CandidateFailures, AtMost(DeployDuration, 1800), AtMost(FalseRollbackRate, 0.01))
//
// Rows with equal objective values tie; the first in table order wins and
// the others say so. A row whose objective no run had cannot win. The error
// wraps ErrNoneQualifies and names each row's first failed constraint when
// no row qualifies.
func Best(t *Table, objective Figure, constraints ...Constraint) (Choice, error) {
	if t == nil {
		return Choice{}, fmt.Errorf("metrics: Best: nil Table")
	}
	if !objective.valid() {
		return Choice{}, fmt.Errorf("metrics: Best objective = %d: not a figure", objective)
	}
	for i, c := range constraints {
		if err := c.validate(); err != nil {
			return Choice{}, fmt.Errorf("metrics: Best constraint %d: %w", i, err)
		}
	}
	level := t.level()
	reasons := make([]string, len(t.Rows))
	best := -1
	for i, r := range t.Rows {
		if r.Summary == nil {
			reasons[i] = "no summary"
			continue
		}
		for _, c := range constraints {
			if v, ok := c.check(r.Summary, level); !ok {
				reasons[i] = fmt.Sprintf("fails %v: %s", c, fmtValue(v))
				break
			}
		}
		if reasons[i] != "" {
			continue
		}
		v := oriented(r.Summary, objective)
		if math.IsNaN(v) {
			reasons[i] = fmt.Sprintf("no run had %v", objective)
			continue
		}
		if best < 0 || v < oriented(t.Rows[best].Summary, objective) {
			best = i
		}
	}
	if best < 0 {
		var b strings.Builder
		for i, r := range t.Rows {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", rowName(r), reasons[i])
		}
		if len(t.Rows) == 0 {
			b.WriteString("the table is empty")
		}
		return Choice{}, fmt.Errorf("metrics: Best: %w: %s", ErrNoneQualifies, b.String())
	}
	win := t.Rows[best]
	wv := win.Summary.Value(objective)
	rec := Choice{Row: win, Index: best, Value: wv}
	for i, r := range t.Rows {
		if i == best {
			continue
		}
		reason := reasons[i]
		if reason == "" {
			v := r.Summary.Value(objective)
			if v == wv {
				reason = fmt.Sprintf("ties %s on %v = %s; listed later", rowName(win), objective, fmtValue(v))
			} else {
				reason = fmt.Sprintf("%v = %s, worse than %s's %s", objective, fmtValue(v), rowName(win), fmtValue(wv))
			}
		}
		rec.Others = append(rec.Others, Verdict{Row: r, Index: i, Reason: reason})
	}
	return rec, nil
}

func fmtValue(v float64) string {
	if math.IsNaN(v) {
		return "no data"
	}
	return fmt.Sprintf("%.4g", v)
}

func rowName(r Row) string {
	if len(r.Params) == 0 {
		return r.Label
	}
	var b strings.Builder
	b.WriteString(r.Label)
	for _, p := range r.Params {
		fmt.Fprintf(&b, " %s=%s", p.Name, p.Value)
	}
	return b.String()
}
