package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/deploysim/deploysim/strategy"
	"github.com/spf13/cobra"
)

// newPresetsCmd is `deploysim presets`: every predefined CodeDeploy
// configuration (Lambda, then ECS) with its duration and full schedule, one
// per line in aligned columns.
func newPresetsCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "Print every CodeDeploy preset's traffic schedule",
		Long: `Prints every CodeDeploy predefined configuration's traffic schedule: its
CodeDeploy name, its SAM DeploymentPreference.Type, the time to 100% and
the candidate's weight from each instant.`,
		Example: `  deploysim presets | grep Lambda`,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return presetsTable(s.out, strategy.Presets())
		},
	}
}

// presetsTable writes one line per preset: its CodeDeploy name, the SAM
// DeploymentPreference.Type that selects it (Lambda only; "-" for ECS, which
// SAM does not deploy this way), the time to 100 % and the full schedule.
func presetsTable(w io.Writer, presets []strategy.Strategy) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODEDEPLOY CONFIG\tSAM TYPE\tTO 100%\tSCHEDULE (candidate weight from each instant)")
	for _, s := range presets {
		sch := s.Schedule()
		cd, ok := strategy.CodeDeployName(s)
		if !ok {
			cd = "-"
		}
		sam := s.Name()
		if sam == cd {
			sam = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\n", cd, sam, sch.Duration(), sch)
	}
	return tw.Flush()
}
