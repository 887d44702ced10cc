package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/deploysim/deploysim/metrics"
)

// compareArgs is a small, fast comparison whose rows differ: AllAtOnce
// fails many requests and is never rolled back; the canary is detected.
var compareArgs = []string{"compare", "--runs", "20", "--rps", "100", "--error-rate", "0.05",
	"-s", "Canary10Percent5Minutes,AllAtOnce"}

// The gate end to end, in-process and as the built binary: a condition
// that one row breaks exits 1 and names that row and only it, on one line;
// one that no row breaks exits 0 with the table on stdout; a bad
// expression exits 2 before anything runs.
func TestFailIfGate(t *testing.T) {
	code, out, errs := both(t, append(compareArgs, "--fail-if", "candidate_failures.p95 > 100", "--fail-if", "detection_rate < 50%")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, errs)
	}
	if !strings.Contains(out, "Canary10Percent5Minutes") || !strings.Contains(out, "AllAtOnce") {
		t.Errorf("the table is not printed before the gate fails:\n%s", out)
	}
	if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "deploysim compare: --fail-if: 1 of 2 rows fail: AllAtOnce: candidate_failures.p95 > 100: ") ||
		!strings.Contains(errs, "AllAtOnce: detection_rate < 0.5: lower 95% bound 0") || strings.Contains(errs, "Canary10Percent5Minutes") {
		t.Errorf("stderr %q: want one line naming AllAtOnce for both gates, and not the canary", errs)
	}
	code, out, errs = both(t, append(compareArgs, "--fail-if", "runs < 1")...)
	if code != 0 || errs != "" || !strings.Contains(out, "AllAtOnce") {
		t.Errorf("a passing gate: exit %d, stderr %q", code, errs)
	}
	for _, bad := range []string{"p95 > 1", "candidate_failures >", "false_rollback_rate = 0.05"} {
		code, out, errs := runCLI(t, append(compareArgs, "--fail-if", bad)...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "deploysim compare: --fail-if: metrics: gate = ") {
			t.Errorf("--fail-if %q: exit %d, stdout %q, stderr %q", bad, code, out, errs)
		}
	}
	// The gate also judges a sweep's rows (named with their grid point)
	// and evaluate's.
	code, _, errs = runCLI(t, "sweep", "--runs", "10", "--rps", "1,100", "-s", "AllAtOnce", "--fail-if", "candidate_failures > 5000")
	if code != 1 || !strings.Contains(errs, "AllAtOnce rps=100 error_rate=") || strings.Contains(errs, "rps=1 ") {
		t.Errorf("sweep gate: exit %d, stderr %q", code, errs)
	}
}

// --columns picks columns by their JSON names, --wide shows them all, and
// the default table fits 120 columns with units in its headers.
func TestColumnsAndWide(t *testing.T) {
	out := mustRun(t, append(compareArgs, "--columns", "runs,false_rollback_rate.ci_high,candidate_failures.p99,outcomes.rolled_back")...)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for len(lines) > 1 && strings.HasPrefix(lines[1], "# ") { // a wrapped comment is one
		lines = append(lines[:1], lines[2:]...)
	}
	if h := strings.Fields(lines[1]); strings.Join(h, " ") != "strategy runs false rollbacks ci high failures p99 rolled-back" {
		t.Errorf("header %q", lines[1])
	}
	if f := strings.Fields(lines[3]); f[0] != "AllAtOnce" || f[1] != "40" || f[len(f)-1] != "0" {
		t.Errorf("AllAtOnce row %q: want 40 runs, 0 rolled back", lines[3])
	}
	def := mustRun(t, compareArgs...)
	for i, l := range strings.Split(strings.TrimRight(def, "\n"), "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("default table line %d is %d columns wide:\n%s", i+1, n, l)
		}
	}
	for _, h := range []string{"failures p95", "detect (s)", "duration (s)"} {
		if !strings.Contains(def, h) {
			t.Errorf("default header lacks %q:\n%s", h, def)
		}
	}
	wide := mustRun(t, append(compareArgs, "--wide")...)
	for _, h := range []string{"detect p99 (s)", "cand. p99 p50 (ms)", "dead-lettered p95", "hook-aborted"} {
		if !strings.Contains(wide, h) {
			t.Errorf("--wide lacks %q", h)
		}
	}
	code, _, errs := runCLI(t, append(compareArgs, "--columns", "failures")...)
	if code != 2 || !strings.Contains(errs, `--columns: metrics: column = "failures"`) {
		t.Errorf("unknown column: exit %d, stderr %q", code, errs)
	}
}

