package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/deploysim/deploysim/chart"
	"github.com/deploysim/deploysim/metrics"
)

// DefaultDocsURL is where the report's assumption links point: the
// repository's docs/model.md, readable without the repository at hand.
const DefaultDocsURL = "https://github.com/deploysim/deploysim/blob/main/docs/model.md"

// Report is a page of one or more studies.
type Report struct {
	Title string
	// Intro is an optional first paragraph.
	Intro string
	// Studies in the order shown.
	Studies []*Study
	// DocsURL is the docs/model.md the assumptions link to; "" means
	// DefaultDocsURL.
	DocsURL string
}

// check reports what makes r unwritable: a nil Report or a nil study.
func (r *Report) check() error {
	if r == nil {
		return fmt.Errorf("report: nil Report")
	}
	for i, st := range r.Studies {
		if st == nil {
			return fmt.Errorf("report: Report.Studies[%d] is nil", i)
		}
	}
	return nil
}

func (r *Report) docsURL() string {
	if r.DocsURL != "" {
		return r.DocsURL
	}
	return DefaultDocsURL
}

// The section ids of a study's parts, prefixed with the study's id (s1, s2 …):
// tests and links find them by these.
const (
	SectionSimulated   = "simulated"
	SectionResults     = "results"
	SectionCharts      = "charts"
	SectionAssumptions = "assumptions"
	SectionNotModelled = "not-modelled"
)

// Chart ids, prefixed like sections.
const (
	ChartWeights  = "weights"
	ChartAlarm    = "alarm"
	ChartFailures = "failures"
	ChartPareto   = "pareto"
)

// namedChart is one chart of a study, with a caption whose numbers come
// from the data it draws.
type namedChart struct {
	ID, Title, Caption string
	Figure             *chart.Figure
}

// Charts are the charts of study st that its data allows, in the order
// the report shows them: weights over time, what the alarm saw in one bad
// run, the failures per strategy, the Pareto front of a good release's
// duration against a bad one's failures.
func (st *Study) charts() ([]namedChart, error) {
	var out []namedChart
	if len(st.Weights) > 0 {
		p, err := chart.Weights(st.Weights)
		if err != nil {
			return nil, err
		}
		p.Title.Text = "Candidate's share of traffic in each strategy's first bad run"
		out = append(out, namedChart{ChartWeights, "Weights over time", weightsCaption(st.Weights), chart.NewFigure(p)})
	}
	if st.Alarm != nil && st.Alarm.Series != nil && len(st.Alarm.Series.Periods) > 0 {
		f, err := chart.AlarmFigure(*st.Alarm)
		if err != nil {
			return nil, err
		}
		title := "One bad run, as the alarm saw it"
		if !st.Alarm.HasThreshold {
			title = "One bad run: the candidate's failed invocations per period (the policy has no CloudWatch alarm)"
		}
		out = append(out, namedChart{ChartAlarm, title, alarmCaption(st.Alarm), f})
	}
	if st.Table != nil && hasFigure(st.Table, metrics.CandidateFailures) {
		p, err := chart.Failures(st.Table, metrics.CandidateFailures)
		if err != nil {
			return nil, err
		}
		out = append(out, namedChart{ChartFailures, "Failed requests per bad deployment", failuresCaption(st.Table), chart.NewFigure(p)})
	}
	if st.Table != nil {
		ps := chart.PointsOf(st.Table, st.Table, metrics.DeployDuration, metrics.CandidateFailures)
		if len(ps) >= 2 {
			p, err := chart.Pareto(ps, metrics.DeployDuration, metrics.CandidateFailures)
			if err != nil {
				return nil, err
			}
			out = append(out, namedChart{ChartPareto, "Speed against harm", paretoCaption(ps), chart.NewFigure(p)})
		}
	}
	return out, nil
}

func hasFigure(t *metrics.Table, f metrics.Figure) bool {
	for _, r := range t.Rows {
		if r.Summary != nil && r.Summary.Stats(f).N > 0 {
			return true
		}
	}
	return false
}

func weightsCaption(ls []chart.WeightLine) string {
	var rolled []string
	first := time.Duration(math.MaxInt64)
	for _, l := range ls {
		if l.WeightZero > 0 && l.WeightZero != metrics.Never {
			rolled = append(rolled, l.Label)
			first = min(first, l.WeightZero)
		}
	}
	if len(rolled) == 0 {
		return fmt.Sprintf("None of the %d strategies was rolled back in its first bad run: each curve is its schedule to 100 %%.", len(ls))
	}
	return fmt.Sprintf("%d of %d strategies were rolled back in their first bad run (crosses), the earliest %s after traffic shifting started; the others ran their schedule to 100 %%.", len(rolled), len(ls), dur(first))
}

func alarmCaption(v *chart.AlarmRun) string {
	var b strings.Builder
	segs := chart.AlarmSegments(*v)
	n := 0
	for _, s := range segs {
		n += len(s) / 2
	}
	fmt.Fprintf(&b, "%s: %d periods with a datapoint", v.Label, n)
	if len(segs) > 1 {
		fmt.Fprintf(&b, " (%d gaps where the candidate had no invocation)", len(segs)-1)
	}
	b.WriteString(".")
	if v.Detected != metrics.Never && v.Detected >= 0 {
		fmt.Fprintf(&b, " The rollback was decided %s after traffic shifting started", dur(v.Detected))
		if v.WeightZero != metrics.Never {
			fmt.Fprintf(&b, " and the weight was back at 0 at %s", dur(v.WeightZero))
		}
		b.WriteString(".")
	} else {
		b.WriteString(" This run was not rolled back.")
	}
	return b.String()
}

func failuresCaption(t *metrics.Table) string {
	type med struct {
		label string
		v     float64
	}
	var ms []med
	for _, r := range t.Rows {
		if r.Summary != nil && r.Summary.Stats(metrics.CandidateFailures).N > 0 {
			ms = append(ms, med{r.Label, r.Summary.Quantile(metrics.CandidateFailures, 0.5)})
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].v < ms[j].v })
	if len(ms) == 1 {
		return fmt.Sprintf("In half the bad runs of %s, at most %s requests failed.", ms[0].label, num(ms[0].v))
	}
	lo, hi := ms[0], ms[len(ms)-1]
	return fmt.Sprintf("Median failed requests per bad deployment run from %s (%s) to %s (%s); each curve is the share of bad runs with at most that many.", num(math.Round(lo.v)), lo.label, num(math.Round(hi.v)), hi.label)
}

func paretoCaption(ps []chart.Point) string {
	front := chart.Front(ps, metrics.DeployDuration, metrics.CandidateFailures)
	var names []string
	for _, q := range front {
		names = append(names, fmt.Sprintf("%s (%s min, %s failures)", q.Label, num(math.Round(q.X/60*10)/10), num(math.Round(q.Y))))
	}
	return fmt.Sprintf("Mean time a good release takes to reach 100 %% against mean failed requests of a bad one. On the front, where no strategy is better on both: %s.", strings.Join(names, "; "))
}
