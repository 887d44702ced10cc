package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
	"github.com/spf13/cobra"
)

// evaluateSkips are the scenario settings a file decides itself.
var evaluateSkips = []string{"strategies", "policy", "alarms", "evaluation_interval", "poll_interval", "compare_confidence", "sequential_alpha"}

// newEvaluateCmd is `deploysim evaluate FILE...`: one row per deployable
// the files declare, then the warnings.
func newEvaluateCmd(s streams) *cobra.Command {
	var o outputOptions
	var so *scenarioOptions
	var rec evaluateRecommend
	var eo evaluateOptions
	cmd := &cobra.Command{
		Use:   "evaluate [flags] FILE...",
		Short: "Simulate the deployments a SAM/CloudFormation, Argo Rollouts or Flagger file declares",
		Long: `Reads the progressive deployments files declare — AWS SAM or CloudFormation
templates (YAML or JSON: DeploymentPreference, CodeDeploy deployment groups
and their alarms), or Kubernetes objects (Argo Rollouts Rollout and
AnalysisTemplate, Flagger Canary) — and simulates each one with its own
strategy and rollback policy on the scenario the flags describe. Prints one
row per deployable with the same columns as compare, then what the files say
that deploysim cannot model (warnings). As in compare, a bad candidate's runs
come with their healthy twins (no fault, same seeds; the row's runs count
both): detection and blast radius from the bad runs, false rollbacks and
duration from the twins.

Several files are read together: a Rollout may use the AnalysisTemplates of
another file, a Canary the MetricTemplates of another (each CloudFormation
template stays on its own).

The strategy and the policy come from the file, so --strategies, --policy,
--alarm and the policy tuning flags do not apply; the traffic and the
versions are the scenario's. So is the metric pipeline for CloudFormation;
Argo Rollouts and Flagger query Prometheus, so theirs is the manifest
package's Prometheus pipeline (15 s delay, 10 s periods) unless
--ingestion-delay is given. A hook runs only for the deployables whose file
declares it (SAM Hooks, an Argo pre-promotion analysis, a Flagger
pre-rollout webhook), for the time the file gives or 1m0s, catching an
active fault with probability 0.5 — an assumption, warned about; the
--pre-traffic-hook/-catch and --post-traffic-hook/-catch flags, when not 0,
replace them (manifest.Deployable.Apply).

Each row says what watches the deployable (its alarms or checks, "hooks
only" when detection rests on a hook's assumed catch probability, "nothing"
when none of its alarms can be modelled) and how its bad runs were stopped:
rolled back, or aborted by a hook; --explain adds what was read (strategy as
written and as simulated, every alarm and check). A deployment configuration
made outside a template is given with --deployment-config NAME=STRATEGY.
--strict makes any warning exit status 1.

--format json has "files" (and "file" when there is one) and "warnings";
each row has the explanation's fields (declared, modelled, policy, hooks,
hook_only_detection, policy_never_fires).`,
		Example: `  deploysim evaluate template.yaml
  deploysim evaluate template.yaml --runs 50
  deploysim evaluate --rps 5 --error-rate 0.02 rollout.yaml
  deploysim evaluate rollout.yaml analysis-templates.yaml
  deploysim evaluate canary.yaml -o json
  deploysim evaluate --explain --strict template.yaml
  deploysim evaluate --deployment-config TestDeploymentConfiguration=Linear:20%,2m template.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return fmt.Errorf("want a FILE (a SAM/CloudFormation template or Argo Rollouts/Flagger manifests)")
			case len(args) > maxEvaluateFiles:
				return fmt.Errorf("unexpected argument %q: at most %d files", clip(args[maxEvaluateFiles]), maxEvaluateFiles)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runEvaluate(cmd.Context(), s, so, &o, &eo, args); err != nil || !rec.on {
				return err
			}
			return runEvaluateRecommend(cmd.Context(), s, so, &rec, o.format, args)
		},
	}
	o.addFormatFlag(cmd, "table")
	so = addScenarioFlags(cmd.Flags(), evaluateSkips...)
	rec.register(cmd.Flags())
	eo.addFlags(cmd)
	so.warn = s.err // --from warnings
	registerCompletions(cmd)
	return cmd
}

// runEvaluate reads the files, simulates their deployables and writes the
// table and the warnings.
func runEvaluate(ctx context.Context, s streams, so *scenarioOptions, o *outputOptions, eo *evaluateOptions, paths []string) error {
	stdout, stderr := s.out, s.err
	f, err := o.parseFormat()
	if err != nil {
		return err
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	c.Policy = "none" // the file's policies replace the command line's
	if err := c.Validate(); err != nil {
		return err
	}
	mo, err := eo.manifestOptions()
	if err != nil {
		return err
	}
	datas, err := readManifests(paths)
	if err != nil {
		return err
	}
	files, err := mo.ReadAll(paths, datas)
	if err != nil {
		return err
	}
	if msg := nothingToSimulate(files); msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	to, err := s.progressTo()
	if err != nil {
		return err
	}
	var ss []strategy.Strategy
	for _, file := range files {
		for _, d := range file.Deployables {
			if d.Strategy != nil {
				ss = append(ss, d.Strategy)
			}
		}
	}
	warnScenario(s.err, map[string]bool{}, &c, ss)
	t, engine, warnings, err := evaluateFiles(ctx, &c, files, to)
	if t == nil {
		return err
	}
	runErr := err
	infos := explainRows(files)
	if f == metrics.Text || f == metrics.Markdown {
		decorateRows(t, infos)
	}
	c.Strategies, c.Alarms = []string{}, []scenario.Alarm{} // the file decides them; the rest is reusable
	fields := []field{{"scenario", &c}}
	if len(paths) == 1 {
		fields = append(fields, field{"file", paths[0]})
	}
	fields = append(fields, field{"files", paths}, field{"resolution", engine}, field{"warnings", warnings})
	err = writeEvaluateOutcome(stdout, o, f, t, fields, func(w io.Writer) {
		h := c
		h.Policy = "from the file"
		io.WriteString(w, comment(fmt.Sprintf("%s: %s; %s", strings.Join(paths, ", "), plural(len(t.Rows), "deployable"), describe(&h, engine))))
	}, infos, runErr)
	var gate *gateError
	if err != nil && !errors.Is(runErr, errInterrupted) && !errors.As(err, &gate) {
		return err // a failed --fail-if comes after the warnings
	}
	if eo.explain && (f == metrics.Text || f == metrics.Markdown) {
		writeExplain(stdout, infos)
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
	if err == nil && eo.strict {
		return strictError(warnings)
	}
	return err
}

// maxEvaluateFiles bounds the FILE arguments of evaluate.
const maxEvaluateFiles = 1000

// Bounds of what evaluate reads: each file, as the manifest reader bounds
// it (rollout configurations are kilobytes), and all of them together, so
// that many large files or devices (/dev/zero) end in an error before they
// fill memory.
const (
	maxManifestFile  = 8 << 20
	maxManifestTotal = 64 << 20
)

// readManifests reads the files, checking each one's size as it is opened
// (scenario.ReadFile) and the running total before each read.
func readManifests(paths []string) ([][]byte, error) {
	datas := make([][]byte, len(paths))
	total := 0
	for i, p := range paths {
		limit := min(maxManifestFile, maxManifestTotal-total)
		data, err := scenario.ReadFile(p, int64(limit))
		if err != nil && limit < maxManifestFile && strings.Contains(err.Error(), "larger than") {
			return nil, fmt.Errorf("%s: the files read so far and this one total more than %d MiB: must be at most that", p, maxManifestTotal>>20)
		}
		if err != nil {
			return nil, err
		}
		datas[i] = data
		total += len(data)
	}
	return datas, nil
}

// evaluateFiles simulates each deployable of files with its strategy,
// policy and metric pipeline (manifest.Deployable.Apply), and returns the
// table and every warning as text (the files', and one for each deployable
// that cannot be simulated). The scenario's hooks (the flags) say how the
// hooks a file declares behave; Apply drops them where it declares none. A row is the deployable's name, followed by its
// file when another file has a deployable of the same name.
func evaluateFiles(ctx context.Context, c *scenario.File, files []*manifest.File, to progressTo) (*metrics.Table, string, []string, error) {
	warnings := []string{}
	total := 0
	names := map[string]int{}
	for _, file := range files {
		for _, w := range file.AllWarnings() {
			warnings = append(warnings, w.String())
		}
		total += len(file.Deployables)
		for _, d := range file.Deployables {
			names[d.Name]++
		}
	}
	p := newProgress(to, "evaluate", c.Runs*total)
	defer p.finish()
	t := &metrics.Table{}
	engines := map[string]bool{}
	for _, file := range files {
		for _, d := range file.Deployables {
			if d.Strategy == nil {
				warnings = append(warnings, fmt.Sprintf("%s: %s: no strategy the simulator can follow; not simulated", d.Source, d.Name))
				continue
			}
			sc, err := c.Scenario(d.Strategy)
			if err != nil {
				return nil, "", nil, fmt.Errorf("%s: %w", d.Name, err)
			}
			sc = d.Apply(sc)
			if c.FromFlag("ingestion_delay") {
				// Said on the command line: it wins over the file's pipeline.
				sc.IngestionDelay = time.Duration(c.IngestionDelay)
			}
			ws := blindAlarms(sc)
			if w := sim.EmptyWindows(sc.Policy); w != "" {
				ws = append(ws, w)
			}
			for _, w := range ws {
				warnings = append(warnings, fmt.Sprintf("%s: %s: %s", d.Source, d.Name, w))
			}
			sum, engine, _, err := simulateRange(ctx, sc, 0, c.Runs, p)
			if sum != nil {
				engines[engine] = true
				label := d.Name
				if names[d.Name] > 1 {
					label = fmt.Sprintf("%s (%s)", d.Name, file.Name)
				}
				t.Add(label, sum, pipelineParams(sc)...)
			}
			if errors.Is(err, errInterrupted) {
				return t, engineName(engines), warnings, err
			}
			if err != nil {
				return nil, "", nil, fmt.Errorf("%s (%s): %w", d.Name, d.Source, err)
			}
		}
	}
	return t, engineName(engines), warnings, nil
}

// pipelineParams are the metric pipeline a row was simulated with, since
// each deployable has its own (issue 18.5): the delay before its policy sees
// a request (CloudWatch's assumed 60 s, Prometheus's 15 s), and the step its
// data is published at (sim.MetricResolution: a CloudWatch period, or the
// gcd of a range query's windows; "-" with no policy).
func pipelineParams(sc sim.Scenario) []metrics.Param {
	step := "-"
	if r := sim.MetricResolution(sc); r > 0 {
		step = r.String()
	}
	return []metrics.Param{{Name: "metric_delay", Value: sc.IngestionDelay.String()}, {Name: "metric_step", Value: step}}
}
