package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/scenario"
	"github.com/spf13/cobra"
)

// shardDoc is what merge reads of a shard's JSON besides its rows.
type shardDoc struct {
	Scenario   json.RawMessage `json:"scenario"`
	Grid       json.RawMessage `json:"grid"`
	Shard      string          `json:"shard"`
	Resolution string          `json:"resolution"`
	Partial    *partialNote    `json:"partial"`
}

// newMergeCmd is `deploysim merge`: the shards' JSON into the sweep's
// table.
func newMergeCmd(s streams) *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "merge [flags] SHARD.json...",
		Short: "Combine the JSON of sweep shards into the table of the whole sweep",
		Long: `Combines the JSON that "deploysim sweep --shard i/n" wrote for every i in
0..n-1 into the table of the whole sweep: the same rows, in the same order,
with the same numbers as the unsharded sweep (summaries merge exactly).
The shards must come from the same sweep (same scenario and grid) and be
all there, each once. A directory stands for the shard-I-of-N.json files
that sweep --out DIR/ writes in it, and a quoted pattern for the files it
matches; a file named shard-I-of-N.json must hold shard I/N (a relabelled
copy is refused), and a shard an interruption left partial is refused.`,
		Example: `  deploysim merge shard0.json shard1.json shard2.json
  deploysim merge shards/ -o json > sweep.json
  deploysim merge 'shards/shard-*-of-8.json' --format csv`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("no shard files: want the JSON of every sweep shard")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(s, &o, args)
		},
	}
	o.addFormatFlag(cmd, "table")
	registerCompletions(cmd)
	return cmd
}

// runMerge reads the shard files and writes the merged table.
func runMerge(s streams, o *outputOptions, names []string) error {
	f, err := o.parseFormat()
	if err != nil {
		return err
	}
	names, err = expandShardArgs(names)
	if err != nil {
		return err
	}
	files := make([][]byte, len(names))
	for i, name := range names {
		if files[i], err = scenario.ReadFile(name, maxShardFile); err != nil {
			return err
		}
	}
	t, fields, err := mergeShards(names, files)
	if err != nil {
		return err
	}
	// The shards' scenario and grid describe the table as the sweep did.
	c, err := scenario.Decode(names[0], fields[0].value.(json.RawMessage))
	if err != nil {
		return err
	}
	var g grid
	if err := json.Unmarshal(fields[1].value.(json.RawMessage), &g); err != nil {
		return fmt.Errorf("%s: grid: %w", names[0], err)
	}
	return writeOutcome(s.out, o, f, t, fields, sweepHeader(&c, g, fields[2].value.(string)), nil)
}

// maxShardFile bounds a shard file: it holds a mergeable summary (a few
// kB) per grid row.
const maxShardFile = 256 << 20

// mergeShards checks that files are the n shards of one sweep and merges
// them into its table, rows in grid order. fields are the JSON document's
// keys before the table's, as the unsharded sweep writes them.
func mergeShards(names []string, files [][]byte) (*metrics.Table, []field, error) {
	var (
		first   shardDoc
		seen    []bool
		from    []string // the file each shard came from
		engines = map[string]bool{}
		merged  = &metrics.Table{}
	)
	for i, data := range files {
		var d shardDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: not a sweep shard: %w", names[i], err)
		}
		if d.Shard == "" || len(d.Scenario) == 0 || len(d.Grid) == 0 {
			return nil, nil, fmt.Errorf("%s: not a sweep shard: want the keys scenario, grid and shard (deploysim sweep --shard i/n)", names[i])
		}
		s, err := parseShard(d.Shard)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s", names[i], strings.Replace(err.Error(), "--shard", "shard", 1))
		}
		for _, k := range []*json.RawMessage{&d.Scenario, &d.Grid} {
			var b bytes.Buffer
			if err := json.Compact(&b, *k); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", names[i], err)
			}
			*k = b.Bytes()
		}
		if d.Partial != nil {
			return nil, nil, fmt.Errorf("%s: shard %s is partial (interrupted after %d runs): run it again", names[i], d.Shard, d.Partial.Runs)
		}
		if named, ok := shardFromName(names[i]); ok && named != s {
			return nil, nil, fmt.Errorf("%s: the name says shard %v, the file holds shard %v: a relabelled copy", names[i], named, s)
		}
		if i == 0 {
			first = d
			seen = make([]bool, s.count)
			from = make([]string, s.count)
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
			return nil, nil, fmt.Errorf("%s: shard = %q: given twice (also in %s)", names[i], d.Shard, from[s.index])
		}
		seen[s.index] = true
		from[s.index] = names[i]
		for _, e := range strings.Split(d.Resolution, "+") {
			if e != "" {
				engines[e] = true
			}
		}
		t, err := metrics.ReadTable(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", names[i], err)
		}
		if err := merged.Merge(t); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", names[i], err)
		}
	}
	var g grid
	if err := json.Unmarshal(first.Grid, &g); err != nil {
		return nil, nil, fmt.Errorf("%s: grid: %w", names[0], err)
	}
	var c struct {
		Runs int64 `json:"runs"`
	}
	if err := json.Unmarshal(first.Scenario, &c); err != nil {
		return nil, nil, fmt.Errorf("%s: scenario: %w", names[0], err)
	}
	ps, err := g.points()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", names[0], err)
	}
	if c.Runs < 1 || c.Runs > scenario.MaxRuns {
		return nil, nil, fmt.Errorf("%s: scenario: runs = %d: must be in [1, %d]", names[0], c.Runs, scenario.MaxRuns)
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		first := shardSpec{0, len(seen)}
		for seen[first.index] {
			first.index++
		}
		more := ""
		if len(missing) > 1 {
			more = fmt.Sprintf(" and %d more (%s)", len(missing)-1, strings.Join(clipList(missing[1:], 10), ", "))
		}
		return nil, nil, fmt.Errorf("shard %v is missing (%s)%s", first, shardFileName(first), more)
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
	// Each row's recorded run ranges must make up runs [0, runs) exactly.
	if err := out.CheckComplete(int64(c.Runs)); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", names[0], err)
	}
	fields := []field{{"scenario", json.RawMessage(first.Scenario)}, {"grid", json.RawMessage(first.Grid)}, {"resolution", engineName(engines)}}
	return out, fields, nil
}

// clipList keeps the first n of a list, with "…" after them.
func clipList(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(l[:n:n], "…")
}
