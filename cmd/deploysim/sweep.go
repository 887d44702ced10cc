package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/strategy"
	"github.com/spf13/cobra"
)

// grid is a sweep's axes, written under "grid" in its JSON.
type grid struct {
	RPS        []float64 `json:"rps"`
	ErrorRate  []float64 `json:"error_rate"`
	Strategies []string  `json:"strategies"`
}

// point is one grid point with one strategy: a row of the sweep.
type point struct {
	rps, errorRate float64
	strategy       strategy.Strategy
}

// params are the row's grid coordinates, as the table shows them.
func (p point) params() []metrics.Param {
	return []metrics.Param{
		{Name: "rps", Value: strconv.FormatFloat(p.rps, 'g', -1, 64)},
		{Name: "error_rate", Value: strconv.FormatFloat(p.errorRate, 'g', -1, 64)},
	}
}

// points lists the rows in table order: rps, then error rate, then strategy.
func (g grid) points() ([]point, error) {
	var ps []point
	ss := make([]strategy.Strategy, len(g.Strategies))
	for i, n := range g.Strategies {
		s, err := strategy.Parse(n)
		if err != nil {
			return nil, fmt.Errorf("grid strategies[%d]: %w", i, err)
		}
		ss[i] = s
	}
	for _, r := range g.RPS {
		for _, e := range g.ErrorRate {
			for _, s := range ss {
				ps = append(ps, point{r, e, s})
			}
		}
	}
	return ps, nil
}

// shardSpec is --shard i/n.
type shardSpec struct{ index, count int }

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.index, s.count) }

// parseShard reads --shard i/n.
func parseShard(v string) (shardSpec, error) {
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shardSpec{}, fmt.Errorf("--shard = %q: must be i/n with 0 <= i < n, e.g. 0/3", clip(v))
	}
	if n > maxShards {
		return shardSpec{}, fmt.Errorf("--shard = %q: n must be at most %d", clip(v), maxShards)
	}
	return shardSpec{i, n}, nil
}

// maxShards bounds n in --shard i/n, and in the shards merge reads before it
// allocates for them: far more machines than any batch array runs (AWS
// Batch allows 10,000 children, a Kubernetes Indexed Job 100,000
// completions). A shard with no runs (n beyond the grid's points × runs) is
// allowed and writes no rows, so that a batch array of fixed size can run a
// small sweep.
const maxShards = 1 << 20

// unit is the work of one grid point's run range [from, to).
type unit struct {
	point    int
	from, to int
}

// shardUnits assigns the work to shards: the runs of each of the points are
// cut into k = min(n, runs) ranges of consecutive run indices (range b is
// [b·runs/k, (b+1)·runs/k)), unit u = point·k + b goes to shard u mod n. It
// depends only on (points, runs, n), so every process computes the same
// assignment, and the shards' units partition the whole sweep.
func shardUnits(points, runs int, s shardSpec) []unit {
	k := min(s.count, runs)
	var us []unit
	for p := range points {
		for b := range k {
			if (p*k+b)%s.count != s.index {
				continue
			}
			us = append(us, unit{p, b * runs / k, (b + 1) * runs / k})
		}
	}
	return us
}

// parseFloatList reads a comma-separated list of numbers for flag name.
// A number given twice (100 and 1e2 are one number) is kept once, with a
// note on stderr: duplicate grid points would print duplicate rows and
// make the shards unmergeable.
func parseFloatList(name, v string, stderr io.Writer) ([]float64, error) {
	var out []float64
	seen := map[float64]string{}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("--%s = %q: must be a comma-separated list of finite numbers", name, clip(v))
		}
		x += 0 // -0 is 0
		if first, dup := seen[x]; dup {
			fmt.Fprintf(stderr, "note: --%s lists %g twice (%s and %s): the grid has it once\n", name, x, first, f)
			continue
		}
		seen[x] = f
		out = append(out, x)
	}
	return out, nil
}

