package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/report"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/sim"
	"github.com/spf13/cobra"
)

// reportOptions are report's own flags.
type reportOptions struct {
	out, title string
	from       []string
}

// newReportCmd is `deploysim report`: one page to share, HTML or Markdown.
func newReportCmd(s streams) *cobra.Command {
	var ro reportOptions
	var so *scenarioOptions
	cmd := &cobra.Command{
		Use:   "report [compare flags | evaluate FILE... | --from FILE...] --out report.html|report.md",
		Short: "Write a report to share: scenario, table, charts, assumptions (HTML or Markdown)",
		Long: `Simulates as compare does (or as evaluate does, for "report evaluate FILE..."),
or reads the JSON that compare or evaluate -o json --with-state wrote
(--from), and writes one page: what was simulated, in words and as the scenario file; the
comparison table (the numbers of compare -o json); the charts (weights over
time with the rollback instant, one bad run against its alarm, the failures
per strategy, the Pareto front of speed against harm); the assumptions that
shaped the numbers, linked to their sources in docs/model.md; and what the
files declared that was not modelled.

--out report.html writes one self-contained HTML file: CSS and SVG charts
inline, no script, nothing fetched from the network, and a layout that prints.
--out report.md writes Markdown with the charts as PNG files beside it
(report-s1-weights.png …).`,
		Example: `  deploysim report --out report.html
  deploysim report --rps 5 -s Canary10Percent5Minutes,Linear10PercentEvery1Minute --out report.md
  deploysim report evaluate template.yaml --out template-report.html
  deploysim compare -o json --with-state > run.json && deploysim report --from run.json --out report.html`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return nil
			case args[0] != "evaluate":
				return fmt.Errorf("unexpected argument %q: want evaluate FILE..., or no argument", clip(args[0]))
			case len(args) == 1:
				return fmt.Errorf("report evaluate: want a FILE (a SAM/CloudFormation template or Argo Rollouts/Flagger manifests)")
			case len(args) > maxEvaluateFiles+1:
				return fmt.Errorf("unexpected argument %q: at most %d files", clip(args[maxEvaluateFiles+1]), maxEvaluateFiles)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd.Context(), s, so, &ro, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&ro.out, "out", "", "output `FILE`: .html (self-contained) or .md (PNG charts beside it) (required)")
	fs.StringVar(&ro.title, "title", "", "the report's title (default: what was simulated)")
	fs.StringSliceVar(&ro.from, "from", nil, "`FILE,...` to start from: the JSON compare or evaluate -o json --with-state wrote (reported as it is, nothing simulated), or metric exports to calibrate the simulated scenario from, as for compare --from (repeatable)")
	so = addScenarioFlags(fs)
	registerCompletions(cmd)
	return cmd
}

// runReport builds the report's studies and saves it.
func runReport(ctx context.Context, s streams, so *scenarioOptions, ro *reportOptions, args []string) error {
	ext := strings.ToLower(filepath.Ext(ro.out))
	switch {
	case ro.out == "":
		return fmt.Errorf("--out is required: a .html or .md file")
	case ext != ".html" && ext != ".htm" && ext != ".md":
		return fmt.Errorf("--out = %q: must end in .html or .md", clip(ro.out))
	}
	// --from means "start from these files", as on every command: result
	// files are reported as they are; metric exports calibrate the
	// scenario that is then simulated (scenarioOptions.from).
	var results []string
	for _, path := range ro.from {
		if isResultJSON(path) {
			results = append(results, path)
		} else {
			so.from = append(so.from, path)
		}
	}
	switch {
	case len(results) > 0 && len(so.from) > 0:
		return fmt.Errorf("--from mixes result JSON (%s) with metric exports (%s): report one kind at a time", clip(results[0]), clip(so.from[0]))
	case len(results) > 0 && len(args) > 0:
		return fmt.Errorf("--from %s holds results already simulated: it takes no evaluate FILE", clip(results[0]))
	}
	r := &report.Report{Title: ro.title}
	switch {
	case len(results) > 0:
		for _, path := range results {
			st, err := studyFromJSON(path)
			if err != nil {
				return err
			}
			r.Studies = append(r.Studies, st)
		}
	case len(args) > 0:
		st, err := studyFromFiles(ctx, s, so, args[1:])
		if err != nil {
			return err
		}
		r.Studies = append(r.Studies, st)
	default:
		st, err := studyFromFlags(ctx, s, so)
		if err != nil {
			return err
		}
		r.Studies = append(r.Studies, st)
	}
	if r.Title == "" {
		r.Title = "deploysim report: " + r.Studies[0].Title
	}
	return r.Save(ro.out)
}

// studyFromFlags simulates the scenario the flags describe, as compare does
// (the same table, run for run).
func studyFromFlags(ctx context.Context, s streams, so *scenarioOptions) (*report.Study, error) {
	c, err := so.config(s.in)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ss, err := c.ResolveStrategies()
	if err != nil {
		return nil, err
	}
	to, err := s.progressTo()
	if err != nil {
		return nil, err
	}
	t, _, err := compareTable(ctx, &c, ss, to)
	if err != nil {
		return nil, err
	}
	scs := make([]sim.Scenario, len(ss))
	for i, st := range ss {
		if scs[i], err = c.Scenario(st); err != nil {
			return nil, err
		}
	}
	warnBlindAlarms(s.err, scs[0])
	return studyOf(&c, t, scs, nil, fmt.Sprintf("%d strategies on one scenario", len(ss)))
}

