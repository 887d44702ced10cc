package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/strategy"
)

const sweepHelp = `usage: deploysim sweep [flags]

Compares strategies at every point of a grid of request rates × error
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

examples:
  deploysim sweep --rps 1,100,10000 --error-rate 0.01,0.05 --strategies Canary10Percent5Minutes,Linear10PercentEvery1Minute
  for i in 0 1 2; do deploysim sweep --rps 1,100 --shard $i/3 > shard$i.json & done; wait
  deploysim merge shard0.json shard1.json shard2.json
  deploysim sweep --rps 1,10,100 --format csv > sweep.csv

flags:
  --rps LIST
      comma-separated request rates (default: the scenario's rps)
  --error-rate LIST
      comma-separated candidate error regressions (default: the scenario's error_rate)
  --shard i/n
      run shard i of n (0 <= i < n) and write JSON (default: the whole sweep)
  --format FORMAT
      table, markdown, csv or json (default table; json with --shard)
`

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
		return shardSpec{}, fmt.Errorf("--shard = %q: must be i/n with 0 <= i < n, e.g. 0/3", v)
	}
	return shardSpec{i, n}, nil
}

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
func parseFloatList(name, v string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("--%s = %q: must be a comma-separated list of finite numbers", name, v)
		}
		out = append(out, x)
	}
	return out, nil
}

// runSweep is `deploysim sweep`: the grid, or the part --shard gives this
// process.
func runSweep(args []string, stdout, stderr io.Writer) error {
	var sf *scenarioFlags
	fs := newFlagSet("sweep", stdout, func(w io.Writer) {
		fmt.Fprint(w, sweepHelp)
		sf.printSettings(w)
	})
	sf = addScenarioFlags(fs.FlagSet, "rps", "error_rate")
	rpsList := fs.String("rps", "", "")
	errList := fs.String("error-rate", "", "")
	shardFlag := fs.String("shard", "", "")
	format := fs.String("format", "", "")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	shard := shardSpec{0, 1}
	sharded := *shardFlag != ""
	var err error
	if sharded {
		if shard, err = parseShard(*shardFlag); err != nil {
			return err
		}
	}
	if *format == "" {
		*format = "table"
		if sharded {
			*format = "json"
		}
	}
	f, err := parseFormat(*format)
	if err != nil {
		return err
	}
	if sharded && f != metrics.JSON {
		return fmt.Errorf("--format = %q: a shard writes json (deploysim merge reads it)", *format)
	}
	c, o, err := sf.config()
	if err != nil {
		return err
	}
	g := grid{RPS: []float64{c.RPS}, ErrorRate: []float64{c.ErrorRate}}
	if *rpsList != "" {
		if g.RPS, err = parseFloatList("rps", *rpsList); err != nil {
			return err
		}
		o.flags["rps"] = true
	}
	if *errList != "" {
		if g.ErrorRate, err = parseFloatList("error-rate", *errList); err != nil {
			return err
		}
		o.flags["error_rate"] = true
	}
	// Validate every grid value through the scenario's own rules.
	for _, r := range g.RPS {
		for _, e := range g.ErrorRate {
			v := c
			v.RPS, v.ErrorRate = r, e
			if err := v.validate(o); err != nil {
				return err
			}
		}
	}
	ss, err := c.strategies(o)
	if err != nil {
		return err
	}
	c.fill(ss)
	g.Strategies = c.Strategies
	if sc, err := c.scenario(o, ss[0]); err == nil {
		warnBlindAlarms(stderr, sc) // the grid does not change the alarms
	}
	t, engine, err := sweepTable(context.Background(), &c, o, g, shard, stderr)
	if err != nil {
		return err
	}
	fields := []field{{"scenario", &c}, {"grid", g}}
	if sharded {
		fields = append(fields, field{"shard", shard.String()})
	}
	fields = append(fields, field{"resolution", engine})
	return writeResult(stdout, f, t, fields, sweepHeader(&c, g, engine))
}

