package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// testdata/sam.yaml: WatchedFn (Canary10Percent5Minutes with an alarm on
// candidate Errors > 0) and UnwatchedFn (Linear10PercentEvery1Minute with no
// alarm, so nothing can roll it back).
func TestEvaluateSAM(t *testing.T) {
	out := mustRun(t, "evaluate", "--runs", "5", "--rps", "20", "--horizon", "0", "testdata/sam.yaml")
	lines := strings.Split(out, "\n")
	var watched, unwatched string
	for _, l := range lines {
		switch f := strings.Fields(l); {
		case len(f) > 2 && f[0] == "WatchedFn":
			watched = l
		case len(f) > 2 && f[0] == "UnwatchedFn":
			unwatched = l
		}
	}
	if watched == "" || unwatched == "" {
		t.Fatalf("a deployable's row is missing:\n%s", out)
	}
	// With no alarm the fault is never detected; with one on candidate
	// errors at 20 req/s (2 candidate req/s at 10 %, 5 % failing: 6 errors a
	// minute) it always is.
	if !strings.Contains(unwatched, "0.0% [0.0,") || !strings.Contains(watched, "100.0% [") {
		t.Errorf("detection rates:\n%s\n%s", watched, unwatched)
	}
	if !strings.Contains(out, "\nwarnings (") || !strings.Contains(out, "sam.yaml:") {
		t.Errorf("no warnings section naming the file:\n%s", out)
	}

	var doc struct {
		Scenario map[string]any   `json:"scenario"`
		File     string           `json:"file"`
		Warnings []string         `json:"warnings"`
		Rows     []map[string]any `json:"rows"`
	}
	js := mustRun(t, "evaluate", "--runs", "2", "--format", "json", "testdata/sam.yaml")
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.File != "testdata/sam.yaml" || len(doc.Rows) != 2 || doc.Rows[0]["strategy"] != "WatchedFn" || doc.Scenario["rps"] != 100.0 {
		t.Errorf("json: file %q, %d rows, scenario %v", doc.File, len(doc.Rows), doc.Scenario)
	}
	if doc.Warnings == nil {
		t.Errorf("json has no warnings list")
	}
}

func TestEvaluateErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "want one FILE"},
		{[]string{"a.yaml", "b.yaml"}, `unexpected argument "b.yaml"`},
		{[]string{"testdata/none.yaml"}, "none.yaml"},
		{[]string{"--policy", "none", "testdata/sam.yaml"}, "flag provided but not defined: -policy"},
		{[]string{"--rps", "-4", "testdata/sam.yaml"}, "--rps = -4"},
	} {
		code, _, errs := runCLI(t, append([]string{"evaluate"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("evaluate %q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}