// JSON has the mergeable state only with --with-state; with or without, it
// matches `deploysim schema`, which is metrics.JSONSchema.
func TestWithStateAndSchema(t *testing.T) {
	schema := mustRun(t, "schema")
	if schema != metrics.JSONSchema {
		t.Fatalf("deploysim schema differs from metrics.JSONSchema")
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--with-state"}} {
		out := mustRun(t, append(append(compareArgs, "-o", "json"), extra...)...)
		if got := strings.Contains(out, `"state"`); got != (extra != nil) {
			t.Errorf("%v: state in the output = %v", extra, got)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%v: compare's JSON does not match the schema: %v", extra, err)
		}
	}
	var d struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	json.Unmarshal([]byte(mustRun(t, append(compareArgs, "-o", "json")...)), &d)
	if q := string(d.Rows[0]["candidate_failures"]); !strings.Contains(q, `"quantiles":"exact"`) && !strings.Contains(q, `"quantiles": "exact"`) {
		t.Errorf("20 runs: quantiles not exact: %s", q)
	}
}

// Merge trusts no shard: a shard whose rows were copied under another
// label, and one from a sweep with other settings but the same shard
// label, are refused with the file's name.
func TestMergeRefusesForgedShards(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "--runs", "4", "--rps", "2", "-s", "Canary10Percent5Minutes,AllAtOnce", "--horizon", "0"}
	var files []string
	for i := range 2 {
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		os.WriteFile(f, []byte(mustRun(t, append(args, "--shard", fmt.Sprintf("%d/2", i))...)), 0o600)
		files = append(files, f)
	}
	mustRun(t, "merge", files[0], files[1])
	s1, _ := os.ReadFile(files[1])
	// A copy of shard 0 relabelled as shard 1: its runs are counted twice.
	s0, _ := os.ReadFile(files[0])
	relabelled := filepath.Join(dir, "relabelled.json")
	os.WriteFile(relabelled, bytes.Replace(s0, []byte(`"shard": "0/2"`), []byte(`"shard": "1/2"`), 1), 0o600)
	// Shard 1 with its two rows' labels swapped: each row's fingerprint is
	// the other row's.
	swapped := bytes.ReplaceAll(s1, []byte(`"strategy": "AllAtOnce"`), []byte(`"strategy": "X"`))
	swapped = bytes.ReplaceAll(swapped, []byte(`"strategy": "Canary10Percent5Minutes"`), []byte(`"strategy": "AllAtOnce"`))
	swapped = bytes.ReplaceAll(swapped, []byte(`"strategy": "X"`), []byte(`"strategy": "Canary10Percent5Minutes"`))
	swap := filepath.Join(dir, "swapped.json")
	os.WriteFile(swap, swapped, 0o600)
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{files[0], relabelled}, "relabelled.json: metrics: Table row"},
		{[]string{files[0], swap}, "swapped.json: metrics: Table row"},
	} {
		code, _, errs := runCLI(t, append([]string{"merge"}, c.files...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("merge %v: exit %d, stderr %q; want 2 and %q", c.files, code, errs, c.want)
		}
	}
	if _, _, errs := runCLI(t, "merge", files[0], relabelled); !strings.Contains(errs, "counted twice") {
		t.Errorf("relabelled copy: %q", errs)
	}
	if _, _, errs := runCLI(t, "merge", files[0], swap); !strings.Contains(errs, "fingerprint") {
		t.Errorf("swapped labels: %q", errs)
	}
}
