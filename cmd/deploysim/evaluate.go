package main

import (
	"context"
	"fmt"
	"io"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
)

const evaluateHelp = `usage: deploysim evaluate [flags] FILE

Reads the progressive deployments a file declares — an AWS SAM or
CloudFormation template (YAML or JSON: DeploymentPreference, CodeDeploy
deployment groups and their alarms), or Kubernetes objects (Argo Rollouts
Rollout and AnalysisTemplate, Flagger Canary) — and simulates each one with
its own strategy and rollback policy on the scenario the flags describe.
Prints one row per deployable with the same columns as compare, then what
the file says that deploysim cannot model (warnings).

The strategy and the policy come from the file, so --strategies, --policy,
--alarm and the policy tuning flags do not apply; the traffic, the versions
and the metric pipeline are the scenario's. A hook runs only for the
deployables whose file declares it (SAM Hooks, Flagger webhooks); the
--pre-traffic-* and --post-traffic-* flags say how long it runs and how
likely it catches the fault.

examples:
  deploysim evaluate template.yaml
  deploysim evaluate --rps 5 --error-rate 0.02 rollout.yaml
  deploysim evaluate --format json canary.yaml

flags:
  --format FORMAT
      table, markdown, csv or json (default table)
`

// evaluateSkips are the scenario settings a file decides itself.
var evaluateSkips = []string{"strategies", "policy", "alarms", "evaluation_interval", "poll_interval", "compare_confidence", "sequential_alpha"}

// runEvaluate is `deploysim evaluate FILE`: one row per deployable the file
// declares, then the warnings.
func runEvaluate(args []string, stdout, stderr io.Writer) error {
	var sf *scenarioFlags
	fs := newFlagSet("evaluate", stdout, func(w io.Writer) {
		fmt.Fprint(w, evaluateHelp)
		sf.printSettings(w)
	})
	sf = addScenarioFlags(fs.FlagSet, evaluateSkips...)
	format := fs.String("format", "table", "")
	if err := fs.parse(args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one FILE (a SAM/CloudFormation template or Argo Rollouts/Flagger manifests)")
	}
	f, err := parseFormat(*format)
	if err != nil {
		return err
	}
	c, o, err := sf.config()
	if err != nil {
		return err
	}
	c.Policy = "none" // the file's policies replace the command line's
	if err := c.validate(o); err != nil {
		return err
	}
	file, err := manifest.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	t, engine, warnings, err := evaluateFile(context.Background(), &c, o, file, stderr)
	if err != nil {
		return err
	}
	c.Strategies, c.Alarms = []string{}, []alarmSpec{} // the file decides them; the rest is reusable
	fields := []field{{"scenario", &c}, {"file", fs.Arg(0)}, {"resolution", engine}, {"warnings", warnings}}
	if err := writeResult(stdout, f, t, fields, func(w io.Writer) {
		h := c
		h.Policy = "from the file"
		fmt.Fprintf(w, "# %s: %d deployables; %s\n", fs.Arg(0), len(t.Rows), describe(&h, engine))
	}); err != nil {
		return err
	}
	switch f {
	case metrics.JSON:
	case metrics.CSV:
		// Keep the CSV clean for spreadsheets: warnings go to stderr.
		for _, w := range warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	default:
		if len(warnings) > 0 {
			fmt.Fprintf(stdout, "\nwarnings (%d):\n", len(warnings))
			for _, w := range warnings {
				fmt.Fprintf(stdout, "  %s\n", w)
			}
		}
	}
	return nil
}

// evaluateFile simulates each deployable of file with its strategy and
// policy, and returns the table and every warning as text (the file's, and
// one for each deployable that cannot be simulated).
func evaluateFile(ctx context.Context, c *scenarioConfig, o origin, file *manifest.File, stderr io.Writer) (*metrics.Table, string, []string, error) {
	warnings := []string{}
	for _, w := range file.AllWarnings() {
		warnings = append(warnings, w.String())
	}
	p := newProgress(stderr, "evaluate", c.Runs*len(file.Deployables))
	defer p.finish()
	t := &metrics.Table{}
	engines := map[string]bool{}
	for _, d := range file.Deployables {
		if d.Strategy == nil {
			warnings = append(warnings, fmt.Sprintf("%s: %s: no strategy the simulator can follow; not simulated", d.Source, d.Name))
			continue
		}
		sc, err := c.scenario(o, d.Strategy)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		sc.Policy = d.Policy
		// The file says which hooks exist; the flags say how they behave.
		if d.PreTrafficHook == "" {
			sc.PreTraffic = sim.Hook{}
		}
		if d.PostTrafficHook == "" {
			sc.PostTraffic = sim.Hook{}
		}
		sum, engine, err := simulateRange(ctx, sc, 0, c.Runs, p)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s (%s): %w", d.Name, d.Source, err)
		}
		engines[engine] = true
		t.Add(d.Name, sum)
	}
	return t, engineName(engines), warnings, nil
}