// newSweepCmd is `deploysim sweep`: the grid, or the part --shard gives
// this process.
func newSweepCmd(s streams) *cobra.Command {
	var o outputOptions
	var so *scenarioOptions
	var rpsList, errList, shardFlag, outPath string
	cmd := &cobra.Command{
		Use:   "sweep [flags]",
		Short: "Compare strategies over a grid of request rates and error regressions (shardable)",
		Long: `Compares strategies at every point of a grid of request rates × error
regressions: one row per (rps, error rate, strategy), with the grid point in
the row's params. Every other setting is the scenario's (flags as for
compare). Without --rps or --error-rate the grid has the scenario's single
value on that axis. As in compare, a point whose candidate is bad runs
--runs deployments of it and as many of its healthy twin (no fault, same
seeds; the row's runs count both), so every row has detection and blast
radius as well as false rollbacks and duration; a point with error rate 0
(and no latency regression) is its own healthy half.

--shard i/n runs only shard i (from 0) of n, so that n processes or machines
(a batch system's array job) share the work; write each shard's JSON to a
file and combine them with deploysim merge, which gives exactly the table the
unsharded sweep prints. Shards split the runs of every grid point into n
ranges of run indices (when --runs < n, some shards get fewer grid points);
run i of a point has the same seed in every split, so the split does not
change the answer.

On a batch engine's array (a Kubernetes Indexed Job, an AWS Batch array
job, a Slurm job array, GNU parallel), --shard auto reads the task's index
(and count) from the environment, and --out DIR/ writes the shard to
DIR/shard-I-of-N.json, whole or not at all; deploysim merge DIR then checks
every shard is there once. examples/batch/ has a manifest, a job
definition and a script.`,
		Example: `  deploysim sweep --rps 1,100,10000 --error-rate 0.01,0.05 -s Canary10Percent5Minutes,Linear10PercentEvery1Minute
  for i in 0 1 2; do deploysim sweep --rps 1,100 --shard $i/3 > shard$i.json & done; wait
  deploysim merge shard0.json shard1.json shard2.json
  deploysim sweep --rps 1,10,100 -o csv > sweep.csv
  JOB_COMPLETION_INDEX=2 deploysim sweep --rps 1,100 --shard auto/8 --out shards/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSweep(cmd.Context(), s, so, &o, rpsList, errList, shardFlag, outPath)
		},
	}
	cmd.Flags().StringVar(&rpsList, "rps", "", "comma-separated request rates (default: the scenario's rps)")
	cmd.Flags().StringVar(&errList, "error-rate", "", "comma-separated candidate error regressions (default: the scenario's error_rate)")
	cmd.Flags().StringVar(&shardFlag, "shard", "", "run shard `i/n` of n (0 <= i < n) and write JSON (default: the whole sweep); auto or auto/N reads i (and n) from a batch array's environment: Kubernetes Indexed Job (JOB_COMPLETION_INDEX), AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ARRAY_SIZE), Slurm (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT), GNU parallel (PARALLEL_SEQ); n from N, the engine or DEPLOYSIM_SHARD_COUNT")
	cmd.Flags().StringVar(&outPath, "out", "", "write to `FILE` instead of stdout (whole, or not at all); with --shard, a directory takes the file shard-I-of-N.json that merge reads")
	o.addFormatFlag(cmd, "")
	cmd.Flags().Lookup("format").Usage += " (default table; json with --shard)"
	so = addScenarioFlags(cmd.Flags(), "rps", "error_rate")
	so.warn = s.err // --from warnings
	registerCompletions(cmd)
	return cmd
}

// runSweep runs the sweep the flags describe and writes its table.
func runSweep(ctx context.Context, s streams, so *scenarioOptions, o *outputOptions, rpsList, errList, shardFlag, outPath string) error {
	shard := shardSpec{0, 1}
	sharded := shardFlag != ""
	var err error
	switch {
	case shardFlag == "auto" || strings.HasPrefix(shardFlag, "auto/"):
		var engine string
		if shard, engine, err = autoShard(shardFlag, os.Getenv); err != nil {
			return err
		}
		fmt.Fprintf(s.err, "note: --shard %s: shard %v from the %s\n", shardFlag, shard, engine)
	case sharded:
		if shard, err = parseShard(shardFlag); err != nil {
			return err
		}
	}
	if outPath != "" {
		if st, err := os.Stat(outPath); (err == nil && st.IsDir()) || strings.HasSuffix(outPath, string(os.PathSeparator)) {
			if !sharded {
				return fmt.Errorf("--out = %q: a directory takes the files of --shard; give a file name", clip(outPath))
			}
			// Every task of an array writes into the same folder: the
			// first creates it (the README's loop writes to shards/ in a
			// fresh checkout); MkdirAll is safe when they race.
			if err := os.MkdirAll(outPath, 0o755); err != nil {
				return fmt.Errorf("--out = %q: %w", clip(outPath), err)
			}
			outPath = filepath.Join(outPath, shardFileName(shard))
		}
	}
	format := o.format
	if format == "" {
		format = "table"
		if sharded {
			format = "json"
		}
	}
	f, err := parseFormat(format)
	if err != nil {
		return err
	}
	if sharded && f != metrics.JSON {
		return fmt.Errorf("--format = %q: a shard writes json (deploysim merge reads it)", format)
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	g := grid{RPS: []float64{c.RPS}, ErrorRate: []float64{c.ErrorRate}}
	if rpsList != "" {
		if g.RPS, err = parseFloatList("rps", rpsList, s.err); err != nil {
			return err
		}
		c.MarkFlag("rps")
	}
	if errList != "" {
		if g.ErrorRate, err = parseFloatList("error-rate", errList, s.err); err != nil {
			return err
		}
		c.MarkFlag("error_rate")
	}
	// Validate every grid value through the scenario's own rules.
	for _, r := range g.RPS {
		for _, e := range g.ErrorRate {
			v := c
			v.RPS, v.ErrorRate = r, e
			if err := v.Validate(); err != nil {
				return err
			}
		}
	}
	ss, err := resolveStrategies(&c, s.err)
	if err != nil {
		return err
	}
	c.Fill(ss)
	g.Strategies = c.Strategies
	to, err := s.progressTo()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range g.RPS {
		for _, e := range g.ErrorRate {
			v := c
			v.RPS, v.ErrorRate = r, e
			warnScenario(s.err, seen, &v, ss)
		}
	}
	if sc, err := c.Scenario(ss[0]); err == nil {
		warnBlindAlarms(s.err, sc) // the grid does not change the alarms
	}
	t, engine, err := sweepTable(ctx, &c, g, shard, to)
	if t == nil {
		return err
	}
	fields := []field{{"scenario", &c}, {"grid", g}}
	if sharded {
		fields = append(fields, field{"shard", shard.String()})
	}
	fields = append(fields, field{"resolution", engine})
	o.withState = o.withState || sharded // merge reads the state
	if outPath == "" {
		return writeOutcome(s.out, o, f, t, fields, sweepHeader(&c, g, engine), err)
	}
	runErr := err
	if werr := atomicfile.Write(outPath, func(w io.Writer) error {
		err = writeOutcome(w, o, f, t, fields, sweepHeader(&c, g, engine), runErr)
		if errors.Is(err, errInterrupted) {
			return nil // the partial result is written; the error is the exit status's
		}
		return err
	}); werr != nil {
		return werr
	}
	return err
}

// sweepHeader writes the comment line above a sweep's text table (merge
// writes the same one).
func sweepHeader(c *scenario.File, g grid, engine string) func(io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, comment(fmt.Sprintf("sweep over rps %v × error_rate %v; %s", g.RPS, g.ErrorRate, describeGrid(c, engine, true))))
	}
}

// sweepTable runs the units of one shard and returns their rows in grid
// order (a point with no units in the shard has no row).
func sweepTable(ctx context.Context, c *scenario.File, g grid, shard shardSpec, to progressTo) (*metrics.Table, string, error) {
	ps, err := g.points()
	if err != nil {
		return nil, "", err
	}
	us := shardUnits(len(ps), c.Runs, shard)
	total := 0
	for _, u := range us {
		total += u.to - u.from
	}
	p := newProgress(to, "sweep", total)
	defer p.finish()
	sums := make([]*metrics.Summary, len(ps))
	engines := map[string]bool{}
	var interrupted error
	for _, u := range us {
		pt := ps[u.point]
		v := *c
		v.RPS, v.ErrorRate = pt.rps, pt.errorRate
		sc, err := v.Scenario(pt.strategy)
		if err != nil {
			return nil, "", err
		}
		sum, engine, _, err := simulateRange(ctx, sc, u.from, u.to, p)
		if sum != nil {
			engines[engine] = true
			// Where the runs come from, so merge refuses a shard of another
			// sweep, one given twice or relabelled, and finds missing runs.
			// An interrupted range holds runs that need not be consecutive:
			// it records no origin (merge refuses partial shards anyway).
			if err == nil {
				if oerr := sum.SetOrigin(pointFingerprint(c, pt), int64(u.from)); oerr != nil {
					return nil, "", oerr
				}
			}
			if sums[u.point] == nil {
				sums[u.point] = sum
			} else if merr := sums[u.point].Merge(sum); merr != nil {
				return nil, "", merr
			}
		}
		if errors.Is(err, errInterrupted) {
			interrupted = err
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s at rps %g, error rate %g: %w", pt.strategy.Name(), pt.rps, pt.errorRate, err)
		}
	}
	t := &metrics.Table{}
	for i, pt := range ps {
		if sums[i] != nil {
			t.Add(pt.strategy.Name(), sums[i], pt.params()...)
		}
	}
	return t, engineName(engines), interrupted
}
