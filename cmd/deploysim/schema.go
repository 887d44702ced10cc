package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/metrics"
)

// newSchemaCmd is `deploysim schema`: the JSON Schema of --format json.
func newSchemaCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the tables --format json writes",
		Long: `Prints the JSON Schema (draft 2020-12) of the JSON that compare, sweep,
merge and evaluate write with --format json: the table's "confidence" and
"rows", each row's rates, outcome counts and figures (snake_case keys, times
in seconds, null for a figure no run had), and the optional mergeable
"state" (--with-state, and every sweep shard). The keys the commands add
around the table (scenario, grid, shard, resolution, file, warnings) are
left open. The same file is metrics/schema.json in the repository.`,
		Example: `  deploysim schema > deploysim.schema.json
  deploysim compare -o json > run.json && check-jsonschema --schemafile deploysim.schema.json run.json`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(s.out, metrics.JSONSchema)
			return err
		},
	}
}
