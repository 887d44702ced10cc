package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/scenario"
)

// A small space, so that the test runs in seconds: a 10 % canary under
// four Errors thresholds and the sequential test.
const recommendSpace = `presets: false
strategies: ["Canary:10%,4m", "Canary:5%,4m"]
canary: null
linear: null
exponential: null
alarms:
  metrics: [Errors]
  dimensions: [candidate]
  periods: [60]
  thresholds: {Errors: [2, 3, 4, 5]}
  m_of_n: ["1/1"]
compare: []
sequential: [0.05]
search: {max_runs: 128}
`

var recommendScenario = []string{"--rps", "100", "--users", "0", "--horizon", "0", "--error-rate", "0.005"}

func writeSpace(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "space.yaml")
	if err := os.WriteFile(path, []byte(recommendSpace), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// compare_args reproduces the recommendation: with the same seed compare
// gives the best entry's figures exactly (the same runs), with another
// seed figures within Monte Carlo error of them.
func TestRecommendCompareArgs(t *testing.T) {
	args := append([]string{"recommend", "--space", writeSpace(t), "--max-false-rollback", "0.1", "-o", "json"}, recommendScenario...)
	out := mustRun(t, args...)
	var doc struct {
		Scenario    map[string]any   `json:"scenario"`
		Constraints map[string]any   `json:"constraints"`
		Feasible    bool             `json:"feasible"`
		Best        map[string]any   `json:"best"`
		Pareto      []map[string]any `json:"pareto"`
		Evaluated   map[string]any   `json:"evaluated"`
		CompareArgs []string         `json:"compare_args"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !doc.Feasible || len(doc.CompareArgs) == 0 || len(doc.Pareto) == 0 || doc.Evaluated["configurations"] != 10.0 {
		t.Fatalf("feasible %v, compare_args %q, %d pareto, evaluated %v", doc.Feasible, doc.CompareArgs, len(doc.Pareto), doc.Evaluated)
	}
	// Each alarm is in --alarm's syntax: it parses into the policy recommended.
	for _, a := range doc.Best["alarms"].([]any) {
		spec, err := scenario.ParseAlarm(a.(string))
		if err != nil {
			t.Fatalf("alarm %q: %v", a, err)
		}
		if _, err := spec.Rollback(0); err != nil {
			t.Fatalf("alarm %q: %v", a, err)
		}
	}
	rate := func(row map[string]any, key string) (float64, float64) {
		m := row[key].(map[string]any)
		return m["value"].(float64), m["trials"].(float64)
	}
	same := compareJSON(t, append(append([]string{}, recommendScenario...), doc.CompareArgs...)...)
	row := same["rows"].([]any)[0].(map[string]any)
	for _, key := range []string{"false_rollback_rate", "detection_rate", "candidate_failures", "duration_s"} {
		if !reflect.DeepEqual(row[key], doc.Best[key]) {
			t.Errorf("%s: compare with compare_args gives %v, recommend %v", key, row[key], doc.Best[key])
		}
	}
	fresh := compareJSON(t, append(append(append([]string{}, recommendScenario...), doc.CompareArgs...), "--seed", "777")...)
	frow := fresh["rows"].([]any)[0].(map[string]any)
	for _, key := range []string{"false_rollback_rate", "detection_rate"} {
		a, n := rate(doc.Best, key)
		b, m := rate(frow, key)
		// Two independent binomial estimates: their difference has standard
		// error sqrt(p(1-p)(1/n+1/m)); 4 of them fail once in 16,000.
		p := (a*n + b*m) / (n + m)
		if se := math.Sqrt(max(p*(1-p), 1/n) * (1/n + 1/m)); math.Abs(a-b) > 4*se {
			t.Errorf("%s: %.4f on the search's seeds, %.4f on seed 777 (tolerance %.4f)", key, a, b, 4*se)
		}
	}
}

func TestRecommendEmit(t *testing.T) {
	for _, target := range []string{"sam", "cloudformation"} {
		args := append([]string{"recommend", "--space", writeSpace(t), "--max-false-rollback", "0.1", "--emit", target}, recommendScenario...)
		code, out, errs := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(errs, "recommended: ") {
			t.Fatalf("%s: exit %d, stderr %q", target, code, errs)
		}
		f, err := manifest.Read(target+".yaml", []byte(out))
		if err != nil || len(f.Deployables) != 1 {
			t.Fatalf("%s: manifest.Read: %v\n%s", target, err, out)
		}
		if _, ok := f.Deployables[0].Policy.(rollback.Alarms); !ok {
			t.Errorf("%s: policy read back %T", target, f.Deployables[0].Policy)
		}
	}
}

func TestRecommendText(t *testing.T) {
	png := filepath.Join(t.TempDir(), "pareto.png")
	out := mustRun(t, append([]string{"recommend", "--space", writeSpace(t), "--max-false-rollback", "0.1", "--min-detection", "0.5", "--chart", png}, recommendScenario...)...)
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("--chart: %v, %d bytes not a PNG", err, len(b))
	}
	for _, want := range []string{"recommended: Canary", "false_rollback_rate", "detection_rate", "best CodeDeploy preset", "searched 10 configurations", "Pareto front: candidate_failures against false_rollback_rate", "reproduce with other seeds: deploysim compare"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestRecommendErrors(t *testing.T) {
	space := writeSpace(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "csv"}, `--format = "csv": must be table or json`},
		{[]string{"--emit", "helm"}, `--emit = "helm": must be one of sam, cloudformation, argo, flagger`},
		{[]string{"--minimize", "cold_starts"}, "Objective = cold_starts"},
		{[]string{"--minimize", "bogus"}, `--minimize = "bogus"`},
		{[]string{"--max-false-rollback", "2"}, "MaxFalseRollback = 2"},
		{[]string{"--error-rate", "0"}, "recommend needs a bad candidate"},
		{[]string{"--space", "/nonexistent/space.yaml"}, "--space: "},
		{[]string{"--runs", "5"}, "unknown flag: --runs"},
		{[]string{"--chart", "x.gif"}, `--chart = "x.gif": must end in .png or .svg`},
	} {
		code, _, errs := runCLI(t, append([]string{"recommend", "--space", space}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// evaluate --recommend proposes a change to a SAM template's preference
// (whose Errors > 0 alarms roll back most healthy releases at 5 req/s) and
// writes it as a template deploysim reads back.
func TestEvaluateRecommend(t *testing.T) {
	space := filepath.Join(t.TempDir(), "space.yaml")
	if err := os.WriteFile(space, []byte("canary: {percents: [5], intervals: [5m]}\nlinear: null\nexponential: null\nalarms:\n  periods: [60]\n  thresholds: {Errors: [2, 3], ErrorRate: [0.02]}\nsearch: {max_runs: 64}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "evaluate", "../../manifest/testdata/sam-safe-deployments.yaml", "--recommend", "--max-false-rollback", "0.1", "--space", space, "-n", "64")
	i := strings.Index(out, "change to: ")
	if !strings.Contains(out, "yours:     Canary10Percent10Minutes") || i < 0 {
		t.Fatalf("no proposal in\n%s", out)
	}
	j := strings.Index(out[i:], "AWSTemplateFormatVersion")
	if j < 0 {
		t.Fatalf("no template after the proposal in\n%s", out[i:])
	}
	var tmpl strings.Builder
	for _, l := range strings.Split(out[i+j:], "\n") {
		tmpl.WriteString(strings.TrimPrefix(l, "    ") + "\n")
	}
	f, err := manifest.Read("proposal.yaml", []byte(tmpl.String()))
	if err != nil || len(f.Deployables) != 1 {
		t.Fatalf("proposal does not read back: %v\n%s", err, tmpl.String())
	}
	if code, _, errs := runCLI(t, "evaluate", "../../manifest/testdata/sam-safe-deployments.yaml", "--recommend", "-o", "json"); code != 2 || !strings.Contains(errs, "--recommend writes text") {
		t.Errorf("json: exit %d, %q", code, errs)
	}
}
