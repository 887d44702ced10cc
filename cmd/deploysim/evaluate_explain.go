package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// evaluateOptions are evaluate's own flags: what to show of what was read,
// how strict to be, and deployment configurations defined outside the files.
type evaluateOptions struct {
	explain bool
	strict  bool
	configs []string
}

func (e *evaluateOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&e.explain, "explain", false, "after the table, say what was read for each deployable: the resource, the strategy as written and as simulated, every alarm or check, the hooks")
	fl.BoolVar(&e.strict, "strict", false, "exit with status 1 when the files give any warning (something not modelled, or modelled under an assumption) or declare nothing to simulate; for CI")
	fl.StringArrayVar(&e.configs, "deployment-config", nil, "NAME=STRATEGY: a CodeDeploy deployment configuration defined outside the files, e.g. TestDeploymentConfiguration=Linear:20%,2m (repeatable)")
}

// manifestOptions turns --deployment-config into the reader's options.
func (e *evaluateOptions) manifestOptions() (manifest.Options, error) {
	var o manifest.Options
	for _, c := range e.configs {
		name, st, err := manifest.ParseDeploymentConfig(c)
		if err != nil {
			return o, fmt.Errorf("--deployment-config: %w", err)
		}
		if o.DeploymentConfigs == nil {
			o.DeploymentConfigs = map[string]strategy.Strategy{}
		}
		if _, dup := o.DeploymentConfigs[name]; dup {
			return o, fmt.Errorf("--deployment-config: %s given twice", name)
		}
		o.DeploymentConfigs[name] = st
	}
	return o, nil
}

// rowInfo is what was read for one row of evaluate's table.
type rowInfo struct {
	label   string
	explain manifest.Explanation
	watched string
}

// explainRows lists the deployables evaluateFiles simulates, in its order and
// with its labels.
func explainRows(files []*manifest.File) []rowInfo {
	names := map[string]int{}
	for _, f := range files {
		for _, d := range f.Deployables {
			names[d.Name]++
		}
	}
	var out []rowInfo
	for _, f := range files {
		for _, d := range f.Deployables {
			if d.Strategy == nil {
				continue
			}
			label := d.Name
			if names[d.Name] > 1 {
				label = fmt.Sprintf("%s (%s)", d.Name, f.Name)
			}
			e := d.Explain()
			out = append(out, rowInfo{label: label, explain: e, watched: watchedBy(d, e)})
		}
	}
	return out
}

// watchedBy says in a few words what stops a deployable in the simulation.
func watchedBy(d manifest.Deployable, e manifest.Explanation) string {
	switch {
	case e.PolicyNeverFires && e.HookOnlyDetection:
		return fmt.Sprintf("hooks only (%d declared, none modelled)", d.Watched)
	case e.PolicyNeverFires:
		return fmt.Sprintf("nothing (%d declared, none modelled)", d.Watched)
	case e.HookOnlyDetection:
		return "hooks only"
	case d.Composite != nil && len(d.Composite.Composites) > 0:
		return plural(len(d.Composite.Composites), "composite alarm")
	case len(d.Alarms) > 0:
		return plural(len(d.Alarms), "alarm")
	case len(d.Checks) > 0:
		return plural(len(d.Checks), "check")
	}
	return "nothing"
}

func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// decorateRows adds, for the text and Markdown tables, what watches each
// deployable and how its bad runs were stopped — rolled back on an alarm or
// check, or aborted by a hook (the detected column counts both) — as
// columns after the label.
func decorateRows(t *metrics.Table, infos []rowInfo) {
	for i := range t.Rows {
		if i >= len(infos) || t.Rows[i].Label != infos[i].label {
			return
		}
		s := t.Rows[i].Summary
		t.Rows[i].Params = append(t.Rows[i].Params,
			metrics.Param{Name: "watched by", Value: infos[i].watched},
			metrics.Param{Name: "rolled back", Value: fmt.Sprint(s.Outcomes(metrics.RolledBack))},
			metrics.Param{Name: "hook aborts", Value: fmt.Sprint(s.Outcomes(metrics.HookAborted))})
	}
}

