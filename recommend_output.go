package deploysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// PolicyFlags is a policy as `deploysim compare` flags spell it.
type PolicyFlags struct {
	// Policy is the --policy value (none, alarms, compare, sequential), or
	// the policy's Name when the command line cannot express it.
	Policy string
	// Alarms are the --alarm values, in --alarm's Key=Value syntax.
	Alarms []string
	// Args are the complete policy flags (--policy, each --alarm, and the
	// policy's parameters); nil when the policy is not expressible.
	Args []string
	// Err says why the policy is not expressible (nil when it is).
	Err error
}

// DescribePolicy writes p as the command line's flags: CodeDeploy alarms
// (rollback.Alarms with no PollOffset, alarms of whole-second periods and
// the default evaluation range), the baseline comparison the command line
// builds for --policy compare, rollback.Sequential with its default rate
// ratios, or nil (--policy none). Any other policy, a user's own type
// included, gets its Name and an Err.
func DescribePolicy(p rollback.Policy) PolicyFlags {
	dur := func(d time.Duration) string { return d.String() }
	switch p := p.(type) {
	case nil:
		return PolicyFlags{Policy: "none", Args: []string{"--policy", "none"}}
	case rollback.Alarms:
		f := PolicyFlags{Policy: "alarms"}
		if err := p.Validate(); err != nil {
			// --policy alarms without an --alarm would run the default alarm.
			f.Err = fmt.Errorf("deploysim: DescribePolicy: %w", err)
			return f
		}
		if p.PollOffset != 0 {
			f.Err = fmt.Errorf("PollOffset = %v: the command line has no flag for it", p.PollOffset)
		}
		f.Args = []string{"--policy", "alarms"}
		for _, a := range p.Alarms {
			s, err := AlarmFlag(a)
			if err != nil && f.Err == nil {
				f.Err = err
			}
			f.Alarms = append(f.Alarms, s)
			f.Args = append(f.Args, "--alarm", s)
		}
		f.Args = append(f.Args, "--evaluation-interval", dur(p.EvaluationInterval), "--poll-interval", dur(p.PollInterval))
		if f.Err != nil {
			f.Args = nil
		}
		return f
	case rollback.BaselineComparison:
		f := PolicyFlags{Policy: "compare"}
		if want := comparePolicy(p.Confidence); p.Interval <= 0 || !reflect.DeepEqual(withInterval(want, p.Interval), p) {
			f.Err = fmt.Errorf("%s: only the command line's comparison (error test, NoDataHold, default period and sample sizes) has flags", p.Name())
			return f
		}
		f.Args = []string{"--policy", "compare", "--compare-confidence", fnum(p.Confidence), "--evaluation-interval", dur(p.Interval)}
		return f
	case rollback.Sequential:
		f := PolicyFlags{Policy: "sequential"}
		if err := p.Validate(); err != nil {
			f.Err = fmt.Errorf("deploysim: DescribePolicy: %w", err)
			return f
		}
		if p.MinRatio != 0 || p.MaxRatio != 0 {
			f.Err = fmt.Errorf("%s: MinRatio and MaxRatio have no flags", p.Name())
			return f
		}
		f.Args = []string{"--policy", "sequential", "--sequential-alpha", fnum(p.Alpha), "--evaluation-interval", dur(p.Interval)}
		return f
	}
	return PolicyFlags{Policy: p.Name(), Err: fmt.Errorf("%s (%T): the command line has no flags for this policy", p.Name(), p)}
}

func withInterval(c rollback.BaselineComparison, d time.Duration) rollback.BaselineComparison {
	c.Interval = d
	return c
}