// sweepHeader writes the comment line above a sweep's text table (merge
// writes the same one).
func sweepHeader(c *scenarioConfig, g grid, engine string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "# sweep over rps %v × error_rate %v; %s\n", g.RPS, g.ErrorRate, describeGrid(c, engine, true))
	}
}

// sweepTable runs the units of one shard and returns their rows in grid
// order (a point with no units in the shard has no row).
func sweepTable(ctx context.Context, c *scenarioConfig, o origin, g grid, shard shardSpec, stderr io.Writer) (*metrics.Table, string, error) {
	ps, err := g.points()
	if err != nil {
		return nil, "", err
	}
	us := shardUnits(len(ps), c.Runs, shard)
	total := 0
	for _, u := range us {
		total += u.to - u.from
	}
	p := newProgress(stderr, "sweep", total)
	defer p.finish()
	sums := make([]*metrics.Summary, len(ps))
	engines := map[string]bool{}
	for _, u := range us {
		pt := ps[u.point]
		v := *c
		v.RPS, v.ErrorRate = pt.rps, pt.errorRate
		sc, err := v.scenario(o, pt.strategy)
		if err != nil {
			return nil, "", err
		}
		sum, engine, err := simulateRange(ctx, sc, u.from, u.to, p)
		if err != nil {
			return nil, "", fmt.Errorf("%s at rps %g, error rate %g: %w", pt.strategy.Name(), pt.rps, pt.errorRate, err)
		}
		engines[engine] = true
		if sums[u.point] == nil {
			sums[u.point] = sum
		} else {
			sums[u.point].Merge(sum)
		}
	}
	t := &metrics.Table{}
	for i, pt := range ps {
		if sums[i] != nil {
			t.Add(pt.strategy.Name(), sums[i], pt.params()...)
		}
	}
	return t, engineName(engines), nil
}

const mergeHelp = `usage: deploysim merge [--format FORMAT] SHARD.json...

Combines the JSON that "deploysim sweep --shard i/n" wrote for every i in
0..n-1 into the table of the whole sweep: the same rows, in the same order,
with the same numbers as the unsharded sweep (summaries merge exactly).
The shards must come from the same sweep (same scenario and grid) and be
all there, each once.

examples:
  deploysim merge shard0.json shard1.json shard2.json
  deploysim merge --format json shard*.json > sweep.json

flags:
  --format FORMAT
      table, markdown, csv or json (default table)
`

// shardDoc is what merge reads of a shard's JSON besides its rows.
type shardDoc struct {
	Scenario   json.RawMessage `json:"scenario"`
	Grid       json.RawMessage `json:"grid"`
	Shard      string          `json:"shard"`
	Resolution string          `json:"resolution"`
}

// runMerge is `deploysim merge`: the shards' JSON into the sweep's table.
func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", stdout, func(w io.Writer) { fmt.Fprint(w, mergeHelp) })
	format := fs.String("format", "table", "")
	if err := fs.parse(args, math.MaxInt); err != nil {
		return err
	}
	f, err := parseFormat(*format)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no shard files: want the JSON of every sweep shard")
	}
	files := make([][]byte, fs.NArg())
	for i, name := range fs.Args() {
		if files[i], err = readFileLimit(name, maxShardFile); err != nil {
			return err
		}
	}
	t, fields, err := mergeShards(fs.Args(), files)
	if err != nil {
		return err
	}
	// The shards' scenario and grid describe the table as the sweep did.
	var c scenarioConfig
	var g grid
	if err := decodeScenario(fs.Arg(0), fields[0].value.(json.RawMessage), &c); err != nil {
		return err
	}
	if err := json.Unmarshal(fields[1].value.(json.RawMessage), &g); err != nil {
		return fmt.Errorf("%s: grid: %v", fs.Arg(0), err)
	}
	return writeResult(stdout, f, t, fields, sweepHeader(&c, g, fields[2].value.(string)))
}