// writeExplain writes --explain's block.
func writeExplain(w io.Writer, infos []rowInfo) {
	fmt.Fprintf(w, "\nwhat was read:\n")
	for _, in := range infos {
		e := in.explain
		fmt.Fprintf(w, "  %s: %s\n", in.label, e.Resource)
		fmt.Fprintf(w, "    declared: %s\n", e.Declared)
		fmt.Fprintf(w, "    modelled: %s\n", e.Modelled)
		for _, p := range e.Policy {
			fmt.Fprintf(w, "    policy:   %s\n", p)
		}
		for _, h := range e.Hooks {
			fmt.Fprintf(w, "    hook:     %s\n", h)
		}
		if e.HookOnlyDetection {
			fmt.Fprintf(w, "    note:     detection comes only from the hooks' assumed catch probability\n")
		}
	}
}

// writeEvaluateResult is writeResult with, in JSON, each row's explanation
// as fields of the row: "strategy" stays the label; "declared",
// "modelled", "policy", "hooks", "hook_only_detection" and
// "policy_never_fires" say what was read.
func writeEvaluateResult(w io.Writer, o *outputOptions, f metrics.Format, t *metrics.Table, fields []field, header func(io.Writer), infos []rowInfo) error {
	if f != metrics.JSON {
		return writeResult(w, o, f, t, fields, header)
	}
	var buf bytes.Buffer
	if err := writeResult(&buf, o, f, t, fields, header); err != nil {
		return err
	}
	var doc struct {
		Rows []json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return err
	}
	rows := make([]json.RawMessage, len(doc.Rows))
	for i, r := range doc.Rows {
		rows[i] = r
		if i >= len(infos) {
			continue
		}
		extra, err := json.Marshal(infos[i].explain)
		if err != nil {
			return err
		}
		r = bytes.TrimSpace(r)
		extra = bytes.TrimSpace(extra)
		if len(r) < 2 || r[len(r)-1] != '}' || len(extra) < 2 {
			continue
		}
		var b bytes.Buffer
		b.Write(r[:len(r)-1])
		b.WriteByte(',')
		b.Write(extra[1:])
		rows[i] = b.Bytes()
	}
	out := fields
	var parts struct {
		Confidence json.RawMessage `json:"confidence"`
	}
	if err := json.Unmarshal(buf.Bytes(), &parts); err != nil {
		return err
	}
	out = append(out[:len(out):len(out)], field{"confidence", parts.Confidence}, field{"rows", rows})
	return writeFields(w, out)
}

// writeEvaluateOutcome is writeOutcome with the rows' explanations in JSON
// (writeEvaluateResult); an interrupted run's partial table is written as
// writeOutcome writes it.
func writeEvaluateOutcome(w io.Writer, o *outputOptions, f metrics.Format, t *metrics.Table, fields []field, header func(io.Writer), infos []rowInfo, runErr error) error {
	if runErr != nil {
		return writeOutcome(w, o, f, t, fields, header, runErr)
	}
	if err := writeEvaluateResult(w, o, f, t, fields, header, infos); err != nil {
		return err
	}
	return o.checkGates(t) // --fail-if
}

// nothingToSimulate is the stderr line when the files declare no gradual
// deployment ("" when they do).
func nothingToSimulate(files []*manifest.File) string {
	for _, f := range files {
		if len(f.Deployables) > 0 {
			return ""
		}
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return fmt.Sprintf("deploysim evaluate: nothing to simulate: no gradual deployment that deploysim reads in %s (see the warnings)", strings.Join(names, ", "))
}

// strictError is --strict's verdict: status 1 when there is any warning.
func strictError(warnings []string) error {
	if len(warnings) == 0 {
		return nil
	}
	return &gateError{fmt.Sprintf("--strict: %s", plural(len(warnings), "warning"))}
}
