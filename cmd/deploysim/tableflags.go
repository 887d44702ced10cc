package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
)

// tableFlags are the output flags every command that writes a table has:
// which columns, the mergeable state in JSON, and CI gates on the result.
// They are parsed before the simulation runs, so a typo costs nothing.
type tableFlags struct {
	columns   []string
	wide      bool
	withState bool
	failIf    []string
	gates     []metrics.Gate // parsed from failIf
}

// add registers the flags on cmd and checks them before it runs.
func (f *tableFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.columns, "columns", nil, "table columns after the strategy, by their JSON `NAMES` (comma-separated): runs, a rate, a figure (its mean ± CI), FIGURE.p50|p95|p99|min|max|stddev|n|ci_low|ci_high, outcomes.OUTCOME")
	fl.BoolVar(&f.wide, "wide", false, "every column: each figure's mean, p50, p95 and p99, and the outcome counts")
	fl.BoolVar(&f.withState, "with-state", false, "JSON: add each row's mergeable state (\"state\"; sweep shards always have it)")
	fl.StringArrayVar(&f.failIf, "fail-if", nil, "exit 1 naming the rows where `EXPR` holds, e.g. 'false_rollback_rate > 0.05' or 'candidate_failures.p95 > 100', judged on the conservative end of the confidence interval (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("columns", completeColumns)
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := f.parse(); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// parse checks --columns and --fail-if, naming the flag at fault.
func (f *tableFlags) parse() error {
	for _, c := range f.columns {
		if _, err := metrics.ParseColumn(strings.TrimSpace(c)); err != nil {
			return fmt.Errorf("--columns: %w", err)
		}
	}
	f.gates = f.gates[:0]
	for _, e := range f.failIf {
		g, err := metrics.ParseGate(e)
		if err != nil {
			return fmt.Errorf("--fail-if: %w", err)
		}
		f.gates = append(f.gates, g)
	}
	return nil
}

// options are the metrics writer's options the flags ask for.
func (f *tableFlags) options() metrics.WriteOptions {
	var cols []string
	for _, c := range f.columns {
		cols = append(cols, strings.TrimSpace(c))
	}
	return metrics.WriteOptions{Columns: cols, Wide: f.wide, WithState: f.withState}
}

// checkGates judges t with every --fail-if: nil when all pass, else a
// gateError (exit status 1) naming each failing row, the expression and
// the number it was judged on.
func (f *tableFlags) checkGates(t *metrics.Table) error {
	if err := f.parse(); err != nil {
		return err
	}
	var fails []string
	rows := map[int]bool{}
	for _, g := range f.gates {
		fs, err := g.Check(t)
		if err != nil {
			return err
		}
		for _, x := range fs {
			fails = append(fails, x.String())
			rows[x.Row] = true
		}
	}
	if len(fails) == 0 {
		return nil
	}
	return &gateError{msg: fmt.Sprintf("--fail-if: %d of %d rows fail: %s", len(rows), len(t.Rows), strings.Join(fails, "; "))}
}

// completeColumns offers the column names for --columns.
func completeColumns(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	names := []string{"runs", metrics.DetectionRate.String(), metrics.FalseRollbackRate.String(), metrics.MissRate.String()}
	for _, f := range metrics.RunFigures {
		names = append(names, f.String(), f.String()+".p50", f.String()+".p95", f.String()+".p99")
	}
	for o := metrics.Outcome(0); o < metrics.NumOutcomes; o++ {
		names = append(names, "outcomes."+o.Key())
	}
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, last) {
			out = append(out, done+n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// pointFingerprint identifies the runs of one grid point of a sweep: the
// scenario as the shard's JSON writes it (every setting, the seed and the
// run count), the strategy and the point's coordinates. Shards of one sweep
// give the same fingerprint to the same point, and no other point has it.
func pointFingerprint(c *scenario.File, pt point) string {
	b, err := json.Marshal(c)
	if err != nil {
		b = []byte(fmt.Sprintf("%+v", *c))
	}
	parts := []string{string(b), pt.strategy.Name()}
	for _, p := range pt.params() {
		parts = append(parts, p.Name, p.Value)
	}
	return metrics.Fingerprint(parts...)
}
