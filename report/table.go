package report

import (
	"math"
	"strconv"

	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/metrics"
)

// cell is one number of the comparison table: its text, and the figure,
// statistic and exact value it shows, which the HTML carries in data-*
// attributes so that a reader (or a test) can match it with the JSON
// output's rows[i][figure][stat].
type cell struct {
	Text   string
	Figure string // JSON key of the figure ("candidate_failures"), "" for labels
	Stat   string // JSON key of the statistic ("mean", "p95", "value")
	Value  string // strconv 'g' -1 of the value; "" when it is NaN
	Note   string // interval text shown after the number, "" if none
}

type tableView struct {
	Head []string
	Rows [][]cell
}

// view lays t out with the columns of the text table: strategy, grid
// parameters, runs, detection and false-rollback rates with their
// intervals, then each figure's mean ± the interval's half width and p95.
func view(t *metrics.Table) tableView {
	figs := t.Figures
	if figs == nil {
		figs = metrics.DefaultFigures
	}
	level := t.Confidence
	if level == 0 {
		level = metrics.DefaultConfidence
	}
	var v tableView
	v.Head = []string{"strategy"}
	var params []string
	seen := map[string]bool{}
	for _, r := range t.Rows {
		for _, p := range r.Params {
			if !seen[p.Name] {
				seen[p.Name] = true
				params = append(params, p.Name)
			}
		}
	}
	v.Head = append(v.Head, params...)
	v.Head = append(v.Head, "runs", heading(metrics.DetectionRate), heading(metrics.FalseRollbackRate))
	for _, f := range figs {
		v.Head = append(v.Head, heading(f), "p95")
	}
	for _, r := range t.Rows {
		row := []cell{{Text: r.Label}}
		for _, name := range params {
			val := ""
			for _, p := range r.Params {
				if p.Name == name {
					val = p.Value
				}
			}
			row = append(row, cell{Text: val})
		}
		row = append(row, cell{Text: strconv.FormatInt(r.Summary.Runs(), 10), Figure: "runs", Stat: "", Value: strconv.FormatInt(r.Summary.Runs(), 10)})
		for _, f := range []metrics.Figure{metrics.DetectionRate, metrics.FalseRollbackRate} {
			p := r.Summary.RateAt(f, level)
			c := cell{Text: "–", Figure: f.String(), Stat: "value"}
			if !math.IsNaN(p.Value) {
				c.Text = pct1(p.Value) + " %"
				c.Value = g(p.Value)
				c.Note = "[" + pct1(p.CILow) + ", " + pct1(p.CIHigh) + "]"
			}
			row = append(row, c)
		}
		for _, f := range figs {
			s := r.Summary.StatsAt(f, level)
			mean := cell{Text: "–", Figure: f.String(), Stat: "mean"}
			p95 := cell{Text: "–", Figure: f.String(), Stat: "p95"}
			if s.N > 0 {
				mean.Text, mean.Value = short(s.Mean), g(s.Mean)
				if !math.IsNaN(s.CIHigh) {
					mean.Note = "± " + short((s.CIHigh-s.CILow)/2)
				}
				p95.Text, p95.Value = short(s.P95), g(s.P95)
			}
			row = append(row, mean, p95)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

func g(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// num1 writes v with one decimal.
func num1(v float64) string { return chart.FormatNumber(v, 1) }

// pct1 writes a proportion in percent with one decimal, or as many more as
// keep a p strictly between 0 and 1 from reading 0 or 100
// (metrics.PercentDecimals): a 0-success interval over 100,000 runs is [0, 0.004], not [0, 0].
func pct1(p float64) string { return chart.FormatNumber(100*p, metrics.PercentDecimals(p, 1)) }

// short writes v with four significant digits at most: 36,686, 61.17,
// 0.5, 125.
func short(v float64) string {
	a := math.Abs(v)
	dec := 0
	switch {
	case a == 0 || a >= 1000:
		dec = 0
	case a >= 100:
		dec = 1
	case a >= 10:
		dec = 2
	default:
		dec = 3
	}
	s := chart.FormatNumber(v, dec)
	return s
}

// heading is a figure's column heading: a few words and the unit.
func heading(f metrics.Figure) string {
	switch f {
	case metrics.DetectionRate:
		return "bad releases rolled back"
	case metrics.FalseRollbackRate:
		return "good releases rolled back"
	case metrics.CandidateFailures:
		return "failed requests"
	case metrics.UsersHit:
		return "users hit"
	case metrics.TimeToDetect:
		return "time to detect (s)"
	case metrics.TimeToRollback:
		return "time to weight 0 (s)"
	case metrics.DeployDuration:
		return "time to 100 % (s)"
	}
	return f.Label()
}
