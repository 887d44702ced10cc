package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/metrics"
)

// outputOptions are the flags that shape what a command writes. They are
// shared by compare, sweep, merge and evaluate, so that a new output option
// (the table's columns, a CI gate on the result, the mergeable state in
// JSON) is added here once and reaches every command that writes a table.
type outputOptions struct {
	// format is --format/-o: table, markdown, csv or json.
	format     string
	tableFlags // --columns, --wide, --with-state, --fail-if (tableflags.go)
}

// addFormatFlag registers --format (-o, as kubectl's) with its default.
func (o *outputOptions) addFormatFlag(cmd *cobra.Command, def string) {
	cmd.Flags().StringVarP(&o.format, "format", "o", def, "output `FORMAT`: table, markdown, csv or json")
	o.tableFlags.add(cmd)
}

// parseFormat reads --format, naming the flag when the value is not a format.
func (o *outputOptions) parseFormat() (metrics.Format, error) {
	return parseFormat(o.format)
}

// parseFormat reads a --format value.
func parseFormat(s string) (metrics.Format, error) {
	f, err := metrics.ParseFormat(s)
	if err != nil {
		return f, fmt.Errorf("--format = %q: must be table, markdown, csv or json", clip(s))
	}
	return f, nil
}
