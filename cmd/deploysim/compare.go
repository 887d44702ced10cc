package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/strategy"
	"github.com/spf13/cobra"
)

// newCompareCmd is `deploysim compare`: one row per strategy on one
// scenario.
func newCompareCmd(s streams) *cobra.Command {
	var o outputOptions
	var so *scenarioOptions
	cmd := &cobra.Command{
		Use:   "compare [flags]",
		Short: "Compare strategies on one scenario",
		Long: `Simulates --runs deployments of each strategy on one scenario and prints one
row per strategy: detection and false-rollback rates with 95% Wilson
intervals, the candidate's failed requests (mean ± half-width of its 95%
interval, and p95), the time to detect and the deployment duration
(seconds). --columns picks other columns by their JSON names, --wide shows
every figure with its p50, p95 and p99. Quantiles are exact order
statistics up to 10,000 runs, from a 1% sketch beyond (marked "~"). With a
bad candidate each run has a healthy twin on the same seed (no fault, ending with the deployment; the row's runs
count both): the bad runs give detection, blast radius and times to detect
and roll back, the twins the false-rollback rate and the duration, as
deploysim.Compare does.

With no flags it compares every Lambda preset on the documented default:
` + defaultScenarioSentence() + `

--format json writes {"scenario": every effective setting (a valid
--scenario file), "resolution": "request" or "bucket", "confidence": 0.95,
"rows": [{"strategy", "runs", "detection_rate", "false_rollback_rate" (each
{value, ci_low, ci_high, ...}), "candidate_failures", "users_hit",
"time_to_detect_s", "time_to_rollback_s", "duration_s", ... (each {n, mean,
stddev, min, max, p50, p95, p99, ci_low, ci_high, quantiles}), and with
--with-state the mergeable "state"}]}; "deploysim schema" prints its JSON
Schema. --fail-if 'EXPR' (repeatable) exits 1 naming the rows where EXPR
holds, judged on the end of the confidence interval that fails it.

Every scenario flag is also a --scenario file key ('-' written '_').`,
		Example: `  deploysim compare
  deploysim compare --rps 1 -o markdown
  deploysim compare -s Canary10Percent5Minutes,Linear:20%,1m --error-rate 0.02 -n 500
  deploysim compare --error-rate 0 --horizon 0        # healthy candidate only
  deploysim compare --alarm MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold,TreatMissingData=notBreaching
  deploysim compare --policy sequential --sequential-alpha 0.01
  deploysim compare --fail-if 'false_rollback_rate > 0.05' --fail-if 'candidate_failures.p95 > 100'
  deploysim compare --columns runs,detection_rate,candidate_failures.p99,outcomes.missed
  deploysim compare -o json > run.json && deploysim compare --scenario run.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCompare(cmd.Context(), s, so, &o)
		},
	}
	o.addFormatFlag(cmd, "table")
	so = addScenarioFlags(cmd.Flags())
	so.warn = s.err // --from warnings
	registerCompletions(cmd)
	return cmd
}

// defaultScenarioSentence describes deploysim.DefaultScenario from the
// constants that build it, so that the help cannot quote a default the
// library no longer has (it once said 100 req/s and 5 % after both moved).
func defaultScenarioSentence() string {
	return fmt.Sprintf(`a modest function at %g req/s of Poisson traffic, a bad candidate whose fault
fails an extra %g%% of its invocations (both versions fail %g%% when healthy),
where the presets differ in every figure (deploysim.DefaultScenario), 10,000 users, a
CloudWatch alarm on the candidate's error rate >= %g%% in one minute watched by
CodeDeploy (polled every minute, 60 s ingestion delay, 5 s rollback), runs
measured over a %g-hour horizon.`, deploysim.DefaultRate, 100*deploysim.DefaultFaultErrorProb,
		100*deploysim.DefaultBaselineErrorProb, 100*deploysim.DefaultAlarmThreshold, deploysim.DefaultHorizon.Hours())
}

// runCompare simulates the scenario the flags describe and writes the table.
func runCompare(ctx context.Context, s streams, so *scenarioOptions, o *outputOptions) error {
	f, err := o.parseFormat()
	if err != nil {
		return err
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ss, err := resolveStrategies(&c, s.err)
	if err != nil {
		return err
	}
	to, err := s.progressTo()
	if err != nil {
		return err
	}
	warnScenario(s.err, map[string]bool{}, &c, ss)
	if sc, err := c.Scenario(ss[0]); err == nil {
		warnBlindAlarms(s.err, sc) // the alarms are the same for every strategy
	}
	t, engine, err := compareTable(ctx, &c, ss, to)
	return writeOutcome(s.out, o, f, t, []field{{"scenario", &c}, {"resolution", engine}}, func(w io.Writer) {
		io.WriteString(w, comment(describe(&c, engine)))
	}, err)
}

// compareTable simulates c.Runs deployments of each strategy, and their
// healthy twins (runs 0..Runs-1, so the rows are what deploysim.Compare
// gives for the same scenario), and fills c's implicit settings. engine is
// the resolution the runs used. When ctx is cancelled it returns the rows
// done so far (the last one possibly with fewer runs) and an error wrapping
// errInterrupted.
func compareTable(ctx context.Context, c *scenario.File, ss []strategy.Strategy, to progressTo) (*metrics.Table, string, error) {
	c.Fill(ss)
	p := newProgress(to, "compare", c.Runs*len(ss))
	defer p.finish()
	t := &metrics.Table{}
	engines := map[string]bool{}
	for _, s := range ss {
		sc, err := c.Scenario(s)
		if err != nil {
			return nil, "", err
		}
		sum, engine, _, err := simulateRange(ctx, sc, 0, c.Runs, p)
		if sum != nil {
			engines[engine] = true
			t.Add(s.Name(), sum)
		}
		if errors.Is(err, errInterrupted) {
			return t, engineName(engines), err
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", s.Name(), err)
		}
	}
	return t, engineName(engines), nil
}

// partialNote is the "partial" key of an interrupted command's JSON: the
// rows hold only the runs done (each row's "runs" says how many), and
// their state merges as any other.
type partialNote struct {
	Interrupted bool  `json:"interrupted"`
	Runs        int64 `json:"runs"`
}

// writeOutcome writes the result of a command that ran to err: the table
// when err is nil; after an interruption, the rows done, said to be
// partial (in a comment line above a text table, under "partial" in JSON,
// and in the error line on stderr), then an error wrapping errInterrupted;
// otherwise only err. A complete result is then judged by o's --fail-if
// gates (a *gateError, exit status 1, when one fails); a partial one is not.
func writeOutcome(w io.Writer, o *outputOptions, f metrics.Format, t *metrics.Table, fields []field, header func(io.Writer), err error) error {
	if err == nil {
		if werr := writeResult(w, o, f, t, fields, header); werr != nil {
			return werr
		}
		return o.checkGates(t)
	}
	if !errors.Is(err, errInterrupted) {
		return err
	}
	if t == nil || len(t.Rows) == 0 {
		return fmt.Errorf("%w before any run was done", errInterrupted)
	}
	var n int64
	for _, r := range t.Rows {
		n += r.Summary.Runs()
	}
	fields = append(fields, field{"partial", partialNote{Interrupted: true, Runs: n}})
	h := func(w io.Writer) {
		if header != nil {
			header(w)
		}
		fmt.Fprintf(w, "# partial: interrupted; the rows hold the %d runs done (each row's runs say how many)\n", n)
	}
	partial := *o
	partial.withState = true // what was done is a shard to merge with the rest
	if len(partial.columns) == 0 && !partial.wide {
		// The partial line points at each row's runs: show them, since
		// the rows of an interrupted run hold different counts.
		partial.columns = append([]string{"runs"}, metrics.DefaultColumns...)
	}
	if werr := writeResult(w, &partial, f, t, fields, h); werr != nil {
		return werr
	}
	return fmt.Errorf("%w: the output is partial, %d runs", errInterrupted, n)
}

// engineName names the engines a set of runs used: one name, or the names
// joined with '+' (sorted) when the simulator picked different ones.
func engineName(set map[string]bool) string {
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "+")
}

// field is one key of the JSON document the commands write around a table.
type field struct {
	key   string
	value any
}

// writeResult writes t in format f with o's columns and state. JSON is one
// object: fields in order, then the table's "confidence" and "rows"
// (metrics.Table's schema, `deploysim schema`). header, when set, writes a
// comment line above a text table.
func writeResult(w io.Writer, o *outputOptions, f metrics.Format, t *metrics.Table, fields []field, header func(io.Writer)) error {
	if f != metrics.JSON {
		if f == metrics.Text && header != nil {
			header(w)
		}
		return t.WriteWith(w, f, o.options())
	}
	var tj bytes.Buffer
	if err := t.WriteWith(&tj, metrics.JSON, o.options()); err != nil {
		return err
	}
	tb := tj.Bytes()
	var parts struct {
		Confidence json.RawMessage `json:"confidence"`
		Rows       json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(tb, &parts); err != nil {
		return err
	}
	fields = append(fields, field{"confidence", parts.Confidence}, field{"rows", parts.Rows})
	return writeFields(w, fields)
}

// writeFields writes fields as one indented JSON object, keys in order
// (encoding/json would sort a map's), and a final newline.
func writeFields(w io.Writer, fields []field) error {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, fl := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(fl.key)
		v, err := json.Marshal(fl.value)
		if err != nil {
			return fmt.Errorf("%s: %w", fl.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// tableWidth is the terminal width the text table and its comment fit.
const tableWidth = 120

// comment writes s as "# " comment lines no wider than tableWidth, broken
// after the commas and semicolons that separate its clauses (a clause
// longer than a line stays whole).
func comment(s string) string {
	var b strings.Builder
	line := "#"
	for _, clause := range splitClauses(s) {
		if len(line) > 1 && len(line)+1+len(clause) > tableWidth {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + clause
	}
	b.WriteString(line + "\n")
	return b.String()
}

// splitClauses cuts s after each ", " or "; ", keeping the separator's
// punctuation with the clause before it.
func splitClauses(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, ",;")
		for i >= 0 && (i+1 >= len(s) || s[i+1] != ' ') {
			j := strings.IndexAny(s[i+1:], ",;")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+2:]
	}
	return out
}

// describe summarises the scenario in one line for the text table's header.
func describe(c *scenario.File, engine string) string {
	return describeGrid(c, engine, false)
}

// describeGrid is describe for a sweep when swept is set: the request rate
// and the error regression are then the grid's, not the scenario's.
func describeGrid(c *scenario.File, engine string, swept bool) string {
	var b strings.Builder
	switch {
	case swept:
		fmt.Fprintf(&b, "%d runs each, %s traffic", c.Runs, c.Traffic)
	case strings.HasPrefix(c.Traffic, "trace:"):
		fmt.Fprintf(&b, "%d runs each, %s", c.Runs, c.Traffic)
	default:
		fmt.Fprintf(&b, "%d runs each, %g req/s %s", c.Runs, c.RPS, c.Traffic)
	}
	if !swept && (c.ErrorRate > 0 || c.LatencyRegression != 1) {
		// The runs column counts the healthy twins too (deploysim.Estimate).
		fmt.Fprintf(&b, " (+%d healthy twins)", c.Runs)
	}
	switch {
	case swept:
	case c.ErrorRate > 0:
		fmt.Fprintf(&b, ", candidate fault +%g%% errors", 100*c.ErrorRate)
	default:
		b.WriteString(", healthy candidate")
	}
	if c.LatencyRegression != 1 {
		fmt.Fprintf(&b, ", latency ×%g", c.LatencyRegression)
	}
	fmt.Fprintf(&b, " (baseline %g%% errors)", 100*c.BaselineErrorRate)
	switch c.Policy {
	case "alarms":
		names := make([]string, len(c.Alarms))
		for i, a := range c.Alarms {
			names[i] = a.AlarmName
		}
		fmt.Fprintf(&b, ", policy alarms(%s)", strings.Join(names, ","))
	default:
		fmt.Fprintf(&b, ", policy %s", c.Policy)
	}
	if c.Horizon > 0 {
		fmt.Fprintf(&b, ", horizon %v", c.Horizon)
	}
	fmt.Fprintf(&b, ", seed %d, resolution %s", c.Seed, engine)
	return b.String()
}
