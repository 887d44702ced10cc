package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// sweepArgs is a small grid: 2 rates × 2 error regressions × 2 strategies,
// 7 runs per point (not a multiple of 3, so the shards' run ranges differ in
// length).
var sweepArgs = []string{"sweep", "--rps", "2,20", "--error-rate", "0,0.05",
	"--strategies", "Canary10Percent5Minutes,Linear:50%,1m", "--runs", "7", "--horizon", "0"}

// The exactness test: the unsharded sweep's JSON and the merge of
// its 3 shards (given in any order) are the same bytes, and so are their
// tables in every other format.
func TestSweepShardsMergeExactly(t *testing.T) {
	whole := mustRun(t, append(sweepArgs, "--format", "json")...)
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		out := mustRun(t, append(sweepArgs, "--shard", fmt.Sprintf("%d/3", i))...)
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("shard %d: not JSON: %v", i, err)
		}
		if doc["shard"] != fmt.Sprintf("%d/3", i) {
			t.Errorf("shard %d says shard %v", i, doc["shard"])
		}
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	merged := mustRun(t, "merge", "--format", "json", files[2], files[0], files[1])
	if merged != whole {
		t.Errorf("merged shards differ from the unsharded sweep:\n%s\nvs\n%s", merged, whole)
	}
	for _, f := range []string{"table", "csv", "markdown"} {
		a := mustRun(t, append(sweepArgs, "--format", f)...)
		b := mustRun(t, "merge", "--format", f, files[1], files[2], files[0])
		if a != b {
			t.Errorf("format %s: merged table differs:\n%s\nvs\n%s", f, b, a)
		}
	}

	// Rows: grid order (rps, then error rate, then strategy), params set.
	var doc struct {
		Rows []struct {
			Strategy string `json:"strategy"`
			Runs     int    `json:"runs"`
			Params   []struct{ Name, Value string }
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(whole), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rows) != 8 {
		t.Fatalf("%d rows, want 8", len(doc.Rows))
	}
	r := doc.Rows[5] // rps 20, error rate 0, second strategy
	if r.Strategy != "Linear50PercentEvery1Minute" || r.Runs != 7 || len(r.Params) != 2 ||
		r.Params[0].Value != "20" || r.Params[1].Value != "0" {
		t.Errorf("row 5 = %+v", r)
	}

	// Merge refuses what is not one whole sweep.
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(mustRun(t, append(sweepArgs, "--seed", "9", "--shard", "1/3")...)), 0o600)
	four := filepath.Join(dir, "four.json")
	os.WriteFile(four, []byte(mustRun(t, append(sweepArgs, "--shard", "3/4")...)), 0o600)
	plain := filepath.Join(dir, "plain.json")
	os.WriteFile(plain, []byte(whole), 0o600)
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{files[0], files[1]}, "shard 2/3 is missing"},
		{[]string{files[0], files[1], files[1], files[2]}, `"1/3": given twice`},
		{[]string{files[0], other, files[2]}, "scenario differs"},
		{[]string{files[0], four}, "another file is a shard of 3"},
		{[]string{plain}, "not a sweep shard"},
		{[]string{filepath.Join(dir, "none.json")}, "none.json"},
		{nil, "no shard files"},
	} {
		code, _, errs := runCLI(t, append([]string{"merge"}, c.files...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("merge %v: exit %d, stderr %q; want 2 and %q", c.files, code, errs, c.want)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3/3"}, `--shard = "3/3": must be i/n with 0 <= i < n`},
		{[]string{"--shard", "x"}, "--shard"},
		{[]string{"--shard", "0/2", "--format", "table"}, "--format"},
		{[]string{"--rps", "1,,2"}, "--rps"},
		{[]string{"--rps", "1,-2"}, "--rps = -2"},
		{[]string{"--error-rate", "0.1,1.2"}, "--error-rate = 1.2"},
	} {
		code, _, errs := runCLI(t, append([]string{"sweep", "--runs", "1"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("sweep %q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// Property: for any number of points, runs and shards, the shards' units
// cover every (point, run) exactly once, and each unit is a non-empty range.
func TestShardUnitsPartition(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	properties := gopter.NewProperties(params)
	properties.Property("shards partition points × runs", prop.ForAll(
		func(points, runs, n int) bool {
			count := make([]int, points*runs)
			for i := range n {
				for _, u := range shardUnits(points, runs, shardSpec{i, n}) {
					if u.from >= u.to || u.point < 0 || u.point >= points || u.from < 0 || u.to > runs {
						return false
					}
					for r := u.from; r < u.to; r++ {
						count[u.point*runs+r]++
					}
				}
			}
			for _, c := range count {
				if c != 1 {
					return false
				}
			}
			return true
		},
		gen.IntRange(1, 12), gen.IntRange(1, 40), gen.IntRange(1, 50),
	))
	properties.TestingRun(t)
}

// More shards than runs: some shards hold no rows, and the merge is still
// the unsharded sweep.
func TestSweepMoreShardsThanRuns(t *testing.T) {
	args := []string{"sweep", "--runs", "2", "--rps", "1,3", "--strategies", "AllAtOnce", "--horizon", "0"}
	dir := t.TempDir()
	var files []string
	for i := range 5 {
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		os.WriteFile(f, []byte(mustRun(t, append(args, "--shard", fmt.Sprintf("%d/5", i))...)), 0o600)
		files = append(files, f)
	}
	if got, want := mustRun(t, append([]string{"merge", "--format", "json"}, files...)...), mustRun(t, append(args, "--format", "json")...); got != want {
		t.Errorf("merge of 5 shards of 2 runs differs from the sweep:\n%s\nvs\n%s", got, want)
	}
}