// fnum writes f as a flag value; -0 is written 0 (a threshold of -0 from a
// space file or a caller's alarm is zero).
func fnum(f float64) string {
	if f == 0 {
		f = 0 // clears the sign of -0
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// AlarmFlag writes a in the --alarm flag's Key=Value syntax, every field
// given (CloudWatch's PutMetricAlarm names). An alarm whose period is not a
// whole number of seconds or whose EvaluationRange is set (no such field on
// the command line) is written all the same, with an error. An alarm that
// fails rollback.Alarm.Validate (the zero Alarm has no name, metric period
// or evaluation periods) is not written: "" and its error, wrapped.
func AlarmFlag(a rollback.Alarm) (string, error) {
	if err := a.Validate(); err != nil {
		return "", fmt.Errorf("deploysim: AlarmFlag: %w", err)
	}
	var err error
	if a.Period%time.Second != 0 {
		err = fmt.Errorf("alarm %s: Period = %v: --alarm takes whole seconds", a.Name, a.Period)
	}
	if a.EvaluationRange != 0 {
		err = fmt.Errorf("alarm %s: EvaluationRange = %d: --alarm has no such field", a.Name, a.EvaluationRange)
	}
	if strings.ContainsAny(a.Name, ",=") {
		err = fmt.Errorf("alarm %q: a name with ',' or '=' does not fit --alarm's syntax", clip(a.Name))
	}
	m := a.DatapointsToAlarm
	if m == 0 {
		m = a.EvaluationPeriods
	}
	s := fmt.Sprintf("AlarmName=%s,MetricName=%s,Dimension=%s,Statistic=%s,Period=%d,EvaluationPeriods=%d,DatapointsToAlarm=%d,Threshold=%s,ComparisonOperator=%s,TreatMissingData=%s",
		a.Name, a.Metric, a.Dimension, a.Statistic, int64(a.Period/time.Second), a.EvaluationPeriods, m, fnum(a.Threshold), a.Comparison, a.TreatMissingData)
	if a.Statistic.Kind == metrics.Percentile {
		s += ",EvaluateLowSampleCountPercentile=" + a.EvaluateLowSampleCountPercentile.String()
	}
	return s, err
}

// CompareArgs is the complete list of `deploysim compare` flags that
// reproduces c's figures on the same scenario (whose flags are not
// included): the strategy, the policy and its parameters, and the runs.
// Pass another --seed to check them on fresh draws. The error says why
// when the policy has no flags (DescribePolicy).
func (c *Candidate) CompareArgs() ([]string, error) {
	if c == nil {
		return nil, fmt.Errorf("deploysim: CompareArgs: nil Candidate")
	}
	f := DescribePolicy(c.Policy)
	if f.Err != nil {
		return nil, f.Err
	}
	if c.Strategy == nil {
		return nil, fmt.Errorf("deploysim: Candidate.Strategy = nil: a candidate needs a strategy")
	}
	args := []string{"--strategies", c.Strategy.String()}
	args = append(args, f.Args...)
	return append(args, "--runs", strconv.Itoa(c.Runs)), nil
}

// kv is one field of a JSON object, kept in order.
type kv struct {
	key string
	val json.RawMessage
}

// fields splits a JSON object into its fields, in order.
func fields(b []byte) ([]kv, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("deploysim: not a JSON object")
	}
	var out []kv
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, kv{t.(string), v})
	}
	return out, nil
}

func object(fs []kv) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// jnum is a float64 that writes NaN and ±Inf as null.
type jnum float64

func (n jnum) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(float64(n), 'g', -1, 64)), nil
}

// entryJSON writes a candidate as compare's row, with "policy" and
// "alarms" after "strategy" and the limits' verdicts after the figures
// (the mergeable "state" is left out: the figures are the answer).
func (c *Candidate) entryJSON(extra ...kv) (json.RawMessage, error) {
	row := metrics.Row{Label: c.Strategy.String(), Summary: c.Summary}
	b, err := row.MarshalJSON()
	if err != nil {
		return nil, err
	}
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	pf := DescribePolicy(c.Policy)
	alarms := pf.Alarms
	if alarms == nil {
		alarms = []string{}
	}
	out := []kv{fs[0], {"policy", raw(pf.Policy)}, {"alarms", raw(alarms)}}
	for _, f := range fs[1:] {
		if f.key != "state" {
			out = append(out, f)
		}
	}
	type verdict struct {
		Figure   string `json:"figure"`
		Limit    jnum   `json:"limit"`
		Estimate jnum   `json:"estimate"`
		Bound    jnum   `json:"bound"`
		Met      bool   `json:"met"`
	}
	vs := make([]verdict, len(c.Verdicts))
	for i, v := range c.Verdicts {
		vs[i] = verdict{v.Figure.String(), jnum(v.Limit), jnum(v.Estimate), jnum(v.Bound), v.Met}
	}
	out = append(out, kv{"limits", raw(vs)})
	if c.Dropped != "" {
		out = append(out, kv{"dropped", raw(c.Dropped)})
	}
	return object(append(out, extra...)), nil
}

