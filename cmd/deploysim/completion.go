package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

// flagValues are the values the shells complete for a flag, by flag name.
// A flag that takes a comma-separated list (--strategies) completes its
// last element.
var flagValues = map[string]func() []string{
	"format":      func() []string { return []string{"table", "markdown", "csv", "json"} },
	"strategies":  presetNames,
	"chart":       func() []string { return []string{"schedule", "errors", "cdf", "pareto"} },
	"traffic":     func() []string { return []string{"poisson", "diurnal", "bursty", "trace:"} },
	"policy":      func() []string { return []string{"none", "alarms", "compare", "sequential"} },
	"event-model": func() []string { return []string{"sync", "async", "queue"} },
	"resolution":  func() []string { return []string{"auto", "request", "bucket"} },
	"progress":    func() []string { return []string{"auto", "always", "never"} },
	"x":           figureNames,
	"y":           figureNames,
}

// listFlags are the flags whose value is a comma-separated list.
var listFlags = map[string]bool{"strategies": true}

// presetNames are the names of every CodeDeploy preset, as SAM writes them
// (strategy.Presets).
func presetNames() []string {
	var out []string
	for _, s := range strategy.Presets() {
		out = append(out, s.Name())
	}
	return out
}

// figureNames are the JSON names of the figures a chart can plot.
func figureNames() []string {
	var out []string
	for _, f := range append(append([]metrics.Figure(nil), metrics.RunFigures...), metrics.DetectionRate, metrics.FalseRollbackRate, metrics.MissRate) {
		out = append(out, f.String())
	}
	return out
}

// registerCompletions registers the value completions of cmd's flags.
func registerCompletions(cmd *cobra.Command) {
	for name, values := range flagValues {
		if cmd.Flags().Lookup(name) == nil && cmd.PersistentFlags().Lookup(name) == nil {
			continue
		}
		list := listFlags[name]
		_ = cmd.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			prefix, last := "", toComplete
			if list {
				if i := strings.LastIndexAny(toComplete, ",;"); i >= 0 {
					prefix, last = toComplete[:i+1], toComplete[i+1:]
				}
			}
			var out []cobra.Completion
			for _, v := range values() {
				if strings.HasPrefix(v, last) {
					out = append(out, prefix+v)
				}
			}
			d := cobra.ShellCompDirectiveNoFileComp
			if list {
				d |= cobra.ShellCompDirectiveNoSpace
			}
			return out, d
		})
	}
}