// mergeShards checks that files are the n shards of one sweep and merges
// them into its table, rows in grid order. fields are the JSON document's
// keys before the table's, as the unsharded sweep writes them.
func mergeShards(names []string, files [][]byte) (*metrics.Table, []field, error) {
	var (
		first   shardDoc
		seen    []bool
		engines = map[string]bool{}
		merged  = &metrics.Table{}
	)
	for i, data := range files {
		var d shardDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: not a sweep shard: %v", names[i], err)
		}
		if d.Shard == "" || len(d.Scenario) == 0 || len(d.Grid) == 0 {
			return nil, nil, fmt.Errorf("%s: not a sweep shard: want the keys scenario, grid and shard (deploysim sweep --shard i/n)", names[i])
		}
		s, err := parseShard(d.Shard)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: shard = %q: must be i/n with 0 <= i < n", names[i], d.Shard)
		}
		for _, k := range []*json.RawMessage{&d.Scenario, &d.Grid} {
			var b bytes.Buffer
			if err := json.Compact(&b, *k); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", names[i], err)
			}
			*k = b.Bytes()
		}
		if i == 0 {
			first = d
			seen = make([]bool, s.count)
		} else {
			switch {
			case s.count != len(seen):
				return nil, nil, fmt.Errorf("%s: shard = %q: another file is a shard of %d", names[i], d.Shard, len(seen))
			case !bytes.Equal(d.Scenario, first.Scenario):
				return nil, nil, fmt.Errorf("%s: scenario differs from %s's: not the same sweep", names[i], names[0])
			case !bytes.Equal(d.Grid, first.Grid):
				return nil, nil, fmt.Errorf("%s: grid differs from %s's: not the same sweep", names[i], names[0])
			}
		}
		if seen[s.index] {
			return nil, nil, fmt.Errorf("%s: shard = %q: given twice", names[i], d.Shard)
		}
		seen[s.index] = true
		for _, e := range strings.Split(d.Resolution, "+") {
			if e != "" {
				engines[e] = true
			}
		}
		t, err := metrics.ReadTable(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", names[i], err)
		}
		if err := merged.Merge(t); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", names[i], err)
		}
	}
	for i, ok := range seen {
		if !ok {
			return nil, nil, fmt.Errorf("shard %d/%d is missing", i, len(seen))
		}
	}
	var g grid
	if err := json.Unmarshal(first.Grid, &g); err != nil {
		return nil, nil, fmt.Errorf("%s: grid: %v", names[0], err)
	}
	var c struct {
		Runs int64 `json:"runs"`
	}
	if err := json.Unmarshal(first.Scenario, &c); err != nil {
		return nil, nil, fmt.Errorf("%s: scenario: %v", names[0], err)
	}
	ps, err := g.points()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", names[0], err)
	}
	out := &metrics.Table{Confidence: merged.Confidence}
	for _, p := range ps {
		// A point runs c.Runs healthy runs: the healthy twins of its
		// c.Runs bad runs (deploysim.Estimate), or its own when its
		// candidate is healthy.
		r := merged.Find(p.strategy.Name(), p.params()...)
		if r == nil || r.Summary.Runs()-r.Summary.BadRuns() != c.Runs || (r.Summary.BadRuns() != 0 && r.Summary.BadRuns() != c.Runs) {
			n, bad := int64(0), int64(0)
			if r != nil {
				n, bad = r.Summary.Runs(), r.Summary.BadRuns()
			}
			return nil, nil, fmt.Errorf("%s at rps %g, error rate %g: %d runs in the shards (%d bad, %d healthy), want %d healthy and 0 or %d bad", p.strategy.Name(), p.rps, p.errorRate, n, bad, n-bad, c.Runs, c.Runs)
		}
		out.Rows = append(out.Rows, *r)
	}
	if len(out.Rows) != len(merged.Rows) {
		return nil, nil, fmt.Errorf("the shards hold %d rows, the grid has %d", len(merged.Rows), len(out.Rows))
	}
	fields := []field{{"scenario", json.RawMessage(first.Scenario)}, {"grid", json.RawMessage(first.Grid)}, {"resolution", engineName(engines)}}
	return out, fields, nil
}
