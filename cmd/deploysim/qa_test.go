package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compare --help describes the scenario that compare with no flags runs: the
// rate and the regression it quotes are those the JSON output reports as
// effective. The help once said 100 req/s and 5 % after the defaults moved
// to 5 req/s and 2 %.
func TestCompareHelpQuotesTheDefaults(t *testing.T) {
	out := mustRun(t, "compare", "-n", "1", "-s", "AllAtOnce", "-o", "json")
	var got struct {
		Scenario struct {
			RPS       float64 `json:"rps"`
			ErrorRate float64 `json:"error_rate"`
			Baseline  float64 `json:"baseline_error_rate"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(mustRun(t, "compare", "--help")), " ")
	for _, want := range []string{
		fmt.Sprintf("%g req/s of Poisson traffic", got.Scenario.RPS),
		fmt.Sprintf("fails an extra %g%%", 100*got.Scenario.ErrorRate),
		fmt.Sprintf("both versions fail %g%%", 100*got.Scenario.Baseline),
	} {
		if !strings.Contains(help, want) {
			t.Errorf("compare --help lacks %q (the effective default)", want)
		}
	}
}

// The README's shard loop, `sweep --shard i/3 --out shards/`, runs in a
// fresh checkout where shards/ does not exist yet: --out DIR/ creates it
// (it failed with the temporary file's name), and merge reads the result.
func TestSweepOutCreatesTheShardFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shards") + string(os.PathSeparator)
	for _, i := range []string{"0/2", "1/2"} {
		mustRun(t, "sweep", "-n", "2", "-s", "AllAtOnce", "--rps", "1,2", "--shard", i, "--out", dir)
	}
	for _, name := range []string{"shard-0-of-2.json", "shard-1-of-2.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("sweep --out %s: %v", dir, err)
		}
	}
	if out := mustRun(t, "merge", dir); !strings.Contains(out, "AllAtOnce") {
		t.Errorf("merge %s: %q", dir, out)
	}
}