// studyOf is the study of table t simulated on c's scenarios scs (labels
// name their curves when not the strategies' names).
func studyOf(c *scenario.File, t *metrics.Table, scs []sim.Scenario, labels []string, title string) (*report.Study, error) {
	var yaml bytes.Buffer
	if err := c.Write(&yaml); err != nil {
		return nil, err
	}
	st := &report.Study{
		Title:        title,
		Description:  report.Describe(scs[0], c.Runs),
		ScenarioYAML: yaml.String(),
		Table:        t,
		Assumptions:  report.Assumptions(scs[0]),
	}
	if err := st.Illustrate(scs, labels...); err != nil {
		return nil, err
	}
	return st, nil
}

// studyFromFiles simulates the deployables files declare, as evaluate does.
func studyFromFiles(ctx context.Context, s streams, so *scenarioOptions, paths []string) (*report.Study, error) {
	c, err := so.config(s.in)
	if err != nil {
		return nil, err
	}
	c.Policy = "none" // the file's policies replace the command line's
	if err := c.Validate(); err != nil {
		return nil, err
	}
	datas, err := readManifests(paths) // the sizes bounded as evaluate bounds them
	if err != nil {
		return nil, err
	}
	files, err := manifest.Options{}.ReadAll(paths, datas)
	if err != nil {
		return nil, err
	}
	to, err := s.progressTo()
	if err != nil {
		return nil, err
	}
	t, _, warnings, err := evaluateFiles(ctx, &c, files, to)
	if err != nil {
		return nil, err
	}
	var scs []sim.Scenario
	var labels []string
	for _, file := range files {
		for _, d := range file.Deployables {
			if d.Strategy == nil {
				continue
			}
			sc, err := c.Scenario(d.Strategy)
			if err != nil {
				return nil, err
			}
			sc = d.Apply(sc)
			if c.FromFlag("ingestion_delay") {
				sc.IngestionDelay = time.Duration(c.IngestionDelay)
			}
			scs = append(scs, sc)
			labels = append(labels, d.Name)
		}
	}
	if len(scs) == 0 {
		return nil, fmt.Errorf("%s: no deployable the simulator can follow", strings.Join(paths, ", "))
	}
	c.Strategies, c.Alarms = []string{}, []scenario.Alarm{} // the files decide them
	st, err := studyOf(&c, t, scs, labels, strings.Join(paths, ", "))
	if err != nil {
		return nil, err
	}
	st.Description = append(st.Description, fmt.Sprintf("Strategies and rollback policies are the files' own, one row per deployable; the description above is the first deployable's (%s).", labels[0]))
	st.NotModelled, st.Sources = warnings, paths
	return st, nil
}

// studyFromJSON reads what compare -o json or evaluate -o json wrote. A
// compare file carries every setting, so its scenario is described and its
// first run of each strategy drawn again (seeded: the same runs); an
// evaluate file's strategies are in the files it names, so its study has
// the table, its charts and its warnings.
// isResultJSON reports whether path holds the JSON of compare, sweep or
// evaluate (a top-level object with "rows"), as opposed to a metric
// export (CloudWatch's MetricDataResults or Datapoints, Prometheus'
// status/data, a CSV). A file that cannot be read is left to the metric
// readers, whose errors name it.
func isResultJSON(path string) bool {
	b, err := scenario.ReadFile(path, 256<<20)
	if err != nil {
		return false
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(b, &doc) != nil {
		return false
	}
	_, rows := doc["rows"]
	return rows
}

func studyFromJSON(path string) (*report.Study, error) {
	b, err := scenario.ReadFile(path, 256<<20)
	if err != nil {
		return nil, err
	}
	// A sweep's rows each have their own rate and regression, which the
	// page would describe as the scenario's single ones (5 req/s for a
	// sweep over 1 and 100): refuse it rather than describe it wrongly.
	var kind struct {
		Grid  json.RawMessage `json:"grid"`
		Shard string          `json:"shard"`
	}
	if json.Unmarshal(b, &kind) == nil && len(kind.Grid) > 0 {
		return nil, fmt.Errorf("%s: the output of sweep (a grid of rates and regressions): --from reads what compare -o json or evaluate -o json wrote", path)
	}
	t, err := metrics.ReadTable(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc struct {
		Scenario json.RawMessage `json:"scenario"`
		Files    []string        `json:"files"`
		Warnings []string        `json:"warnings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st := &report.Study{Title: filepath.Base(path), Table: t, Sources: append([]string{path}, doc.Files...), NotModelled: doc.Warnings}
	if len(doc.Scenario) == 0 {
		st.Description = []string{"The file holds results only: the scenario that produced them is not in it."}
		return st, nil
	}
	c, err := scenario.Decode(path, doc.Scenario)
	if err != nil {
		return nil, fmt.Errorf("%s: scenario: %w", path, err)
	}
	var yaml bytes.Buffer
	if err := c.Write(&yaml); err != nil {
		return nil, err
	}
	st.ScenarioYAML = yaml.String()
	if len(c.Strategies) == 0 {
		// evaluate: the strategies were the files'.
		st.Description = []string{fmt.Sprintf("Deployables read from %s, simulated on the scenario below (%d runs each); their strategies and policies are the files' own.", strings.Join(doc.Files, ", "), c.Runs)}
		return st, nil
	}
	ss, err := c.ResolveStrategies()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	scs := make([]sim.Scenario, len(ss))
	for i, s := range ss {
		if scs[i], err = c.Scenario(s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	st.Description = report.Describe(scs[0], c.Runs)
	st.Assumptions = report.Assumptions(scs[0])
	if err := st.Illustrate(scs); err != nil {
		return nil, err
	}
	return st, nil
}