// MarshalJSON writes the limits as the JSON output spells them: each set
// limit, the objective and the confidence.
func (c Constraints) MarshalJSON() ([]byte, error) {
	var fs []kv
	opt := func(key string, v float64) {
		if v > 0 {
			fs = append(fs, kv{key, raw(v)})
		}
	}
	opt("max_false_rollback", c.MaxFalseRollback)
	opt("min_detection", c.MinDetection)
	opt("max_duration_s", c.MaxDuration.Seconds())
	opt("max_time_to_rollback_s", c.MaxTimeToRollback.Seconds())
	fs = append(fs, kv{"minimize", raw(c.Objective.String())}, kv{"confidence", raw(c.confidence())})
	return object(fs), nil
}

// WriteJSON writes the recommendation:
//
//	{"scenario": scenario, "constraints": {…}, "feasible": bool, "closest": "…",
//	 "best": ENTRY, "preset": ENTRY, "pareto": [ENTRY + "fronts": [figure…]],
//	 "evaluated": {"configurations": N, "runs": R, "exhaustive_runs": E, "preset_runs": P,
//	               "dropped": {reason: n}},
//	 "compare_args": [flag…]}
//
// where ENTRY is compare's JSON row (metrics.Row, without its mergeable
// state) with "policy" (a --policy value) and "alarms" (--alarm values)
// after "strategy" (a strategy.Parse name), and "limits": each limit's
// estimate, confidence bound and verdict. compare_args is Best's
// CompareArgs (null when its policy has no flags). scenario is written as
// given (the command line passes its scenario settings).
func (r *Recommendation) WriteJSON(w io.Writer, scenario any) error {
	if r == nil || r.Best == nil {
		return fmt.Errorf("deploysim: WriteJSON: empty recommendation")
	}
	best, err := r.Best.entryJSON()
	if err != nil {
		return err
	}
	var preset json.RawMessage = json.RawMessage("null")
	if r.Preset != nil {
		if preset, err = r.Preset.entryJSON(); err != nil {
			return err
		}
	}
	pareto := []json.RawMessage{}
	for _, c := range r.paretoUnion() {
		var figs []string
		for _, f := range r.Pareto {
			for _, m := range f.Candidates {
				if m == c {
					figs = append(figs, f.Y.String())
				}
			}
		}
		e, err := c.entryJSON(kv{"fronts", raw(figs)})
		if err != nil {
			return err
		}
		pareto = append(pareto, e)
	}
	args, _ := r.Best.CompareArgs()
	dropped := r.Dropped
	if dropped == nil {
		dropped = map[string]int{}
	}
	doc := object([]kv{
		{"scenario", raw(scenario)},
		{"constraints", raw(r.Constraints)},
		{"feasible", raw(r.Feasible)},
		{"closest", raw(r.Closest)},
		{"best", best},
		{"preset", preset},
		{"pareto", raw(pareto)},
		{"evaluated", object([]kv{
			{"configurations", raw(r.Configurations)},
			{"runs", raw(r.Runs)},
			{"exhaustive_runs", raw(r.Exhaustive)},
			{"preset_runs", raw(r.PresetRuns)},
			{"dropped", raw(dropped)},
		})},
		{"compare_args", raw(args)},
	})
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// paretoUnion lists the members of every front once, in space order.
func (r *Recommendation) paretoUnion() []*Candidate {
	var out []*Candidate
	seen := map[*Candidate]bool{}
	for _, f := range r.Pareto {
		for _, c := range f.Candidates {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Index < out[j-1].Index; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Label is how text output names a candidate: "strategy / policy", the
// policy written as its --alarm values when it is CodeDeploy's alarms.
func (c *Candidate) Label() string {
	if c == nil {
		return "(no candidate)"
	}
	f := DescribePolicy(c.Policy)
	p := f.Policy
	switch {
	case f.Policy == "alarms":
		var parts []string
		for _, a := range c.Policy.(rollback.Alarms).Alarms {
			parts = append(parts, alarmShort(a))
		}
		p = strings.Join(parts, " + ")
	case c.Policy != nil:
		p = c.Policy.Name()
	}
	st := "(no strategy)"
	if c.Strategy != nil {
		st = c.Strategy.String()
	}
	return st + " / " + p
}

// alarmShort is a one-glance alarm: "Errors(candidate) Sum >= 2, 2 of 3 × 60s".
func alarmShort(a rollback.Alarm) string {
	m := a.DatapointsToAlarm
	if m == 0 {
		m = a.EvaluationPeriods
	}
	s := fmt.Sprintf("%s(%s) %s %s %s, %d of %d × %v", a.Metric, a.Dimension, a.Statistic, a.Comparison.Symbol(), fnum(a.Threshold), m, a.EvaluationPeriods, a.Period)
	if a.TreatMissingData != rollback.TreatNotBreaching {
		s += ", missing data " + a.TreatMissingData.String()
	}
	return s
}

// WriteText writes the recommendation for people: the answer, how it
// stands against each limit and against the best preset, the Pareto
// fronts as tables, what the search spent and the compare flags that
// reproduce it.
func (r *Recommendation) WriteText(w io.Writer) error {
	if r == nil || r.Best == nil {
		return fmt.Errorf("deploysim: WriteText: empty recommendation")
	}
	var b strings.Builder
	obj := r.Constraints.Objective
	if r.Feasible {
		fmt.Fprintf(&b, "recommended: %s\n", r.Best.Label())
	} else {
		fmt.Fprintf(&b, "no configuration meets every limit: %s\nclosest: %s\n", r.Closest, r.Best.Label())
	}
	conf := r.Constraints.confidence()
	for _, v := range r.Best.Verdicts {
		op, side := "<=", "upper"
		if v.Lower {
			op, side = ">=", "lower"
		}
		met := "met"
		if !v.Met {
			met = "NOT met"
		}
		fmt.Fprintf(&b, "  %s %.4g (%g%% %s bound %.4g %s %g: %s)\n", v.Figure, v.Estimate, 100*conf, side, v.Bound, op, v.Limit, met)
	}
	fmt.Fprintf(&b, "  %s %.4g over %d bad runs\n", obj, r.Best.Summary.Value(obj), r.Best.Runs)
	if len(r.Best.Verdicts) == 0 {
		fmt.Fprintf(&b, "  (no limit set: nothing holds the false-rollback rate down; the best configuration may roll back most healthy releases)\n")
	}
	if p := r.Preset; p != nil {
		fmt.Fprintf(&b, "best CodeDeploy preset under the scenario's policy: %s: %s %.4g", p.Label(), obj, p.Summary.Value(obj))
		var missed []string
		for _, v := range p.Verdicts {
			if !v.Met {
				missed = append(missed, fmt.Sprintf("%s %.4g", v.Figure, v.Estimate))
			}
		}
		if len(missed) > 0 {
			fmt.Fprintf(&b, " (no preset meets every limit; this one misses %s)", strings.Join(missed, ", "))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "searched %d configurations with %d runs (%.1f%% of the %d an exhaustive grid at %d runs each would take)",
		r.Configurations, r.Runs, 100*float64(r.Runs)/float64(max(r.Exhaustive, 1)), r.Exhaustive, r.Exhaustive/max(2*r.Configurations, 1))
	var reasons []string
	for _, k := range []string{DropViolated, DropDominated, DropHalving, DropScreened} {
		if n := r.Dropped[k]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(&b, "; dropped early: %s", strings.Join(reasons, ", "))
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, f := range r.Pareto {
		fmt.Fprintf(w, "\nPareto front: %s against %s\n", f.X, f.Y)
		t := metrics.Table{Figures: []metrics.Figure{f.X, metrics.DeployDuration}}
		for _, c := range f.Candidates {
			t.Add(c.Label(), c.Summary)
		}
		if err := t.WriteText(w); err != nil {
			return err
		}
	}
	if args, err := r.Best.CompareArgs(); err == nil {
		fmt.Fprintf(w, "\nreproduce with other seeds: deploysim compare [scenario flags] %s --seed N\n", shellJoin(args))
	}
	return nil
}

// shellJoin quotes the arguments that need it for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}();&|<>#~%") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}
